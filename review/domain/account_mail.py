"""Mail about one's own log-in and role, sent at once through `review.domain.notify`'s delivery:
a link to choose a password, a role change asked, confirmed, refused or made, and a note to the
people who may confirm one. Like every Postwarden mail: links only, no names, no roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlmodel import Session

from review.domain import authz
from review.domain.config import ReviewConfig, SmtpConfig
from review.domain.notify import Mail, deliver
from storage.models import Person, Role
from storage.review_models import NoticeKind, ReviewNotice, RoleChange

_FOOTER = (
    "\n\nThis message deliberately contains no names: sign in to see the detail. If you did not "
    "expect it, tell the CEO or a Trustee of the trust.\n"
)


class RoleEvent(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    MADE = "made"  # on the server


def _mail(person: Person, subject: str, body: str) -> Mail | None:
    if not person.email or person.id is None or not person.active:
        return None
    return Mail(
        to=person.email,
        subject=subject,
        body="Hello,\n\n" + body + _FOOTER,
        kind=NoticeKind.ACCOUNT,
        person_id=person.id,
        count=1,
    )


def sign_in_link(
    person: Person, *, code: str, first: bool, hours: int, config: ReviewConfig
) -> Mail:
    """The one-time link to choose a password; the only copy of the code leaves here."""
    link = config.link(f"/login/code?c={code}")
    what = (
        "A Postwarden log-in was made for you."
        if first
        else "A new password was asked for your Postwarden log-in. Your current password keeps "
        "working until you choose a new one."
    )
    mail = _mail(
        person,
        "Postwarden: choose your password",
        f"{what}\n\nChoose your password here (the link works once, for {hours} hours):\n"
        f"  {link}\n\nNobody else, the Director of IT included, sees or sets your password.",
    )
    if mail is None:
        raise ValueError("this person has no e-mail address or is not active")
    return mail


def role_change_mails(
    session: Session,
    *,
    person: Person,
    change: RoleChange | None,
    event: RoleEvent,
    config: ReviewConfig,
    people: Sequence[Person] = (),
) -> list[Mail]:
    """The person affected, always; on a request also everyone who may confirm it (`people`:
    the candidates, usually the CEO and the Trustees)."""
    said = {
        RoleEvent.REQUESTED: "A change to your role in Postwarden was asked for. It takes effect "
        "only once the CEO or a Trustee confirms it.",
        RoleEvent.CONFIRMED: "A change to your role in Postwarden was confirmed and is now in "
        "effect: what you see there may have changed.",
        RoleEvent.REFUSED: "A change to your role in Postwarden that was asked for has been "
        "refused: nothing changed.",
        RoleEvent.MADE: "Your role in Postwarden was changed on the server and is now in "
        "effect: what you see there may have changed.",
    }[event]
    mails = [_mail(person, "Postwarden: your role", f"{said}\nSign in: {config.link('/queue')}")]
    if event == RoleEvent.REQUESTED and change is not None:
        for other in people:
            if other.role in (Role.CEO, Role.TRUSTEE) and authz.may_confirm_role_change(
                other, change
            ):
                mails.append(
                    _mail(
                        other,
                        "Postwarden: a role change waits for your confirmation",
                        "The Director of IT asked for 1 role change that needs a second person "
                        "(policy section 5). Confirm or refuse it here:\n"
                        f"  {config.link('/role-changes')}",
                    )
                )
    return [m for m in mails if m is not None]


def send_now(session: Session, mails: Sequence[Mail], smtp: SmtpConfig) -> str | None:
    """Send at once and record what went; the reason when nothing could be sent."""
    if not mails:
        return None
    if not smtp.host:
        return "mail is off (POSTWARDEN_SMTP__HOST is empty)"
    try:
        deliver(mails, smtp)
    except OSError as exc:  # smtplib's errors and MailRefused are OSErrors
        return f"mail could not be sent: {exc}"
    for mail in mails:
        session.add(ReviewNotice(kind=mail.kind, person_id=mail.person_id, count=mail.count))
    session.flush()
    return None
