"""The demo trust: two schools, every role, four X accounts (one unapproved), one cycle via Airflow.

Seeding is idempotent, so `make demo` can be run again: a second cycle pulls nothing new (the
cursors moved) and opens nothing twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import typer
from sqlmodel import Session, select

from postwarden.airflow_env import airflow_env, run_airflow
from postwarden.settings import Settings, get_settings
from storage import crud
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

# Ben Fox has left Riverside: his account's items go to the Director of IT. Owen Hughes posts as
# MrHughesPE himself, so he may not review those posts (section 5).
INACTIVE = {"b.fox@riverside.example"}
HANDLES = {"o.hughes@oakfield.example": [(Platform.X, "MrHughesPE")]}

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
    for spec in ACCOUNTS:
        account = crud.create_account(
            session,
            platform=Platform.X,
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


def demo_connections(sandbox_url: str) -> dict[str, dict[str, object]]:
    """Airflow Connections (as AIRFLOW_CONN_* JSON) pointing every demo account at the sandbox."""
    return {
        spec.conn_id: {"conn_type": "http", "host": sandbox_url, "password": SANDBOX_TOKEN}
        for spec in ACCOUNTS
    }


def run_demo(*, keep_sandbox: bool = False, settings: Settings | None = None) -> int:
    """Everything `make demo` promises; returns a process exit code."""
    from postwarden.cli import print_items
    from postwarden.sandbox.server import SandboxServer

    settings = settings or get_settings()
    url = settings.resolved_database_url
    echo = typer.echo
    echo(f"1/4 database: {url}")
    migrate(url)
    engine = get_engine(url)
    with session_scope(engine) as session:
        seed(session)
        n_accounts = len(session.exec(select(Account)).all())
    echo(
        f"    demo trust seeded: {len(SCHOOLS)} schools, {len(TRUST_PEOPLE)} people, "
        f"{n_accounts} accounts"
    )

    with SandboxServer(tokens={SANDBOX_TOKEN}) as sandbox:
        echo(f"2/4 sandbox serving X API v2 at {sandbox.url}")
        env = airflow_env(settings, connections=demo_connections(sandbox.url))
        # The sandbox's history is older than a live backfill window: take all of it.
        env["POSTWARDEN_BACKFILL_DAYS"] = "3650"
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
        print_items(session, items)
        for account in session.exec(select(Account).order_by(Account.id)).all():  # type: ignore[arg-type]
            echo(
                f"    account {account.handle}: {account.state}, {account.posts_pulled} posts, "
                f"{account.reads_spent} reads"
            )
    echo("\nSee them again with: .venv/bin/postwarden review list")
    return 0


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return
