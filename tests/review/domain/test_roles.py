"""Role changes (issue 12, section 5): the Director of IT asks, the CEO or a Trustee confirms
(a Trustee alone when the change touches the CEO or a Trustee), or the change is made from the
command line on the server; the person affected is told by mail every time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from postwarden.settings import Settings
from review.domain import authz, roles
from storage.models import Person, Role
from storage.review_models import AuditLog, RoleChange, RoleChangeState
from tests.review.conftest import Browser, Inbox, World, body_of, email, with_mail


def _db(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


def _role(settings: Settings, person_id: int) -> Role:
    with _db(settings) as s:
        person = s.get(Person, person_id)
        assert person is not None
        return Role(person.role)


@pytest.fixture
def mailing(settings: Settings, world: World, inbox: tuple[Inbox, int]) -> tuple[Settings, Inbox]:
    box, port = inbox
    return with_mail(settings, port), box


def test_demoting_the_ceo_no_longer_opens_items_about_it(
    mailing: tuple[Settings, Inbox], world: World, app_for: Callable[..., TestClient]
) -> None:
    """The finding: IT demoted the CEO and could then read an item about IT's line manager."""
    cfg, box = mailing
    it = Browser(app_for(cfg)).login("it")
    by_ceo = world.items["by_ceo"]
    assert it.get(f"/items/{by_ceo}").status_code == 404
    r = it.post(f"/it/people/{world.people['ceo']}/role", {"role": "staff"})
    assert r.status_code == 303
    assert "awaits confirmation by a Trustee" in it.get("/it/people").text
    assert _role(cfg, world.people["ceo"]) == Role.CEO, "nothing changes before confirmation"
    assert it.get(f"/items/{by_ceo}").status_code == 404
    # The CEO is told, and so is every Trustee who may confirm; links only.
    [to_ceo] = box.to(email("ceo"))
    [to_trustee] = box.to(email("trustee"))
    assert "http://testserver/" in body_of(to_ceo)
    assert "http://testserver/role-changes" in body_of(to_trustee)
    for message in (to_ceo, to_trustee):
        assert "Grace" not in body_of(message) and "Dana" not in body_of(message)

    # The CEO may not confirm a change to themselves; the Trustee may.
    ceo = Browser(app_for(cfg)).login("ceo")
    with _db(cfg) as s:
        change = s.exec(select(RoleChange)).one()
    assert ceo.get("/role-changes").status_code == 200
    assert ceo.post(f"/role-changes/{change.id}/confirm").status_code == 403
    trustee = Browser(app_for(cfg)).login("trustee")
    page = trustee.get("/role-changes").text
    assert "Grace Whitfield" in page and "CEO" in page and "Staff" in page
    r = trustee.post(f"/role-changes/{change.id}/confirm")
    assert r.status_code == 303
    assert _role(cfg, world.people["ceo"]) == Role.STAFF
    assert len(box.to(email("ceo"))) == 2, "told when asked and when made"
    with _db(cfg) as s:
        done = s.get(RoleChange, change.id)
        assert done is not None and done.state == RoleChangeState.CONFIRMED
        assert done.decided_by_id == world.people["trustee"]
        detail = s.exec(select(AuditLog.detail).where(AuditLog.action == "role_changed")).one()
    assert "ceo -> staff" in detail and "confirmed" in detail
    assert trustee.post(f"/role-changes/{change.id}/confirm").status_code == 409, "once"


def test_a_refused_change_changes_nothing(
    mailing: tuple[Settings, Inbox], world: World, app_for: Callable[..., TestClient]
) -> None:
    cfg, box = mailing
    Browser(app_for(cfg)).login("it").post(
        f"/it/people/{world.people['head_a']}/role", {"role": "staff"}
    )
    with _db(cfg) as s:
        change = s.exec(select(RoleChange)).one()
    ceo = Browser(app_for(cfg)).login("ceo")
    assert "Helen Marsh" in ceo.get("/role-changes").text
    assert ceo.post(f"/role-changes/{change.id}/refuse").status_code == 303
    assert _role(cfg, world.people["head_a"]) == Role.HEADTEACHER
    assert len(box.to(email("head_a"))) == 2
    with _db(cfg) as s:
        assert s.get(RoleChange, change.id).state == RoleChangeState.REFUSED  # type: ignore[union-attr]


