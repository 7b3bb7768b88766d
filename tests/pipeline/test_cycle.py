"""The cycle end to end through real tweepy over HTTP to the sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from connectors.base import Credentials
from core.findings import Finding, Severity
from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from pipeline import pull, scan
from pipeline.config import PipelineConfig
from postwarden.settings import Settings
from storage.db import session_scope
from storage.models import Account, AccountState, ItemState, Person, Post, ReviewEvent, ReviewItem
from tests.support import pipeline_config

TOKEN = "test-token"
OAKFIELD, RIVERSIDE, HUGHES, DRAMA = (f"150000000000000000{i}" for i in range(1, 5))


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={TOKEN}, timeout_delay=1.0) as sb:
        yield sb


@pytest.fixture
def cfg(settings: Settings) -> PipelineConfig:
    """The demo trust seeded; the whole sandbox history inside the backfill window."""
    with session_scope(settings.engine) as session:
        demo.seed(session)
    return pipeline_config(settings, pull={"backfill_days": 3650}, timeout=0.5)


@pytest.fixture
def creds(sandbox: SandboxServer):  # type: ignore[no-untyped-def]
    def lookup(conn_id: str) -> Credentials:
        return Credentials(conn_id=conn_id, secret=TOKEN, host=sandbox.url)

    return lookup


def _session(cfg: PipelineConfig) -> Session:
    return Session(cfg.engine)


def _account(cfg: PipelineConfig, external_id: str) -> Account:
    with _session(cfg) as s:
        return s.exec(select(Account).where(Account.external_id == external_id)).one()


def _stored_ids(cfg: PipelineConfig, external_id: str) -> list[str]:
    account = _account(cfg, external_id)
    with _session(cfg) as s:
        rows = s.exec(select(Post.external_id).where(Post.account_id == account.id)).all()
    return sorted(rows)


def _upstream_ids(sandbox: SandboxServer, user_id: str) -> list[str]:
    return sorted(t["id"] for t in sandbox.tweets_of(user_id))


def _pull_all(cfg: PipelineConfig, creds, **kw) -> list[pull.PullResult]:  # type: ignore[no-untyped-def]
    kw.setdefault("retry_base_delay", 0.01)
    return [pull.pull_account(i, cfg, credentials=creds, **kw) for i in pull.list_accounts(cfg)]


def test_pulls_every_approved_account_and_never_the_unapproved(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    results = _pull_all(cfg, creds)
    assert [r.state for r in results] == [AccountState.OK] * 3
    for user in (OAKFIELD, RIVERSIDE, HUGHES):
        assert _stored_ids(cfg, user) == _upstream_ids(sandbox, user)
    assert _stored_ids(cfg, DRAMA) == []
    assert sandbox.request_count(f"/2/users/{DRAMA}") == 0, "section 4: never even asked"


def test_a_rerun_stores_nothing_twice_and_reads_only_what_is_new(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    first = _pull_all(cfg, creds)
    before = {u: _stored_ids(cfg, u) for u in (OAKFIELD, RIVERSIDE, HUGHES)}
    second = _pull_all(cfg, creds)
    assert sum(r.new for r in first) == sum(len(v) for v in before.values()) > 0
    assert [r.new for r in second] == [0, 0, 0]
    assert [r.reads for r in second] == [0, 0, 0], "since_id asks only for newer posts"
    assert {u: _stored_ids(cfg, u) for u in before} == before

    new = sandbox.add_tweet(OAKFIELD, "Reminder: school closes at 1pm on Friday.")
    third = _pull_all(cfg, creds)
    assert [r.new for r in third] == [1, 0, 0]
    assert _stored_ids(cfg, OAKFIELD) == sorted([*before[OAKFIELD], new["id"]])


def test_a_sweep_cut_short_resumes_where_it_stopped(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    small = pipeline_config(
        cfg, pull={"max_pages_per_cycle": 1}, connectors={"x": {"max_results": 5}}
    )
    upstream = _upstream_ids(sandbox, OAKFIELD)
    assert len(upstream) > 10, "the demo timeline needs several pages of five"
    account_id = _account(cfg, OAKFIELD).id
    cycles = 0
    while _stored_ids(cfg, OAKFIELD) != upstream:
        cycles += 1
        assert cycles <= len(upstream), "the sweep must make progress every cycle"
        result = pull.pull_account(account_id, small, credentials=creds)
        assert result.state == AccountState.OK
    assert cycles == -(-len(upstream) // 5)
    with _session(cfg) as s:
        assert len(s.exec(select(Post).where(Post.account_id == account_id)).all()) == len(upstream)


@pytest.mark.parametrize(
    ("mode", "times", "state", "error_has"),
    [
        ("429", 1, AccountState.DEFERRED, "rate"),
        ("expired", 1, AccountState.NEEDS_REAUTH, "re-authorisation"),
        ("503", 5, AccountState.FAILED, "TransientError"),
        ("timeout", 5, AccountState.FAILED, "TransientError"),
        ("malformed", 1, AccountState.FAILED, "MalformedPayload"),
        ("503", 1, AccountState.OK, None),  # one blip: the retry absorbs it
    ],
)
def test_a_fault_on_one_account_never_stops_the_others(
    cfg: PipelineConfig, creds, sandbox: SandboxServer, mode: str, times: int, state, error_has
) -> None:
    sandbox.add_fault(f"/2/users/{RIVERSIDE}/tweets", mode, times=times)
    results = {r.account_id: r for r in _pull_all(cfg, creds, retry_attempts=3)}
    riverside = _account(cfg, RIVERSIDE)
    assert results[riverside.id].state == state
    assert riverside.state == state
    if error_has:
        assert error_has.lower() in (riverside.last_error or "").lower()
        assert f"/2/users/{RIVERSIDE}/tweets" in (riverside.last_error or "")
    for user in (OAKFIELD, HUGHES):
        assert _stored_ids(cfg, user) == _upstream_ids(sandbox, user)
        assert _account(cfg, user).state == AccountState.OK

    if state == AccountState.DEFERRED:
        assert riverside.deferred_until and riverside.deferred_until > datetime.now(UTC)
        again = pull.pull_account(riverside.id, cfg, credentials=creds)  # type: ignore[arg-type]
        assert again.state == AccountState.DEFERRED and again.pages == 0
        return
    sandbox.clear_faults()
    _pull_all(cfg, creds)
    assert _stored_ids(cfg, RIVERSIDE) == _upstream_ids(sandbox, RIVERSIDE), "nothing lost"


def test_a_missing_connection_marks_the_account_for_reauthorisation(cfg: PipelineConfig) -> None:
    from pipeline.credentials import MissingConnection

    def nothing(conn_id: str) -> Credentials:
        raise MissingConnection(f"no Airflow Connection {conn_id!r}")

    results = _pull_all(cfg, nothing)
    assert {r.state for r in results} == {AccountState.NEEDS_REAUTH}
    assert "x_oakfield_primary" in (_account(cfg, OAKFIELD).last_error or "")


class KeywordStack:
    """A deterministic stand-in for the detector stack: flags 'Year' high, '@' low."""

    def __init__(self, explode_on: str | None = None) -> None:
        self.explode_on = explode_on
        self.batches: list[int] = []

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.batches.append(len(texts))
        if self.explode_on and any(self.explode_on in t for t in texts):
            raise RuntimeError("hostile text")
        out = []
        for t in texts:
            found = []
            if (i := t.find("Year")) >= 0:
                found.append(Finding("PUPIL", i, i + 4, 0.9, "8.4", Severity.HIGH, "year", "kw"))
            if (j := t.find("@")) >= 0:
                found.append(Finding("HANDLE", j, j + 1, 0.5, "8.7", Severity.LOW, "at", "kw"))
            out.append(found)
        return out


def test_scan_opens_one_item_per_flagged_post_routed_per_policy(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    _pull_all(cfg, creds)
    stack = KeywordStack()
    result = scan.scan_pending(cfg, stack=stack)
    with _session(cfg) as s:
        posts = s.exec(select(Post)).all()
        flagged = {p.id for p in posts if "Year" in (p.text or "")}
        items = s.exec(select(ReviewItem)).all()
        assert result.scanned == len(posts)
        assert {i.post_id for i in items} == flagged, "low-only posts open nothing"
        people = {p.id: p for p in s.exec(select(Person)).all()}
        for item in items:
            post = s.get(Post, item.post_id)
            account = s.get(Account, post.account_id)  # type: ignore[union-attr]
            reviewer = people[item.assignee_id]  # type: ignore[index]
            expected = {
                "OakfieldPrimary": "Priya Shah",  # the creator
                "RiversideAcad": "Dana Okafor",  # creator has left
                "MrHughesPE": "Dana Okafor",  # the creator wrote it himself
            }[account.handle]  # type: ignore[union-attr]
            assert reviewer.name == expected, item.route_reason
            assert item.severity == "high" and item.state == ItemState.OPEN
        assert len(s.exec(select(ReviewEvent)).all()) == len(items)
    again = scan.scan_pending(cfg, stack=stack)
    assert (again.scanned, again.items_opened) == (0, 0), "nothing unscanned is left"


def test_a_post_that_breaks_a_detector_does_not_stop_the_batch(
    cfg: PipelineConfig, creds, sandbox: SandboxServer
) -> None:
    sandbox.add_tweet(OAKFIELD, "<script>alert(1)</script> BOOM Year 3 \u202e\u200b\x00")
    _pull_all(cfg, creds)
    result = scan.scan_pending(cfg, stack=KeywordStack(explode_on="BOOM"))
    with _session(cfg) as s:
        total = len(s.exec(select(Post)).all())
    assert len(result.failed_post_ids) == 1
    assert result.scanned == total - 1
