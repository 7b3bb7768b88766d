"""Log-ins of people on record: who may have one, how its password is set. Persistence is
`storage.review_crud`; the caller owns the transaction."""

from __future__ import annotations

from sqlmodel import Session

from review.domain.passwords import hash_password
from storage.models import Person
from storage.review_crud import audit, user_for_person
from storage.review_models import UserAccount


class UserError(ValueError):
    """A user account request that cannot be met; the message says why."""


def create_user(
    session: Session,
    *,
    person: Person,
    password: str | None = None,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
    actor_id: int | None = None,
) -> UserAccount:
    """A log-in for a person on record: a password (argon2), OIDC, or both (OIDC links its
    subject on the first sign-in when only the e-mail is known)."""
    if not person.email:
        raise UserError(f"{person.name} has no e-mail address on record; add one first")
    if not person.active:
        raise UserError(f"{person.name} is not active")
    if user_for_person(session, person_id=person.id) is not None:  # type: ignore[arg-type]
        raise UserError(f"{person.email} already has a log-in")
    user = UserAccount(
        person_id=person.id,  # type: ignore[arg-type]
        username=person.email.strip().lower(),
        password_hash=hash_password(password) if password else None,
        oidc_issuer=oidc_issuer,
        oidc_subject=oidc_subject,
    )
    session.add(user)
    session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="user_created",
        object_type="user_account",
        object_id=user.id,
        detail="password" if password else "single sign-on only",
    )
    return user


def set_password(
    session: Session, *, user: UserAccount, password: str, actor_id: int | None
) -> None:
    """A new password ends every existing session of the user."""
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    audit(
        session,
        actor_id=actor_id,
        action="password_set",
        object_type="user_account",
        object_id=user.id,
    )
