"""The demo trust: two schools, every role, accounts on every platform, one cycle via Airflow.

Four X accounts (one never approved), a Facebook Page, an Instagram account, two blogs, a Bluesky
account and two staff groups' exports (WhatsApp, Facebook group) dropped into their inboxes.

Seeding is idempotent, so `make demo` can be run again: a second cycle pulls nothing new (the
cursors moved) and opens nothing twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, select

from devkit.airflow_env import airflow_env, run_airflow
from devkit.sandbox.exports import DEMO_INBOX_FILES, drop
from pipeline.pull_steps import default_inbox
from postwarden.settings import Settings, get_settings
from review.domain.listing import item_lines
from storage import connector_crud, crud
from storage.db import get_engine, migrate, session_scope
from storage.models import Account, AccountKind, ItemState, Person, Platform, Role

TRUST_PEOPLE: list[tuple[str, Role, str, str | None]] = [
    # name, role, e-mail, school (None: trust-wide)
    ("Dana Okafor", Role.IT_DIRECTOR, "it.director@demo-trust.example", None),
    ("Grace Whitfield", Role.CEO, "ceo@demo-trust.example", None),
    ("Sam Carter", Role.EXECUTIVE, "operations@demo-trust.example", None),
    ("Ruth Adeyemi", Role.CLUSTER_LEAD, "cluster.lead@demo-trust.example", None),
    ("Martin Ellis", Role.TRUSTEE, "trustee@demo-trust.example", None),
    ("Helen Marsh", Role.HEADTEACHER, "head@oakfield.example", "Oakfield Primary School"),
    ("Tom Baker", Role.DSL, "dsl@oakfield.example", "Oakfield Primary School"),
    ("Priya Shah", Role.STAFF, "p.shah@oakfield.example", "Oakfield Primary School"),
    ("Owen Hughes", Role.STAFF, "o.hughes@oakfield.example", "Oakfield Primary School"),
    ("Chloe Dunn", Role.STAFF, "c.dunn@oakfield.example", "Oakfield Primary School"),
    ("James Ward", Role.HEADTEACHER, "head@riverside.example", "Riverside Academy"),
    ("Lucy Green", Role.DSL, "dsl@riverside.example", "Riverside Academy"),
    ("Ben Fox", Role.STAFF, "b.fox@riverside.example", "Riverside Academy"),
]

SCHOOLS = [("Oakfield Primary School", "100001"), ("Riverside Academy", "100002")]


@dataclass(frozen=True)
class DemoAccount:
    external_id: str
    handle: str
    kind: AccountKind
    school: str
    creator_email: str
    conn_id: str
    approver_email: str | None  # None: never approved, so never pulled (section 4)
    platform: Platform = Platform.X
    login: str | None = None  # a Connection's login (Bluesky handle, a blog's Basic auth user)


ACCOUNTS = [
    DemoAccount(
        "1500000000000000001",
        "OakfieldPrimary",
        AccountKind.OFFICIAL,
        "Oakfield Primary School",
        "p.shah@oakfield.example",
        "x_oakfield_primary",
        "head@oakfield.example",
    ),
    DemoAccount(
        "1500000000000000002",
        "RiversideAcad",
        AccountKind.OFFICIAL,
        "Riverside Academy",
        "b.fox@riverside.example",
        "x_riverside_academy",
        "head@riverside.example",
    ),
    DemoAccount(
        "1500000000000000003",
        "MrHughesPE",
        AccountKind.WORK_SITE,
        "Oakfield Primary School",
        "o.hughes@oakfield.example",
        "x_mrhughes_pe",
        "head@oakfield.example",
    ),
    DemoAccount(
        "1500000000000000004",
        "OakfieldDrama",
        AccountKind.WORK_SITE,
        "Oakfield Primary School",
        "c.dunn@oakfield.example",
        "x_oakfield_drama",
        None,
    ),
]

# One account on every other platform the sandbox serves (devkit/sandbox/data/demo.json), and
# the staff groups' exports (devkit/sandbox/data/exports/, staged into their inboxes). Seeded
# by `seed_platforms`, apart from `seed`, whose X-only trust other tests count on.
PLATFORM_ACCOUNTS = [
    *(
        DemoAccount(ext, handle, kind, school, creator, conn, head, platform, login)
        for ext, handle, kind, school, creator, conn, head, platform, login in [
            (
                "104000000000001",
                "Oakfield Primary School",
                AccountKind.OFFICIAL,
                "Oakfield Primary School",
                "p.shah@oakfield.example",
                "fb_oakfield_page",
                "head@oakfield.example",
                Platform.FACEBOOK,
                None,
            ),
            (
                "17841400000000002",
                "riverside.academy",
                AccountKind.OFFICIAL,
                "Riverside Academy",
                "b.fox@riverside.example",
                "ig_riverside_academy",
                "head@riverside.example",
                Platform.INSTAGRAM,
                None,
            ),
            (
                "https://oakfield.example/blogs/oakfield-news/feed.xml",
                "Oakfield Primary News",
                AccountKind.OFFICIAL,
                "Oakfield Primary School",
                "p.shah@oakfield.example",
                "blog_oakfield_news",
                "head@oakfield.example",
                Platform.BLOG,
                "demo",
            ),
            (
                "https://riverside.example/blogs/riverside-sixth-form/feed.xml",
                "Riverside Sixth Form Blog",
                AccountKind.WORK_SITE,
                "Riverside Academy",
                "b.fox@riverside.example",
                "blog_riverside_sixth_form",
                "head@riverside.example",
                Platform.BLOG,
                None,
            ),
            (
                "did:plc:riversideacademy0001",
                "riverside-academy.bsky.social",
                AccountKind.OFFICIAL,
                "Riverside Academy",
                "b.fox@riverside.example",
                "bsky_riverside_academy",
                "head@riverside.example",
                Platform.BLUESKY,
                "riverside-academy.bsky.social",
            ),
            (
                "oakfield-staff-room",
                "Oakfield Staff Room (WhatsApp)",
                AccountKind.EMPLOYEE_GROUP,
                "Oakfield Primary School",
                "p.shah@oakfield.example",
                "",
                "head@oakfield.example",
                Platform.WHATSAPP_EXPORT,
                None,
            ),
            (
                "oakfield-staff-social",
                "Oakfield Staff Social (Facebook group)",
                AccountKind.EMPLOYEE_GROUP,
                "Oakfield Primary School",
                "c.dunn@oakfield.example",
                "",
                "head@oakfield.example",
                Platform.FACEBOOK_GROUP_EXPORT,
                None,
            ),
        ]
    ),
]

# Ben Fox has left Riverside: his account's items go to the Director of IT. Owen Hughes posts as
# MrHughesPE himself, so he may not review those posts (section 5).
INACTIVE = {"b.fox@riverside.example"}
HANDLES = {"o.hughes@oakfield.example": [(Platform.X, "MrHughesPE")]}

DEMO_PACKS = Path(__file__).resolve().parent / "packs"
SANDBOX_TOKEN = "demo-sandbox-token"  # noqa: S105  (the sandbox's fake token, nobody's secret)


def seed(session: Session) -> None:
    """Create the demo trust once; a second call changes nothing."""
    if session.exec(select(Person).where(Person.email == TRUST_PEOPLE[0][2])).first():
        return
    schools = {
        name: crud.get_or_create_school(session, name=name, urn=urn) for name, urn in SCHOOLS
    }
    people: dict[str, Person] = {}
    for name, role, email, school in TRUST_PEOPLE:
        people[email] = crud.create_person(
            session,
            name=name,
            role=role,
            email=email,
            school_id=schools[school].id if school else None,
            active=email not in INACTIVE,
        )
    for email, handles in HANDLES.items():
        for platform, handle in handles:
            crud.add_handle(session, person_id=people[email].id, platform=platform, handle=handle)  # type: ignore[arg-type]
    _add_accounts(session, ACCOUNTS, schools, people)


def seed_platforms(session: Session) -> int:
    """Add the demo's Facebook, Instagram, blog, Bluesky and group export accounts (after
    `seed`); each once, so an older demo database gains them too. Returns how many were added."""
    people = {p.email: p for p in session.exec(select(Person)).all() if p.email}
    schools = {n: crud.get_or_create_school(session, name=n, urn=urn) for n, urn in SCHOOLS}
    existing = {(str(a.platform), a.external_id) for a in session.exec(select(Account)).all()}
    missing = [s for s in PLATFORM_ACCOUNTS if (str(s.platform), s.external_id) not in existing]
    _add_accounts(session, missing, schools, people)
    return len(missing)


def _add_accounts(
    session: Session,
    specs: list[DemoAccount],
    schools: dict[str, Any],
    people: dict[str, Person],
) -> None:
    for spec in specs:
        account = crud.create_account(
            session,
            platform=spec.platform,
            external_id=spec.external_id,
            handle=spec.handle,
            kind=spec.kind,
            conn_id=spec.conn_id,
            school_id=schools[spec.school].id,
            creator_id=people[spec.creator_email].id,
        )
        if spec.approver_email:
            crud.approve_account(
                session,
                account=account,
                headteacher=people[spec.approver_email],
                on=date(2026, 9, 1),
            )


def stage_exports(*, session_factory: Any, inbox_root: Path) -> int:
    """Drop each demo group's sample export into its inbox, unless it was ingested already."""

    staged = 0
    with session_factory() as session:
        for account in session.exec(select(Account)).all():
            sample = DEMO_INBOX_FILES.get(account.external_id)
            if sample is None or connector_crud.inbox_files(session, account_id=account.id):
                continue
            drop(default_inbox(inbox_root, account), sample.name, sample)
            staged += 1
    return staged


