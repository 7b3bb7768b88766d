"""The end of `make demo`: a log-in for every demo person (every role), printed with its password,
then the review UI serving until Ctrl-C.

Demo passwords are fixed and printed on purpose: the demo trust is fictional and the UI listens on
127.0.0.1 only. A real trust creates log-ins with `postwarden users create` or single sign-on.
"""

from __future__ import annotations

import socket

import typer
from sqlmodel import select

from postwarden.settings import Settings
from review.domain.users import create_user
from review.web.deps import ROLE_LABELS
from storage.db import session_scope
from storage.models import Person, Role
from storage.review_crud import user_for_person

ROLE_ORDER = [
    Role.IT_DIRECTOR,
    Role.HEADTEACHER,
    Role.DSL,
    Role.STAFF,
    Role.CLUSTER_LEAD,
    Role.EXECUTIVE,
    Role.CEO,
    Role.TRUSTEE,
]
WHAT_THEY_SEE = {
    Role.IT_DIRECTOR: "every item; IT set-up (accounts, people, roster, audit log)",
    Role.HEADTEACHER: "their school's escalations",
    Role.DSL: "their school's items that identify pupils (8.4/8.5)",
    Role.STAFF: "items of the accounts they created (sections 4, 12)",
    Role.CLUSTER_LEAD: "posts by or about a Headteacher (section 5)",
    Role.EXECUTIVE: "items of accounts they created",
    Role.CEO: "posts by or about the Executive Team (section 5)",
    Role.TRUSTEE: "posts by or about the CEO (section 5)",
}


def demo_password(person: Person) -> str:
    """Memorable and printed: '<first name>-demo-2026' (at least 12 characters)."""
    return f"{person.name.split()[0].lower()}-demo-2026"


def ensure_logins(settings: Settings) -> list[tuple[Person, str | None]]:
    """A password log-in for every demo person who has an e-mail; idempotent. Inactive people
    are listed with None: they cannot sign in."""

    out: list[tuple[Person, str | None]] = []
    with session_scope(settings.engine) as session:
        people = session.exec(select(Person).order_by(Person.id)).all()  # type: ignore[arg-type]
        for person in people:
            if not person.email:
                continue
            if not person.active:
                out.append((person, None))
                continue
            if user_for_person(session, person_id=person.id) is None:  # type: ignore[arg-type]
                create_user(session, person=person, password=demo_password(person))
            out.append((person, demo_password(person)))
    return sorted(out, key=lambda pair: (ROLE_ORDER.index(pair[0].role), pair[0].name))


def _port(host: str, wanted: int) -> int:
    """The configured port, or a free one when something else holds it."""
    with socket.socket() as s:
        try:
            s.bind((host, wanted))
            return wanted
        except OSError:
            s.bind((host, 0))
            return int(s.getsockname()[1])


def review_demo(settings: Settings, *, serve: bool) -> int:
    """Print the log-ins; then serve the UI until Ctrl-C when asked to."""
    echo = typer.echo
    logins = ensure_logins(settings)
    port = _port(settings.web.host, settings.web.port)
    url = f"http://{settings.web.host}:{port}"
    echo("\nReview UI log-ins (demo only, every role):\n")
    echo(f"  {'role':30} {'name':16} {'e-mail (log-in)':34} password")
    for person, password in logins:
        role = ROLE_LABELS[person.role]
        shown = password or "(inactive: cannot sign in)"
        echo(f"  {role:30} {person.name:16} {person.email or '':34} {shown}")
    echo(
        "\n  What each sees: "
        + "; ".join(f"{ROLE_LABELS[r]}: {w}" for r, w in WHAT_THEY_SEE.items())
    )
    if not serve:
        echo(f"\nStart the review UI with: .venv/bin/postwarden serve  (then open {url}/)")
        return 0

    import uvicorn

    from review.web.app import create_app

    review = settings.review.model_copy(update={"base_url": url})
    app = create_app(settings.model_copy(update={"review": review}))
    echo(f"\n==> Review UI running at {url}/  — sign in with a log-in above. Ctrl-C to stop.\n")
    try:
        uvicorn.run(app, host=settings.web.host, port=port, log_level="warning")
    except KeyboardInterrupt:
        pass
    return 0
