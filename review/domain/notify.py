"""E-mail over SMTP: who has review items waiting, and IT's re-authorisation alerts.

A mail carries counts, severities and links, never post text, names, handles or any other personal
data: mail leaves the trust's control, the review UI (behind a log-in) holds the detail.

- immediate: a high-severity item newly held by someone, and every 8.4/8.5 item for the school's
  Designated Safeguarding Lead, once per person and item;
- digest: once a day per person, the count of what they hold by severity and how much is overdue;
- re-authorisation: once a day to the Director of IT while any account needs it.

What was sent is recorded in `review_notice`, so a re-run sends nothing twice. The SMTP password,
if the server wants one, comes from `POSTWARDEN_SMTP__PASSWORD`; it is never sent over a
connection that is not encrypted.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.findings import Severity
from review.domain import routing
from review.domain.config import ReviewConfig, SmtpConfig
from review.domain.context import load_contexts
from storage import crud
from storage.db import session_scope
from storage.health import needing_reauth
from storage.models import ItemState, Person, ReviewEvent, ReviewItem, Role
from storage.review_models import NoticeKind, ReviewNotice
from storage.types import utcnow

log = logging.getLogger(__name__)

DIGEST_EVERY = timedelta(hours=23)  # "daily", tolerant of a schedule that drifts a little


@dataclass(frozen=True, slots=True)
class Mail:
    """One message to one person; the body is plain text built only from counts and links."""

    to: str
    subject: str
    body: str
    kind: NoticeKind
    person_id: int
    item_ids: tuple[int, ...] = ()
    count: int = 0


def _counts(severities: Iterable[str]) -> str:
    c = Counter(str(s) for s in severities)
    return ", ".join(f"{c[s]} {s}" for s in Severity.most_severe_first() if c[s])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_FOOTER = (
    "\n\nThis message deliberately contains no post text and no names: sign in to see the detail."
    "\nYou receive it because Postwarden's review routing (policy sections 4, 5, 9 and 12) "
    "gave you these items.\n"
)


# --- what is due -------------------------------------------------------------------------------


def _sent(session: Session, kind: NoticeKind) -> set[tuple[int | None, int | None]]:
    rows = session.exec(
        select(ReviewNotice.person_id, ReviewNotice.item_id).where(ReviewNotice.kind == kind)
    ).all()
    return {(p, i) for p, i in rows}


def _last_sent(session: Session, kind: NoticeKind) -> dict[int | None, object]:
    rows = session.exec(
        select(ReviewNotice.person_id, ReviewNotice.sent_at).where(ReviewNotice.kind == kind)
    ).all()
    last: dict[int | None, object] = {}
    for person_id, at in rows:
        if person_id not in last or at > last[person_id]:  # type: ignore[operator]
            last[person_id] = at
    return last


def _mailable(session: Session, person_id: int | None) -> Person | None:
    person = session.get(Person, person_id) if person_id else None
    if person is None or not person.active or not person.email:
        return None
    return person


def immediate_mails(session: Session, config: ReviewConfig) -> list[Mail]:
    """High-severity items newly held, and safeguarding items for the school's DSLs."""
    sent = _sent(session, NoticeKind.IMMEDIATE)
    live = [ItemState.OPEN.value, ItemState.ESCALATED.value]
    by_person: dict[int, list[ReviewItem]] = defaultdict(list)
    for item in session.exec(
        select(ReviewItem)
        .where(col(ReviewItem.state).in_(live), ReviewItem.severity == "high")
        .order_by(col(ReviewItem.id))
    ).all():
        if item.assignee_id and (item.assignee_id, item.id) not in sent:
            by_person[item.assignee_id].append(item)
    mails = _item_mails(
        session,
        config,
        by_person,
        kind=NoticeKind.IMMEDIATE,
        subject=lambda n, _items: f"Postwarden: {_plural(n, 'high-severity review item')} for you",
        body=lambda n, _items, links: (
            f"Hello,\n\n{_plural(n, 'item')} of high severity "
            f"{'waits' if n == 1 else 'wait'} for your review:"
            f"\n{links}\n\nHigh-severity items are due within "
            f"{config.due_hours_high} hours; after that they pass to the Director "
            f"of IT.\nYour queue: {config.link('/queue')}"
        ),
    )
    return mails + _safeguarding_mails(session, config)


