"""A small trust built for review tests: every role, two schools, items in every shape that the
authorisation rules care about; and clients signed in through the real log-in form."""

from __future__ import annotations

import email as email_lib
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.findings import Severity
from postwarden.settings import Settings
from review.domain.passwords import hash_password
from review.web.app import create_app
from storage import crud
from storage.db import session_scope
from storage.models import (
    Account,
    AccountKind,
    FindingRow,
    ItemState,
    Platform,
    Post,
    ReviewItem,
    Role,
)
from storage.review_models import UserAccount
from storage.types import utcnow
from tests.support import settings_with

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)  # one argon2 hash shared by every test user (hashing is slow)

# key: (name, role, school key or None)
PEOPLE: dict[str, tuple[str, Role, str | None]] = {
    "it": ("Dana Okafor", Role.IT_DIRECTOR, None),
    "ceo": ("Grace Whitfield", Role.CEO, None),
    "exec": ("Sam Carter", Role.EXECUTIVE, None),
    "cluster": ("Ruth Adeyemi", Role.CLUSTER_LEAD, None),
    "trustee": ("Martin Ellis", Role.TRUSTEE, None),
    "head_a": ("Helen Marsh", Role.HEADTEACHER, "a"),
    "head_b": ("James Ward", Role.HEADTEACHER, "b"),
    "dsl_a": ("Tom Baker", Role.DSL, "a"),
    "dsl_b": ("Lucy Green", Role.DSL, "b"),
    "creator_a": ("Priya Shah", Role.STAFF, "a"),
    "staff_a": ("Owen Hughes", Role.STAFF, "a"),
    "creator_b": ("Ben Fox", Role.STAFF, "b"),
}
ROLES = list(PEOPLE)


@dataclass
class World:
    people: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    schools: dict[str, int] = field(default_factory=dict)


def email(key: str) -> str:
    return f"{key.replace('_', '.')}@trust.example"


def add_post(
    session: Session,
    *,
    account: Account,
    text: str,
    findings: list[tuple[str, str, Severity, str]],
    external_id: str,
    author: str | None = None,
    assignee: int | None,
    state: ItemState = ItemState.OPEN,
    due_in: timedelta = timedelta(hours=24),
    url: str | None = "https://x.com/i/status/1",
) -> ReviewItem:
    """A post with findings (phrase, section, severity, type) and its review item."""
    post = Post(
        platform=account.platform,
        external_id=external_id,
        account_id=account.id,  # type: ignore[arg-type]
        author_handle=author,
        text=text,
        url=url,
        created_at=utcnow() - timedelta(hours=2),
        content_hash=crud.content_hash(text),
    )
    session.add(post)
    session.flush()
    for phrase, section, severity, kind in findings:
        start = text.index(phrase)
        session.add(
            FindingRow(
                post_id=post.id,  # type: ignore[arg-type]
                type=kind,
                start=start,
                end=start + len(phrase),
                score=0.9,
                section=section,
                severity=severity,
                explanation=f"Flagged under section {section} of the Social Media Policy.",
                detector="test",
            )
        )
    post.detected_hash = post.content_hash
    severity = Severity.highest([s for _, _, s, _ in findings])
    item, _ = crud.open_or_update_item(
        session,
        post=post,
        severity=severity,
        assignee_id=assignee,
        reason="test routing",
        due_in=due_in,
    )
    if state != ItemState.OPEN:
        item.state = state
        session.add(item)
        crud.log_event(session, item=item, action="escalated", note="test", actor_id=assignee)
    return item