def demo_connections(sandbox_url: str) -> dict[str, dict[str, object]]:
    """Airflow Connections (as AIRFLOW_CONN_* JSON) pointing every demo account at the sandbox."""
    return {
        spec.conn_id: {
            "conn_type": "http",
            "host": sandbox_url,
            "password": SANDBOX_TOKEN,
            **({"login": spec.login} if spec.login else {}),
        }
        for spec in [*ACCOUNTS, *PLATFORM_ACCOUNTS]
        if spec.conn_id  # exports and public feeds without one need no Connection
    }


def run_demo(
    *, keep_sandbox: bool = False, settings: Settings | None = None, serve: bool = False
) -> int:
    """Everything `make demo` promises; returns a process exit code."""
    from devkit.sandbox.server import SandboxServer

    settings = settings or get_settings()
    url = settings.resolved_database_url
    echo = typer.echo
    echo(f"1/4 database: {url}")
    migrate(url)
    engine = get_engine(url)
    with session_scope(engine) as session:
        seed(session)
        seed_platforms(session)
        n_accounts = len(session.exec(select(Account)).all())
    echo(
        f"    demo trust seeded: {len(SCHOOLS)} schools, {len(TRUST_PEOPLE)} people, "
        f"{n_accounts} accounts"
    )

    staged = stage_exports(
        session_factory=lambda: session_scope(engine), inbox_root=settings.pipeline().inbox_root()
    )
    echo(f"    {staged} group export file(s) dropped into their inboxes")
    with SandboxServer(tokens={SANDBOX_TOKEN}) as sandbox:
        echo(f"2/4 sandbox serving X, Graph, blog feed and Bluesky APIs at {sandbox.url}")
        env = airflow_env(settings, connections=demo_connections(sandbox.url))
        # The sandbox's history is older than a live backfill window: take all of it.
        env["POSTWARDEN_PULL__BACKFILL_DAYS"] = "3650"
        # The demo trust's own supplier contracts (section 8.13), as a trust would configure them.
        env.setdefault("POSTWARDEN_DETECTION__PACKS_DIR", str(DEMO_PACKS))
        # A UK trust: staff phones write day/month; a file that cannot tell is read that way.
        env.setdefault("POSTWARDEN_CONNECTORS__EXPORTS__DATE_ORDER", "dmy")
        log_path = settings.home.resolve() / "logs" / "demo-airflow.log"
        echo(f"3/4 Airflow: migrating its metadata DB (log: {log_path})")
        if run_airflow(["db", "migrate"], env, log_path) != 0:
            echo(f"airflow db migrate failed; see {log_path}", err=True)
            return 1
        echo("    running postwarden_monitor once (`airflow dags test`) ...")
        started = time.monotonic()
        code = run_airflow(["dags", "test", "postwarden_monitor"], env, log_path)
        echo(f"    DAG run finished in {time.monotonic() - started:.1f}s with exit code {code}")
        if code != 0:
            echo(f"the DAG run failed; see {log_path}", err=True)
            return 1
        if keep_sandbox:
            echo(f"sandbox still serving at {sandbox.url}; Ctrl-C to stop")
            _wait_forever()

    with Session(engine) as session:
        items = crud.list_items(session, states=list(ItemState))
        echo(f"4/4 {len(items)} review item(s) open:\n")
        for line in item_lines(session, items):
            echo(line)
        for account in session.exec(select(Account).order_by(Account.id)).all():  # type: ignore[arg-type]
            echo(
                f"    account {account.handle}: {account.state}, {account.posts_pulled} posts, "
                f"{account.reads_spent} reads"
            )
    echo("\nSee them again with: .venv/bin/postwarden review list")
    from devkit.demo.logins import review_demo  # log-ins for every role, then the UI

    return review_demo(settings, serve=serve)


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return