def _item_mails(
    session: Session,
    config: ReviewConfig,
    by_person: Mapping[int, list[ReviewItem]],
    *,
    kind: NoticeKind,
    subject: Callable[[int, list[ReviewItem]], str],
    body: Callable[[int, list[ReviewItem], str], str],
) -> list[Mail]:
    """One mail per person listing their items as links (never their text)."""
    mails = []
    for person_id, items in by_person.items():
        person = _mailable(session, person_id)
        if person is None:
            continue
        n = len(items)
        links = "\n".join(f"  {config.link(f'/items/{i.id}')}" for i in items)
        mails.append(
            Mail(
                to=person.email,  # type: ignore[arg-type]
                subject=subject(n, items),
                body=body(n, items, links) + _FOOTER,
                kind=kind,
                person_id=person_id,
                item_ids=tuple(i.id for i in items),  # type: ignore[misc]
                count=n,
            )
        )
    return mails


def _safeguarding_mails(session: Session, config: ReviewConfig) -> list[Mail]:

    sent = _sent(session, NoticeKind.SAFEGUARDING)
    alerted = session.exec(
        select(ReviewItem)
        .where(
            col(ReviewItem.id).in_(
                select(ReviewEvent.item_id).where(ReviewEvent.action == "dsl_alerted")
            ),
            col(ReviewItem.state).in_([ItemState.OPEN.value, ItemState.ESCALATED.value]),
        )
        .order_by(col(ReviewItem.id))
    ).all()
    by_person: dict[int, list[ReviewItem]] = defaultdict(list)
    for ctx in load_contexts(session, alerted):
        item = ctx.item
        for lead in routing.safeguarding_leads(
            school_id=ctx.school_id,
            subjects=ctx.subjects,
            people_with_role=lambda role: _people_with_role(session, role),
        ):
            if lead.id is not None and (lead.id, item.id) not in sent:
                by_person[lead.id].append(item)
    return _item_mails(
        session,
        config,
        by_person,
        kind=NoticeKind.SAFEGUARDING,
        subject=lambda n, _items: f"Postwarden: safeguarding alert ({_plural(n, 'item')})",
        body=lambda n, items, links: (
            f"Hello,\n\nAs your school's Designated Safeguarding Lead you are alerted to "
            f"{_plural(n, 'item')} that may identify or discuss pupils (policy 8.4/8.5); "
            f"severity: {_counts(i.severity for i in items)}.\n{links}"
        ),
    )


def _people_with_role(session: Session, role: Role) -> Sequence[Person]:

    return crud.people_with_role(session, role=role)


def digest_mails(session: Session, config: ReviewConfig) -> list[Mail]:
    """Once a day per person: how many items they hold, by severity, and how many are overdue."""
    now = utcnow()
    last = _last_sent(session, NoticeKind.DIGEST)
    held: dict[int, list[ReviewItem]] = defaultdict(list)
    for item in session.exec(
        select(ReviewItem).where(
            col(ReviewItem.state).in_([ItemState.OPEN.value, ItemState.ESCALATED.value]),
            col(ReviewItem.assignee_id).is_not(None),
        )
    ).all():
        held[item.assignee_id].append(item)  # type: ignore[index]
    mails = []
    for person_id, items in sorted(held.items()):
        previous = last.get(person_id)
        if previous is not None and now - previous < DIGEST_EVERY:  # type: ignore[operator]
            continue
        person = _mailable(session, person_id)
        if person is None:
            continue
        overdue = sum(1 for i in items if i.due_at < now)
        mails.append(
            Mail(
                to=person.email,  # type: ignore[arg-type]
                subject=f"Postwarden daily digest: {_plural(len(items), 'item')} to review",
                body=(
                    f"Hello,\n\nYou hold {_plural(len(items), 'review item')} "
                    f"({_counts(i.severity for i in items)}); {overdue} overdue.\n"
                    f"Your queue: {config.link('/queue')}" + _FOOTER
                ),
                kind=NoticeKind.DIGEST,
                person_id=person_id,
                count=len(items),
            )
        )
    return mails