def build_world(session: Session) -> World:
    """Items whose visibility differs by exactly one rule each (see test_review_authz)."""
    w = World()
    for key, name in (("a", "Oakfield Primary"), ("b", "Riverside Academy")):
        w.schools[key] = crud.get_or_create_school(session, name=name).id  # type: ignore[assignment]
    for key, (name, role, school) in PEOPLE.items():
        p = crud.create_person(
            session,
            name=name,
            role=role,
            email=email(key),
            school_id=w.schools[school] if school else None,
        )
        w.people[key] = p.id  # type: ignore[assignment]
        session.add(UserAccount(person_id=p.id, username=email(key), password_hash=_HASH))  # type: ignore[arg-type]
    crud.add_handle(
        session, person_id=w.people["head_a"], platform=Platform.X, handle="HeadOakfield"
    )
    crud.add_handle(session, person_id=w.people["ceo"], platform=Platform.X, handle="TrustCEO")
    specs = {
        "a": ("OakfieldPrimary", "a", "creator_a"),
        "b": ("RiversideAcad", "b", "creator_b"),
        "trust": ("DemoTrust", None, "exec"),
    }
    for key, (handle, school, creator) in specs.items():
        acc = crud.create_account(
            session,
            platform=Platform.X,
            external_id=f"id-{handle}",
            handle=handle,
            kind=AccountKind.OFFICIAL,
            conn_id=f"x_{handle.lower()}",
            school_id=w.schools[school] if school else None,
            creator_id=w.people[creator],
        )
        w.accounts[key] = acc.id  # type: ignore[assignment]
    session.flush()
    acc = {k: session.get(Account, v) for k, v in w.accounts.items()}
    P = w.people
    w.items["a_plain"] = add_post(
        session,
        account=acc["a"],  # type: ignore[arg-type]
        text="Shocking decision by the council again, they are useless.",
        findings=[("they are useless", "8.10", Severity.MEDIUM, "DEROGATORY")],
        external_id="p1",
        assignee=P["creator_a"],
    ).id  # type: ignore[assignment]
    w.items["a_pupil"] = add_post(
        session,
        account=acc["a"],  # type: ignore[arg-type]
        text="Well done Harry Finch (Year 5) for the goal!",
        findings=[("Harry Finch (Year 5)", "8.4", Severity.HIGH, "PUPIL_NAME_WITH_YEAR")],
        external_id="p2",
        assignee=P["creator_a"],
    ).id  # type: ignore[assignment]
    w.items["a_escalated"] = add_post(
        session,
        account=acc["a"],  # type: ignore[arg-type]
        text="Call our parent rep on 07700 900123.",
        findings=[("07700 900123", "8.7", Severity.MEDIUM, "PHONE_NUMBER")],
        external_id="p3",
        assignee=P["head_a"],
        state=ItemState.ESCALATED,
    ).id  # type: ignore[assignment]
    w.items["b_plain"] = add_post(
        session,
        account=acc["b"],  # type: ignore[arg-type]
        text="Our supplier LunchCo is terrible, avoid them.",
        findings=[("LunchCo is terrible", "8.13", Severity.MEDIUM, "SUPPLIER_CRITICISM")],
        external_id="p4",
        assignee=P["creator_b"],
    ).id  # type: ignore[assignment]
    w.items["a_by_head"] = add_post(
        session,
        account=acc["a"],  # type: ignore[arg-type]
        text="Staff meeting notes: budget cuts coming, keep it quiet.",
        findings=[("budget cuts coming", "8.9", Severity.HIGH, "CONFIDENTIAL")],
        external_id="p5",
        author="HeadOakfield",
        assignee=P["cluster"],
    ).id  # type: ignore[assignment]
    w.items["by_ceo"] = add_post(
        session,
        account=acc["trust"],  # type: ignore[arg-type]
        text="Vote for the Green Party on Thursday!",
        findings=[("Vote for the Green Party", "8.11", Severity.MEDIUM, "POLITICAL")],
        external_id="p6",
        author="TrustCEO",
        assignee=P["trustee"],
    ).id  # type: ignore[assignment]
    return w


@pytest.fixture
def world(settings: Settings) -> World:
    """The world on SQLite and on PostgreSQL."""
    with session_scope(settings.engine) as s:
        return build_world(s)


@pytest.fixture
def sqlite_world(sqlite_settings: Settings) -> World:
    with session_scope(sqlite_settings.engine) as s:
        return build_world(s)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "page has a CSRF field"
    return m.group(1)


class Browser:
    """A TestClient that remembers the page's CSRF token, like a browser holding a form."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kw: object):  # type: ignore[no-untyped-def]
        r = self.client.get(path, follow_redirects=False, **kw)  # type: ignore[arg-type]
        if r.headers.get("content-type", "").startswith("text/html") and CSRF.search(r.text):
            self.token = csrf_of(r.text)
        return r

    def post(self, path: str, data: dict[str, object] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        body = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=body, follow_redirects=False, **kw)  # type: ignore[arg-type]

    def login(self, key: str) -> Browser:
        self.get("/login")
        r = self.post("/login", {"username": email(key), "password": PASSWORD, "next": "/queue"})
        assert r.status_code == 303, r.text[:500]
        self.get("/queue")
        return self


@pytest.fixture
def app_for() -> Iterator[Callable[[Settings], TestClient]]:
    clients: list[TestClient] = []

    def make(settings: Settings) -> TestClient:
        c = TestClient(create_app(settings), base_url="http://testserver")
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def browser(
    settings: Settings, app_for: Callable[[Settings], TestClient]
) -> Callable[[str], Browser]:
    def signed_in(key: str) -> Browser:
        return Browser(app_for(settings)).login(key)

    return signed_in


@pytest.fixture
def sqlite_browser(
    sqlite_settings: Settings, app_for: Callable[[Settings], TestClient]
) -> Callable[[str], Browser]:
    def signed_in(key: str) -> Browser:
        return Browser(app_for(sqlite_settings)).login(key)

    return signed_in


# --- mail ----------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(
            (list(envelope.rcpt_tos), email_lib.message_from_bytes(envelope.content))
        )
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def with_mail(settings: Settings, port: int) -> Settings:
    """Settings whose mail goes to the test inbox on `port`, with links to the review UI."""
    return settings_with(
        settings,
        smtp={"host": "127.0.0.1", "port": port, "from_address": "postwarden@trust.example"},
        review={"base_url": "http://testserver"},
    )


def body_of(message: Message) -> str:
    text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    return str(message["Subject"]) + "\n" + text.replace("\r\n", "\n")
