"""Request-scoped pieces every route uses: settings, a database session, the signed-in person,
templates and flash messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from postwarden.settings import Settings
from review.domain import render as render_text
from review.web import security
from storage.db import get_engine
from storage.models import ItemState, Person, Role
from storage.review_crud import audit
from storage.review_models import UserAccount
from storage.types import utcnow

TEMPLATES = Path(__file__).parent / "templates"

ROLE_LABELS = {
    Role.IT_DIRECTOR: "Director of IT",
    Role.HEADTEACHER: "Headteacher",
    Role.CLUSTER_LEAD: "Cluster Lead",
    Role.EXECUTIVE: "Executive Team",
    Role.CEO: "CEO",
    Role.TRUSTEE: "Trustee",
    Role.DSL: "Designated Safeguarding Lead",
    Role.STAFF: "Staff",
}
STATE_LABELS = {
    ItemState.OPEN: "Open",
    ItemState.ESCALATED: "Escalated",
    ItemState.DISMISSED: "Dismissed",
    ItemState.RESOLVED: "Resolved",
}


ACTION_LABELS = {
    "opened": "opened the item",
    "reopened": "reopened it (the post changed)",
    "severity_raised": "raised the severity",
    "dsl_alerted": "alerted the safeguarding lead",
    "overdue_escalated": "passed it on (overdue)",
    "escalated": "escalated",
    "referred": "recorded a referral",
    "dismissed": "dismissed it",
    "resolved": "resolved it",
    "comment": "commented",
}


class LoginRequired(Exception):
    """No valid session: pages redirect to the log-in page, other requests get 401."""


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; handlers commit what they change, anything else is rolled back."""
    settings: Settings = request.app.state.settings
    with Session(get_engine(settings.resolved_database_url), expire_on_commit=False) as session:
        yield session


Db = Annotated[Session, Depends(get_db)]
Cfg = Annotated[Settings, Depends(get_settings_dep)]


def current_user(request: Request, db: Db, settings: Cfg) -> Person:
    """The signed-in, active person; every session check happens here, on every request."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        raise LoginRequired
    user = db.get(UserAccount, uid)
    login_at = request.session.get("login_at", 0)
    expired = not isinstance(login_at, int | float) or (
        datetime.fromtimestamp(login_at, UTC) + timedelta(hours=settings.web.session_hours)
        < utcnow()
    )
    if (
        user is None
        or not user.active
        or request.session.get("epoch") != user.session_epoch
        or expired
    ):
        request.session.clear()
        raise LoginRequired
    person = db.get(Person, user.person_id)
    if person is None or not person.active:
        request.session.clear()
        raise LoginRequired
    request.state.user = person
    return person


User = Annotated[Person, Depends(current_user)]


def current_login(request: Request, db: Db, user: User) -> UserAccount:
    """The signed-in person's log-in (for pages about the log-in itself)."""
    login = db.get(UserAccount, request.session.get("uid"))
    if login is None:
        raise LoginRequired
    return login


Login = Annotated[UserAccount, Depends(current_login)]


def commit_audited(
    db: Session,
    *,
    actor: Person,
    action: str,
    object_type: str,
    object_id: int | None,
    detail: str = "",
) -> None:
    """Record who did what in the audit log and commit it with the change itself: a change is
    either made and on record, or neither."""
    audit(
        db,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    db.commit()


def require_it(user: User) -> Person:
    """IT pages: the Director of IT only."""
    if user.role != Role.IT_DIRECTOR:
        raise HTTPException(403, "Only the Director of IT may use the IT pages.")
    return user


ItUser = Annotated[Person, Depends(require_it)]


# --- templates ---------------------------------------------------------------------------------


def _ago(at: datetime | None) -> str:
    if at is None:
        return "—"
    delta = utcnow() - at
    future = delta.total_seconds() < 0
    secs = abs(int(delta.total_seconds()))
    if secs < 90:
        text = "a minute" if secs >= 45 else "moments"
    elif secs < 5400:
        text = f"{secs // 60} minutes"
    elif secs < 129600:
        text = f"{secs // 3600} hours"
    else:
        text = f"{secs // 86400} days"
    return f"in {text}" if future else f"{text} ago"


def _when(at: datetime | None) -> str:
    return at.strftime("%d %b %Y, %H:%M UTC") if at else "—"


def _snippet(text: str | None, limit: int = 160) -> tuple[render_text.Token, ...]:
    """The start of a post as inert tokens (see review.domain.render)."""
    text = text or ""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return render_text.tokens(cut)


def _qs(filters: dict[str, Any], **changes: Any) -> str:
    """The queue's query string with some filters changed (empty values left out)."""
    merged = {**filters, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every variable escaped; post text is never marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = _ago
    env.filters["when"] = _when
    env.filters["tokens"] = _snippet
    env.globals["qs"] = _qs
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    env.globals["STATE_LABELS"] = STATE_LABELS
    env.globals["ACTION_LABELS"] = ACTION_LABELS
    return env


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.jinja
    user = getattr(request.state, "user", None)
    ctx = {
        "request": request,
        "user": user,
        "csrf_token": security.csrf_token(request),
        "flash": pop_flash(request),
        "now": utcnow(),
        **(context or {}),
    }
    return HTMLResponse(env.get_template(template).render(ctx), status_code=status)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = [kind, message[:500]]


def pop_flash(request: Request) -> tuple[str, str] | None:
    value = request.session.pop("flash", None) if "flash" in request.session else None
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return None


def roster_key(settings: Settings) -> tuple[bytes | None, str | None]:
    """The roster key, or None and why not (unset, or too short)."""
    try:
        key = settings.roster_key_bytes
    except ValueError as exc:
        return None, str(exc)
    if key is None:
        return None, (
            "POSTWARDEN_ROSTER_KEY is not set for the review UI, so rosters cannot be imported "
            "here (only keyed hashes of names are stored, and the key makes them)."
        )
    return key, None