def reauth_mails(session: Session, config: ReviewConfig) -> list[Mail]:
    """Once a day to the Director of IT while accounts need re-authorisation (count only)."""
    n = sum(1 for a in needing_reauth(session) if a.active)  # the connectors' health hook
    if not n:
        return []
    now = utcnow()
    last = _last_sent(session, NoticeKind.REAUTH)
    mails = []
    for person in _people_with_role(session, Role.IT_DIRECTOR):
        previous = last.get(person.id)
        if previous is not None and now - previous < DIGEST_EVERY:  # type: ignore[operator]
            continue
        if not person.email or person.id is None:
            continue
        mails.append(
            Mail(
                to=person.email,
                subject=f"Postwarden: {_plural(n, 'account')} {'needs' if n == 1 else 'need'} "
                "re-authorisation",
                body=(
                    f"Hello,\n\n{_plural(n, 'connected account')} can no longer be read until "
                    "their credentials are renewed; nothing is monitored on them meanwhile.\n"
                    f"Connected accounts: {config.link('/it/accounts')}" + _FOOTER
                ),
                kind=NoticeKind.REAUTH,
                person_id=person.id,
                count=n,
            )
        )
    return mails


# --- sending -----------------------------------------------------------------------------------


class MailRefused(OSError):
    """The mail server cannot be used as configured (e.g. a password over a clear connection)."""


def build_message(mail: Mail, smtp: SmtpConfig) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = smtp.from_address
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=smtp.from_address.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body)
    return msg


def deliver(mails: Sequence[Mail], smtp: SmtpConfig) -> int:
    """Send over one SMTP connection; returns how many were sent. A password is only ever sent
    inside TLS (SMTPS, or STARTTLS which smtplib refuses to skip): configured otherwise, nothing is
    sent and `MailRefused` says what to set."""
    if not mails:
        return 0
    password = smtp.password.get_secret_value() if smtp.password else ""
    if smtp.username and password and not (smtp.starttls or smtp.ssl):
        raise MailRefused(
            "POSTWARDEN_SMTP__PASSWORD is set but the connection to the mail server is not "
            "encrypted, so the password would cross the network in clear. Use STARTTLS or SMTPS: "
            "set "
            "POSTWARDEN_SMTP__STARTTLS=true (usually port 587) or POSTWARDEN_SMTP__SSL=true "
            "(SMTPS, usually port 465). Nothing was sent."
        )
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if smtp.ssl:
        server = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context
        )
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    with server:
        if smtp.starttls and not smtp.ssl:
            server.starttls(context=context)
        if smtp.username and password:
            server.login(smtp.username, password)
        for mail in mails:
            server.send_message(build_message(mail, smtp))
    return len(mails)


def _record(session: Session, mails: Sequence[Mail]) -> None:
    for mail in mails:
        for item_id in mail.item_ids or (None,):
            session.add(
                ReviewNotice(
                    kind=mail.kind, person_id=mail.person_id, item_id=item_id, count=mail.count
                )
            )
    session.flush()


def send_due(engine: Engine, *, config: ReviewConfig, smtp: SmtpConfig, digest: bool = True) -> int:
    """Send every mail that is due now and record it; returns the number sent.

    Recorded only after the server accepted them, in the same transaction that found them due.
    Mail is off while the SMTP host is empty.
    """
    if not smtp.host:
        return 0
    with session_scope(engine) as session:
        mails = immediate_mails(session, config) + reauth_mails(session, config)
        if digest:
            mails += digest_mails(session, config)
        sent = deliver(mails, smtp)
        _record(session, mails)
    log.info("sent %d mail(s)", sent)
    return sent
