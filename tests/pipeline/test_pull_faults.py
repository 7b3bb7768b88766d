"""Every platform's faults through the real clients over HTTP, end to end through `pull_account`.

The demo trust (every platform, two staff group exports) is pulled from the sandbox; faults are
injected per endpoint. Whatever happens to one account, the others are stored completely, nothing
half-stored survives, and once the fault clears the next cycle stores exactly the sandbox's set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from connectors.base import Credentials
from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from pipeline import pull
from pipeline.config import PipelineConfig
from postwarden.settings import Settings
from storage import connector_crud
from storage.connector_models import FileStatus, InboxFile, PostExtra, PullFailure
from storage.db import session_scope
from storage.models import Account, AccountState, ItemState, Post, ReviewItem
from tests.support import pipeline_config

TOKEN = "demo-sandbox-token"
X_RIVERSIDE = "1500000000000000002"
FB_PAGE, IG_USER = "104000000000001", "17841400000000002"
BLOG = "https://oakfield.example/blogs/oakfield-news/feed.xml"
BSKY = "did:plc:riversideacademy0001"

# external id -> (sandbox path a fault targets, what the sandbox says a full pull stores)
PATHS = {
    X_RIVERSIDE: f"/2/users/{X_RIVERSIDE}/tweets",
    FB_PAGE: f"/v24.0/{FB_PAGE}/posts",
    IG_USER: f"/v24.0/{IG_USER}/media",
    BLOG: "/blogs/oakfield-news/feed.xml",
    BSKY: "/xrpc/app.bsky.feed.getAuthorFeed",
}


PLATFORMS = {
    X_RIVERSIDE: "x",
    FB_PAGE: "facebook",
    IG_USER: "instagram",
    BLOG: "blog",
    BSKY: "bluesky",
}


def upstream(sb: SandboxServer, external_id: str) -> list[str]:
    """What a complete pull of the account must store, as the sandbox itself lists it."""
    return sb.upstream_ids(PLATFORMS.get(external_id, "x"), external_id)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={TOKEN}, timeout_delay=0.8) as sb:
        yield sb


def _prepare(settings: Settings) -> PipelineConfig:
    engine = settings.engine
    with session_scope(engine) as session:
        demo.seed(session)
        demo.seed_platforms(session)
    cfg = pipeline_config(
        settings,
        pull={"backfill_days": 3650},
        timeout=0.4,
        # A UK trust: a chat whose dates cannot tell day from month is read day first.
        connectors={"exports": {"settle_seconds": 0, "date_order": "dmy"}},
    )
    demo.stage_exports(session_factory=lambda: session_scope(engine), inbox_root=cfg.inbox_root())
    return cfg


@pytest.fixture
def cfg(settings: Settings) -> PipelineConfig:
    return _prepare(settings)


@pytest.fixture
def lite(sqlite_settings: Settings) -> PipelineConfig:
    return _prepare(sqlite_settings)


@pytest.fixture
def creds(sandbox: SandboxServer) -> Callable[[str], Credentials]:
    connections = demo.demo_connections(sandbox.url)

    def lookup(conn_id: str) -> Credentials:
        c = connections[conn_id]
        return Credentials(conn_id, str(c["password"]), host=sandbox.url, login=c.get("login"))  # type: ignore[arg-type]

    return lookup


def pull_all(
    cfg: PipelineConfig, creds: Callable[[str], Credentials]
) -> dict[str, pull.PullResult]:
    out = {}
    for account_id in pull.list_accounts(cfg):
        r = pull.pull_account(account_id, cfg, credentials=creds, retry_base_delay=0.01)
        out[account(cfg, account_id=account_id).external_id] = r
    return out


def account(
    cfg: PipelineConfig, external_id: str | None = None, account_id: int | None = None
) -> Account:
    with Session(cfg.engine) as s:
        if account_id is not None:
            found = s.get(Account, account_id)
            assert found is not None
            return found
        return s.exec(select(Account).where(Account.external_id == external_id)).one()


def stored(cfg: PipelineConfig, external_id: str) -> list[str]:
    acc = account(cfg, external_id)
    with Session(cfg.engine) as s:
        rows = s.exec(select(Post.external_id).where(Post.account_id == acc.id)).all()
    assert len(rows) == len(set(rows)), "a post stored twice"
    return sorted(rows)


def undefer(cfg: PipelineConfig, external_id: str) -> None:
    with session_scope(cfg.engine) as s:
        acc = s.exec(select(Account).where(Account.external_id == external_id)).one()
        acc.deferred_until = None
        s.add(acc)


# --- the whole trust ------------------------------------------------------------------------------


def test_every_platform_is_pulled_completely_and_a_rerun_adds_nothing(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    first = pull_all(cfg, creds)
    assert {r.state for r in first.values()} == {AccountState.OK}
    for external_id in PATHS:
        assert stored(cfg, external_id) == upstream(sandbox, external_id), external_id
    assert len(stored(cfg, "oakfield-staff-room")) == 11
    assert len(stored(cfg, "oakfield-staff-social")) == 4

    second = pull_all(cfg, creds)
    assert sum(r.new for r in second.values()) == 0
    assert second[X_RIVERSIDE].reads == 0, "X bills reads: an idle cycle reads nothing"
    for external_id in PATHS:
        assert stored(cfg, external_id) == upstream(sandbox, external_id)


def test_comments_are_posts_with_their_thread(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    pull_all(cfg, creds)
    with Session(cfg.engine) as s:
        rows = s.exec(
            select(
                Post.external_id,
                PostExtra.kind,
                PostExtra.parent_external_id,
                PostExtra.root_external_id,
            )
            .join(PostExtra, col(PostExtra.post_id) == col(Post.id))
            .where(col(Post.external_id).in_(["2002_3002", "2002_3003", "18000000000000203"]))
            .order_by(col(Post.external_id))
        ).all()
    assert [tuple(map(str, r)) for r in rows] == [
        ("18000000000000203", "reply", "18000000000000202", "17900000000000102"),
        ("2002_3002", "comment", f"{FB_PAGE}_2002", f"{FB_PAGE}_2002"),
        ("2002_3003", "reply", "2002_3002", f"{FB_PAGE}_2002"),
    ]


# --- faults ---------------------------------------------------------------------------------------

MODES = [
    ("429", 1, AccountState.DEFERRED, "rate"),
    ("expired", 1, AccountState.NEEDS_REAUTH, "re-authorisation"),
    ("503", 5, AccountState.FAILED, "TransientError"),
    ("timeout", 5, AccountState.FAILED, "TransientError"),
    ("malformed", 1, AccountState.FAILED, "MalformedPayload"),
    ("500", 1, AccountState.OK, None),  # one blip: the retry absorbs it
]


@pytest.mark.parametrize(
    "target", [FB_PAGE, IG_USER, BLOG, BSKY], ids=["facebook", "instagram", "blog", "bluesky"]
)
@pytest.mark.parametrize(
    ("mode", "times", "state", "error_has"), MODES, ids=[m[0] + f"x{m[1]}" for m in MODES]
)
def test_a_fault_on_one_platform_never_stops_the_others(
    lite: PipelineConfig,
    creds,
    sandbox: SandboxServer,
    target: str,
    mode: str,
    times: int,
    state,
    error_has,
) -> None:
    sandbox.add_fault(PATHS[target], mode, times=times, reset_in=60)
    results = pull_all(lite, creds)
    assert results[target].state == state, results[target]
    hit = account(lite, target)
    if error_has:
        assert error_has.lower() in (hit.last_error or "").lower()
        assert hit.last_error and PATHS[target].split("?")[0].rsplit("/", 1)[-1] in hit.last_error
    for other in PATHS:
        if other != target:
            assert results[other].state == AccountState.OK
            assert stored(lite, other) == upstream(sandbox, other)
    assert {results[g].state for g in ("oakfield-staff-room", "oakfield-staff-social")} == {
        AccountState.OK
    }
    if mode == "malformed":
        with Session(lite.engine) as s:
            (failure,) = s.exec(select(PullFailure).where(PullFailure.account_id == hit.id)).all()
        assert failure.raw and failure.raw_size >= len(failure.raw) and failure.endpoint
        assert stored(lite, target) == [], "no partial page is half-stored"

    sandbox.clear_faults()
    undefer(lite, target)
    again = pull_all(lite, creds)
    assert again[target].state == AccountState.OK
    assert stored(lite, target) == upstream(sandbox, target), "nothing lost"


def test_all_faults_at_once_then_recovery(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    """On both databases: five platforms fail five ways in one cycle; the rest is untouched."""
    faults = {
        X_RIVERSIDE: "429",
        FB_PAGE: "expired",
        IG_USER: "503",
        BLOG: "malformed",
        BSKY: "timeout",
    }
    for external_id, mode in faults.items():
        sandbox.add_fault(PATHS[external_id], mode, times=None)
    results = pull_all(cfg, creds)
    assert {k: results[k].state for k in faults} == {
        X_RIVERSIDE: AccountState.DEFERRED,
        FB_PAGE: AccountState.NEEDS_REAUTH,
        IG_USER: AccountState.FAILED,
        BLOG: AccountState.FAILED,
        BSKY: AccountState.FAILED,
    }
    assert account(cfg, X_RIVERSIDE).deferred_until > datetime.now(UTC)  # type: ignore[operator]
    for fine in ("1500000000000000001", "1500000000000000003"):
        assert stored(cfg, fine) == sorted(t["id"] for t in sandbox.tweets_of(fine))
    assert len(stored(cfg, "oakfield-staff-room")) == 11

    sandbox.clear_faults()
    undefer(cfg, X_RIVERSIDE)
    again = pull_all(cfg, creds)
    assert {again[k].state for k in faults} == {AccountState.OK}
    for external_id in PATHS:
        assert stored(cfg, external_id) == upstream(sandbox, external_id)


def test_graph_usage_near_the_limit_defers_before_graph_refuses(
    lite: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    small = pipeline_config(lite, connectors={"graph": {"page_size": 2}})
    sandbox.app.graph.set_usage(96, regain_minutes=7)
    fb = account(small, FB_PAGE)
    result = pull.pull_account(fb.id, small, credentials=creds)  # type: ignore[arg-type]
    assert result.state == AccountState.DEFERRED and result.pages == 1, "stored the page it had"
    assert sandbox.request_count(PATHS[FB_PAGE]) == 1, "and asked for no more"
    deferred = account(small, FB_PAGE).deferred_until
    assert deferred is not None
    assert timedelta(minutes=6) < deferred - datetime.now(UTC) <= timedelta(minutes=7)
    assert len(stored(small, FB_PAGE)) == 2, "the two newest posts (no comments yet)"


# --- edits and deletions --------------------------------------------------------------------------


def test_an_x_edit_updates_the_stored_post_and_rescans_it(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    pull_all(cfg, creds)
    original = sorted(t["id"] for t in sandbox.tweets_of(X_RIVERSIDE))[0]
    with session_scope(cfg.engine) as s:
        post = s.exec(select(Post).where(Post.external_id == original)).one()
        post_id, post.detected_hash = post.id, post.content_hash  # as if scanned
        s.add(post)
    edited = sandbox.edit_tweet(original, "Edited: a corrected message")
    result = pull.pull_account(account(cfg, X_RIVERSIDE).id, cfg, credentials=creds)  # type: ignore[arg-type]
    assert (result.new, result.changed, result.reads) == (0, 1, 1)
    with Session(cfg.engine) as s:
        post = s.get(Post, post_id)
        assert post is not None
        assert (post.external_id, post.text) == (edited["id"], "Edited: a corrected message")
        assert post.detected_hash != post.content_hash, "detection runs again"
        extra = connector_crud.extra_for(s, post_id=post_id)
    assert extra["edit_history_tweet_ids"] == [original, edited["id"]]
    assert stored(cfg, X_RIVERSIDE) == upstream(sandbox, X_RIVERSIDE)


def test_a_graph_edit_and_a_new_comment_on_a_recent_post_are_seen(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    pull_all(cfg, creds)
    newest = f"{FB_PAGE}_2006"
    sandbox.app.graph.edit(newest, "Reminder: closed on Friday 27th November (INSET day).")
    added = sandbox.app.graph.add_comment(
        {"post_id": newest, "text": "Thanks for the reminder", "id": "2006_3100"}
    )
    result = pull.pull_account(account(cfg, FB_PAGE).id, cfg, credentials=creds)  # type: ignore[arg-type]
    assert (result.new, result.changed) == (1, 1)
    assert added["id"] in stored(cfg, FB_PAGE)


def _open_item(cfg: PipelineConfig, external_id: str) -> None:
    with session_scope(cfg.engine) as s:
        post = s.exec(select(Post).where(Post.external_id == external_id)).one()
        s.add(
            ReviewItem(
                post_id=post.id, severity="high", due_at=datetime.now(UTC) + timedelta(days=1)
            )
        )  # type: ignore[arg-type]


@pytest.mark.parametrize("platform", ["x", "facebook", "bluesky"])
def test_a_post_deleted_upstream_is_marked_and_kept_with_its_review_item(
    cfg: PipelineConfig, creds, sandbox: SandboxServer, platform: str
) -> None:
    pull_all(cfg, creds)
    target, gone = {
        "x": (X_RIVERSIDE, sorted(t["id"] for t in sandbox.tweets_of(X_RIVERSIDE))[0]),
        "facebook": (FB_PAGE, "2002_3002"),
        "bluesky": (BSKY, sandbox.app.bluesky.uris_of(BSKY)[0]),
    }[platform]
    kept = [i for i in stored(cfg, target) if i != gone][0]
    _open_item(cfg, gone)
    _open_item(cfg, kept)
    {
        "x": sandbox.delete_tweet,
        "facebook": sandbox.app.graph.delete,
        "bluesky": sandbox.app.bluesky.delete_post,
    }[platform](gone)
    sandbox.clear_requests()
    pull.pull_account(account(cfg, target).id, cfg, credentials=creds)  # type: ignore[arg-type]
    with Session(cfg.engine) as s:
        deleted = dict(
            s.exec(
                select(Post.external_id, Post.deleted).where(
                    col(Post.external_id).in_([gone, kept])
                )
            ).all()
        )
        items = s.exec(
            select(ReviewItem)
            .join(Post, col(Post.id) == col(ReviewItem.post_id))
            .where(Post.external_id == gone)
        ).all()
    assert deleted == {gone: True, kept: False}
    assert [i.state for i in items] == [ItemState.OPEN], "the review item stays"
    if platform == "x":
        (lookup,) = sandbox.requests("/2/tweets")
        assert set(lookup["query"]["ids"].split(",")) == {gone, kept}, "only posts under review"

    again = pull.pull_account(account(cfg, target).id, cfg, credentials=creds)  # type: ignore[arg-type]
    assert again.state == AccountState.OK
    assert sandbox.request_count("/2/tweets") <= 1, "checked at most once an hour"


# --- group inboxes --------------------------------------------------------------------------------


def test_a_malformed_export_is_quarantined_and_the_rest_ingested(
    cfg: PipelineConfig, creds
) -> None:
    from devkit.sandbox.exports import drop, whatsapp_zip
    from pipeline.pull_steps import default_inbox

    acc = account(cfg, "oakfield-staff-room")
    inbox = default_inbox(cfg.inbox_root(), acc)
    drop(inbox, "WhatsApp Chat - Year 7 (1).zip", whatsapp_zip())
    drop(inbox, "notes.txt", b"shopping list\nmilk\n")
    result = pull.pull_account(acc.id, cfg, credentials=creds)  # type: ignore[arg-type]
    assert result.state == AccountState.OK and result.new == 11 + 7
    pull.pull_account(acc.id, cfg, credentials=creds)  # type: ignore[arg-type]
    with Session(cfg.engine) as s:
        files = {
            f.name: (f.status, f.error)
            for f in s.exec(select(InboxFile)).all()
            if f.account_id == acc.id
        }
    assert files["notes.txt"][0] == FileStatus.QUARANTINED
    assert "line 1 is not a WhatsApp message header" in (files["notes.txt"][1] or "")
    assert (inbox / "quarantine" / "notes.txt").exists()
    assert "not ingested" in (inbox / "quarantine" / "notes.txt.error.txt").read_text()
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "WhatsApp Chat - Year 7 (1).zip",
        "WhatsApp Chat with Oakfield Staff Room.txt",
    ]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


@pytest.mark.parametrize("external_id", [f"{FB_PAGE}_2002", "17900000000000102"])
def test_a_posts_images_are_fetched_through_its_accounts_connector(
    lite: PipelineConfig, creds, sandbox: SandboxServer, external_id: str
) -> None:
    from pipeline.pull_steps import fetch_post_media

    pull_all(lite, creds)
    with Session(lite.engine) as s:
        post_id = s.exec(select(Post.id).where(Post.external_id == external_id)).one()
    media = fetch_post_media(post_id, lite, credentials=creds)  # type: ignore[arg-type]
    assert media and all(
        m.content_type == "image/jpeg" and m.data[:2] == b"\xff\xd8" for m in media
    )
    assert len(media) == {f"{FB_PAGE}_2002": 1, "17900000000000102": 2}[external_id]