def test_a_new_person_in_a_section_5_role_waits_for_confirmation(
    settings: Settings, world: World, app_for: Callable[..., TestClient]
) -> None:
    """Otherwise IT could add a 'Trustee' with an address it reads, and read what the CEO's
    overseers read."""
    it = Browser(app_for(settings)).login("it")
    r = it.post(
        "/it/people", {"name": "Zed Rowe", "email": "z.rowe@trust.example", "role": "trustee"}
    )
    assert r.status_code == 303
    with _db(settings) as s:
        zed = s.exec(select(Person).where(Person.email == "z.rowe@trust.example")).one()
        change = s.exec(select(RoleChange).where(RoleChange.person_id == zed.id)).one()
    assert zed.role == Role.STAFF and change.to_role == Role.TRUSTEE
    assert change.state == RoleChangeState.PENDING


@pytest.mark.parametrize(
    ("confirmer", "person", "to_role", "allowed"),
    [
        ("trustee", "ceo", Role.STAFF, True),
        ("ceo", "ceo", Role.STAFF, False),  # never one's own change
        ("ceo", "head_a", Role.STAFF, True),
        ("ceo", "staff_a", Role.TRUSTEE, False),  # touches the Trustees: a Trustee confirms
        ("trustee", "staff_a", Role.TRUSTEE, True),
        ("ceo", "staff_a", Role.IT_DIRECTOR, True),  # a second Director of IT sees almost all
        ("it", "head_a", Role.STAFF, False),  # the one who asks never confirms
        ("cluster", "head_a", Role.STAFF, False),
        ("exec", "dsl_a", Role.STAFF, False),
    ],
)
def test_who_may_confirm(
    sqlite_settings: Settings,
    sqlite_world: World,
    confirmer: str,
    person: str,
    to_role: Role,
    allowed: bool,
) -> None:
    with _db(sqlite_settings) as s:
        it = s.get(Person, sqlite_world.people["it"])
        target = s.get(Person, sqlite_world.people[person])
        change = roles.request_change(s, person=target, to_role=to_role, actor=it)  # type: ignore[arg-type]
        assert change is not None
        who = s.get(Person, sqlite_world.people[confirmer])
        assert authz.may_confirm_role_change(who, change) is allowed  # type: ignore[arg-type]
        if not allowed:
            with pytest.raises(roles.RoleChangeError):
                roles.confirm(s, change=change, actor=who)  # type: ignore[arg-type]


def test_a_change_is_applied_only_to_the_role_it_was_asked_for(
    sqlite_settings: Settings, sqlite_world: World
) -> None:
    with _db(sqlite_settings) as s:
        it = s.get(Person, sqlite_world.people["it"])
        head = s.get(Person, sqlite_world.people["head_a"])
        trustee = s.get(Person, sqlite_world.people["trustee"])
        assert it is not None and head is not None and trustee is not None
        change = roles.request_change(s, person=head, to_role=Role.EXECUTIVE, actor=it)
        assert change is not None
        roles.change_from_server(s, person=head, to_role=Role.DSL)
        with pytest.raises(roles.AlreadyDecided, match="superseded"):
            roles.confirm(s, change=change, actor=trustee)
        again = roles.request_change(s, person=head, to_role=Role.EXECUTIVE, actor=it)
        assert again is not None
        head.role = Role.STAFF  # changed by some other way meanwhile
        with pytest.raises(roles.RoleChangeError, match="changed since"):
            roles.confirm(s, change=again, actor=trustee)
        assert head.role == Role.STAFF
