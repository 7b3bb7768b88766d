"""The IT pages: connect an account and record its approval (section 4), people and roles,
log-ins, the pupil roster import, and allowlisting on dismiss (a keyed digest, never the phrase)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from postwarden.settings import Settings
from storage import detector_crud
from storage.detector_models import AllowlistEntry, RosterDigest
from storage.models import Account, ItemState, Person, ReviewItem
from storage.review_models import AuditLog, UserAccount
from tests.review.conftest import Browser, World, body_of, with_mail

KEY = "a-roster-key-for-tests-only"


def _db(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


def test_connect_approve_and_deactivate_an_account(
    settings: Settings, world: World, browser
) -> None:  # type: ignore[no-untyped-def]
    b = browser("it")
    assert "Connect an account" in b.get("/it/accounts/new").text
    r = b.post(
        "/it/accounts",
        {
            "platform": "x",
            "external_id": "1500000000000000099",
            "handle": "@OakfieldMusic",
            "kind": "work_site",
            "school_id": world.schools["a"],
            "creator_id": world.people["staff_a"],
            "conn_id": "x_oakfield_music",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/it/accounts"
    page = b.get("/it/accounts").text
    assert "not monitored until a Headteacher" in page and "x/OakfieldMusic" in page
    with _db(settings) as s:
        account = s.exec(select(Account).where(Account.handle == "OakfieldMusic")).one()
        assert not account.is_approved and account.creator_id == world.people["staff_a"]
    # A non-Headteacher cannot approve; a future date is refused; the Headteacher's is recorded.
    r = b.post(
        f"/it/accounts/{account.id}/approve",
        {"headteacher_id": world.people["exec"], "approved_on": date.today().isoformat()},
    )
    assert r.status_code == 303 and "not a headteacher" in b.get("/it/accounts").text
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    b.post(
        f"/it/accounts/{account.id}/approve",
        {"headteacher_id": world.people["head_a"], "approved_on": tomorrow},
    )
    assert "cannot be dated in the future" in b.get("/it/accounts").text
    b.post(
        f"/it/accounts/{account.id}/approve",
        {"headteacher_id": world.people["head_a"], "approved_on": "2026-09-01"},
    )
    b.post(f"/it/accounts/{account.id}/active", {"active": "false"})
    with _db(settings) as s:
        account = s.get(Account, account.id)  # type: ignore[assignment]
        assert account.is_approved and account.approved_on == date(2026, 9, 1)
        assert account.approved_by_id == world.people["head_a"] and not account.active
        actions = s.exec(
            select(AuditLog.action).where(AuditLog.actor_id == world.people["it"])
        ).all()
    assert {"account_added", "account_approved", "account_deactivated"} <= set(actions)
    r = b.post(
        "/it/accounts",
        {
            "platform": "x",
            "external_id": "1500000000000000099",
            "handle": "dup",
            "kind": "official",
            "conn_id": "x_dup",
        },
    )
    assert r.headers["location"] == "/it/accounts/new"
    assert "already connected" in b.get("/it/accounts/new").text


def test_health_shows_last_pull_state_and_error(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser
) -> None:  # type: ignore[no-untyped-def]
    from storage import crud
    from storage.models import AccountState

    with _db(sqlite_settings) as s:
        account = s.get(Account, sqlite_world.accounts["b"])
        crud.record_pull(
            s,
            account=account,
            state=AccountState.NEEDS_REAUTH,  # type: ignore[arg-type]
            error="re-authorisation needed: token expired",
        )
        s.commit()
    page = sqlite_browser("it").get("/it/accounts").text
    row = page[page.index(f'id="account-{sqlite_world.accounts["b"]}"') :]
    assert "needs reauth" in row[:3000] and "token expired" in row[:3000] and "ago" in row[:3000]


def test_people_roles_and_log_ins(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser, app_for, inbox
) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    cfg = with_mail(sqlite_settings, port)
    b = Browser(app_for(cfg)).login("it")
    r = b.post(
        "/it/people",
        {
            "name": "Amir Khan",
            "email": "A.Khan@Trust.example",
            "role": "staff",
            "school_id": sqlite_world.schools["b"],
        },
    )
    assert r.status_code == 303
    with _db(cfg) as s:
        amir = s.exec(select(Person).where(Person.email == "a.khan@trust.example")).one()
    assert b.post(f"/it/people/{amir.id}/role", {"role": "dsl"}).status_code == 303
    assert "awaits confirmation" in b.get("/it/people").text
    b.post(f"/it/people/{amir.id}/login", {"method": "password"})
    code = re.search(r"/login/code\?c=([A-Z0-9-]+)", body_of(box.to("a.khan@trust.example")[-1]))
    assert code
    amir_browser = Browser(app_for(cfg))
    amir_browser.get(f"/login/code?c={code.group(1)}")
    r = amir_browser.post(
        "/login/code",
        {
            "code": code.group(1),
            "new_password": "quartz-lantern-meadow-9",
            "confirm_password": "quartz-lantern-meadow-9",
        },
    )
    assert r.status_code == 303
    assert "(Staff)" in amir_browser.get("/queue").text, "the DSL role waits for confirmation"
    b.post(f"/it/people/{amir.id}/active", {"active": "false"})
    assert amir_browser.get("/queue").status_code == 303, "deactivation signs them out at once"
    b.post(f"/it/people/{sqlite_world.people['it']}/active", {"active": "false"})
    assert "cannot deactivate yourself" in b.get("/it/people").text
    with _db(cfg) as s:
        user = s.exec(select(UserAccount).where(UserAccount.person_id == amir.id)).one()
        assert user.password_hash.startswith("$argon2id$")  # type: ignore[union-attr]
        details = " ".join(s.exec(select(AuditLog.detail)).all())
    assert "quartz" not in details and code.group(1) not in details


ROSTER = (
    "UPN,Legal Forename,Legal Surname,Year\n"
    "A123456789012,Harry,Finch,5\n,Amelia Rose,Carter,6\n,,,\n,Solo,,4\n"
)


def test_roster_import_keeps_hashes_only(settings: Settings, world: World, app_for) -> None:  # type: ignore[no-untyped-def]
    keyed = settings.model_copy(update={"roster_key": SecretStr(KEY)})
    b = Browser(app_for(keyed)).login("it")
    page = b.get("/it/roster").text
    assert "Import a roster" in page and "no roster" in page
    r = b.client.post(
        "/it/roster",
        data={"csrf_token": b.token, "school_id": str(world.schools["a"])},
        files={"file": ("pupils.csv", ROSTER.encode(), "text/csv")},
    )
    assert r.status_code == 200 and "roster replaced" in r.text
    assert "2 pupil(s) kept" in r.text
    assert "Harry" not in r.text and "Finch" not in r.text and "Amelia" not in r.text
    with _db(settings) as s:
        rows = s.exec(select(RosterDigest)).all()
        assert rows and all(re.fullmatch(r"[0-9a-f]{64}", d.digest) for d in rows)
        record = detector_crud.roster_import_for(s, school_id=world.schools["a"])
        assert record is not None and record.pupils_kept == 2
        assert "Harry" not in " ".join(s.exec(select(AuditLog.detail)).all())


def test_roster_page_explains_a_missing_key(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser
) -> None:  # type: ignore[no-untyped-def]
    b = sqlite_browser("it")
    assert "POSTWARDEN_ROSTER_KEY is not set" in b.get("/it/roster").text
    r = b.client.post(
        "/it/roster",
        data={"csrf_token": b.token, "school_id": str(sqlite_world.schools["a"])},
        files={"file": ("pupils.csv", ROSTER.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303


@pytest.mark.parametrize("with_key", [True, False])
def test_dismiss_with_allowlist(settings: Settings, world: World, app_for, with_key: bool) -> None:  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"roster_key": SecretStr(KEY) if with_key else None})
    b = Browser(app_for(cfg)).login("creator_a")
    item = world.items["a_plain"]
    page = b.get(f"/items/{item}").text
    finding_id = re.search(r'name="allowlist" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    r = b.post(
        f"/items/{item}/dismiss", {"note": "The council is fair game", "allowlist": finding_id}
    )
    assert r.status_code == 303
    page = b.get(f"/items/{item}").text
    with _db(settings) as s:
        entries = s.exec(select(AllowlistEntry)).all()
        state = s.get(ReviewItem, item).state  # type: ignore[union-attr]
    if with_key:
        assert state == ItemState.DISMISSED and "1 phrase(s) allowlisted" in page
        [entry] = entries
        assert (
            entry.account_id == world.accounts["a"]
            and entry.created_by_id == world.people["creator_a"]
        )
        assert "useless" not in entry.digest and "useless" not in entry.note
    else:
        assert state == ItemState.OPEN and entries == [], "nothing half-done"
        assert "Allowlisting is not set up here" in page


def test_the_audit_page_hides_items_the_director_may_not_open(
    settings: Settings, world: World, browser
) -> None:  # type: ignore[no-untyped-def]
    """The finding: the audit page listed who viewed and escalated items about IT's line manager."""
    hidden, seen = world.items["by_ceo"], world.items["a_plain"]
    trustee = browser("trustee")
    trustee.get(f"/items/{hidden}")
    trustee.post(f"/items/{hidden}/comment", {"note": "Spoke to the CEO about this."})
    browser("creator_a").get(f"/items/{seen}")
    it = browser("it")
    assert it.get(f"/items/{hidden}").status_code == 404
    page = it.get("/it/audit").text
    assert f'href="/items/{seen}"' in page
    assert f'href="/items/{hidden}"' not in page and f"#{hidden}<" not in page
