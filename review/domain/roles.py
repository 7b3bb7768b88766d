"""Role changes: asked by the Director of IT, confirmed by a second person, or made on the server.

Roles decide who sees what (section 5): demoting the CEO would let the Director of IT read items
about their own line manager; a made-up Trustee or second Director of IT, with an address IT reads,
would read what they read. So a change to or from any role but Staff (Headteacher, Cluster Lead,
Executive, CEO, Trustee, DSL, and the Director of IT, who sees almost every item) waits until the
CEO or a Trustee confirms it; a change touching the CEO or a Trustee is confirmed by a Trustee; no
one confirms their own change or one they asked for. A change made with `postwarden people role`
on the server applies at once: whoever runs commands there holds the database anyway. Every step
is in the audit log, and the person affected is told by mail (`review.domain.account_mail`).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from review.domain import authz
from storage import crud
from storage.models import Person, Role
from storage.review_crud import audit
from storage.review_models import RoleChange, RoleChangeState
from storage.types import utcnow

CONFIRMED_ROLES = frozenset(Role) - {Role.STAFF}


class RoleChangeError(ValueError):
    """A role change that cannot be made as asked; the message says why."""

    status = 422


class NotYours(RoleChangeError):
    status = 403


class AlreadyDecided(RoleChangeError):
    status = 409


def needs_confirmation(from_role: Role, to_role: Role) -> bool:
    return from_role != to_role and bool({from_role, to_role} & CONFIRMED_ROLES)


def _supersede(session: Session, person_id: int | None) -> None:
    for old in session.exec(
        select(RoleChange).where(
            RoleChange.person_id == person_id, RoleChange.state == RoleChangeState.PENDING
        )
    ).all():
        old.state, old.decided_at = RoleChangeState.SUPERSEDED, utcnow()
        session.add(old)


def request_change(
    session: Session, *, person: Person, to_role: Role, actor: Person
) -> RoleChange | None:
    """Ask for `person`'s role to become `to_role`. Returns the change waiting for confirmation,
    or None when it applied at once (it touched no role but Staff). A newer request for the same
    person replaces an older one still waiting."""
    if person.id == actor.id:
        raise RoleChangeError("You cannot change your own role.")
    if Role(person.role) == to_role:
        raise RoleChangeError(f"{person.name} already has that role.")
    if not needs_confirmation(Role(person.role), to_role):
        _apply(session, person=person, to_role=to_role, how=f"by person {actor.id}")
        return None
    _supersede(session, person.id)
    change = RoleChange(
        person_id=person.id,  # type: ignore[arg-type]
        from_role=Role(person.role),
        to_role=to_role,
        requested_by_id=actor.id,
    )
    session.add(change)
    session.flush()
    audit(
        session,
        actor_id=actor.id,
        action="role_change_requested",
        object_type="person",
        object_id=person.id,
        detail=f"{person.role} -> {to_role}, waiting for confirmation (change {change.id})",
    )
    return change


def add_person(
    session: Session,
    *,
    name: str,
    email: str,
    role: Role,
    school_id: int | None,
    actor: Person,
) -> tuple[Person, RoleChange | None]:
    """A new person on record. In a role that needs confirmation they start as Staff, with the
    change to that role waiting like any other."""
    start = Role.STAFF if needs_confirmation(Role.STAFF, role) else role
    person = crud.create_person(session, name=name, role=start, email=email, school_id=school_id)
    audit(
        session,
        actor_id=actor.id,
        action="person_added",
        object_type="person",
        object_id=person.id,
        detail=f"role {start}",
    )
    change = None
    if start != role:
        change = request_change(session, person=person, to_role=role, actor=actor)
    return person, change


def confirm(session: Session, *, change: RoleChange, actor: Person) -> Person:
    """The second person agrees: the role changes, if the person still has the role it was
    asked from."""
    person = _check(session, change=change, actor=actor)
    if Role(person.role) != change.from_role:
        raise RoleChangeError(
            f"{person.name}'s role changed since this was asked; ask the Director of IT again."
        )
    _decide(session, change=change, actor=actor, state=RoleChangeState.CONFIRMED)
    _apply(
        session,
        person=person,
        to_role=change.to_role,
        how=f"requested by person {change.requested_by_id}, confirmed by person {actor.id}",
    )
    return person


def refuse(session: Session, *, change: RoleChange, actor: Person) -> Person:
    person = _check(session, change=change, actor=actor)
    _decide(session, change=change, actor=actor, state=RoleChangeState.REFUSED)
    audit(
        session,
        actor_id=actor.id,
        action="role_change_refused",
        object_type="person",
        object_id=person.id,
        detail=f"{change.from_role} -> {change.to_role} (change {change.id})",
    )
    return person


def change_from_server(session: Session, *, person: Person, to_role: Role) -> Role:
    """`postwarden people role`: applies at once; returns the role before."""
    before = Role(person.role)
    if before == to_role:
        raise RoleChangeError(f"{person.name} already has that role.")
    _supersede(session, person.id)
    _apply(session, person=person, to_role=to_role, how="made with the command line on the server")
    return before


def _check(session: Session, *, change: RoleChange, actor: Person) -> Person:
    if not authz.may_confirm_role_change(actor, change):
        raise NotYours("This role change is not yours to decide.")
    if change.state != RoleChangeState.PENDING:
        raise AlreadyDecided(f"This role change was already {change.state}.")
    person = session.get(Person, change.person_id)
    if person is None:
        raise RoleChangeError("No such person.")
    return person


def _decide(session: Session, *, change: RoleChange, actor: Person, state: RoleChangeState) -> None:
    change.state, change.decided_by_id, change.decided_at = state, actor.id, utcnow()
    session.add(change)


def _apply(session: Session, *, person: Person, to_role: Role, how: str) -> None:
    before = person.role
    person.role = to_role
    session.add(person)
    audit(
        session,
        actor_id=None,
        action="role_changed",
        object_type="person",
        object_id=person.id,
        detail=f"{before} -> {to_role}, {how}",
    )


def pending_for(session: Session, person: Person) -> list[RoleChange]:
    """The changes waiting that `person` may decide."""
    rows = session.exec(
        select(RoleChange)
        .where(RoleChange.state == RoleChangeState.PENDING)
        .order_by(col(RoleChange.id))
    ).all()
    return [c for c in rows if authz.may_confirm_role_change(person, c)]


def overseers(session: Session) -> list[Person]:
    """Everyone who might confirm a change: the CEO and the Trustees (whether one may confirm a
    given change is `authz.may_confirm_role_change`)."""
    return [p for role in authz.OVERSEERS for p in crud.people_with_role(session, role=role)]
