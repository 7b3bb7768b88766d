"""Sharding: every pullable account in exactly one shard of its platform, within Airflow's limit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import pull, sharding
from postwarden.settings import Settings
from storage import crud
from storage.db import session_scope
from storage.models import AccountKind, Platform, Role
from tests.support import pipeline_config


@given(
    ids=st.lists(st.integers(min_value=1, max_value=10**6), max_size=3000),
    size=st.integers(min_value=1, max_value=200),
    limit=st.integers(min_value=1, max_value=64),
)
def test_split_covers_every_id_once_in_balanced_shards_within_the_map_limit(
    ids: list[int], size: int, limit: int
) -> None:
    shards = sharding.split(ids, shard_size=size, max_map_length=limit)
    flat = [i for s in shards for i in s]
    assert sorted(flat) == sorted(set(ids))
    assert len(shards) <= limit
    if shards:
        sizes = [len(s) for s in shards]
        assert max(sizes) - min(sizes) <= 1, "balanced"
        assert max(sizes) <= max(size, -(-len(set(ids)) // limit))
        assert all(s == sorted(s) for s in shards)


@pytest.mark.parametrize(
    ("n", "size", "limit", "shards"),
    [(0, 50, 1024, 0), (1, 50, 1024, 1), (50, 50, 1024, 1), (51, 50, 1024, 2),
     (10_000, 50, 1024, 200), (60_000, 50, 1024, 1017), (60_000, 100, 1024, 600)],
)  # fmt: skip
def test_shard_counts(n: int, size: int, limit: int, shards: int) -> None:
    assert len(sharding.split(range(1, n + 1), shard_size=size, max_map_length=limit)) == shards


def test_plan_groups_by_platform_and_names_every_platform() -> None:
    plan = sharding.plan([(1, "x"), (2, "facebook"), (3, "x"), (4, "x")], shard_size=2)
    assert set(plan) == {p.value for p in Platform}
    assert plan["x"] == [[1, 4], [3]] and plan["facebook"] == [[2]] and plan["bluesky"] == []
    with pytest.raises(ValueError, match="unknown platform 'myspace'"):
        sharding.plan([(9, "myspace")], shard_size=2)
    with pytest.raises(ValueError):
        sharding.split([1], shard_size=0)


def test_plan_shards_takes_only_active_approved_accounts(settings: Settings) -> None:
    with session_scope(settings.engine) as s:
        head = crud.create_person(s, name="Head", role=Role.HEADTEACHER)
        made = {}
        for n, (platform, approved, active) in enumerate(
            [
                (Platform.X, True, True),
                (Platform.X, True, True),
                (Platform.X, False, True),
                (Platform.FACEBOOK, True, True),
                (Platform.FACEBOOK, True, False),
                (Platform.BLUESKY, True, True),
            ]
        ):
            a = crud.create_account(
                s,
                platform=platform,
                external_id=str(100 + n),
                handle=f"h{n}",
                kind=AccountKind.OFFICIAL,
                conn_id=f"c{n}",
            )
            if approved:
                crud.approve_account(s, account=a, headteacher=head, on=date(2026, 9, 1))
            a.active = active
            made[n] = a.id
    plan = sharding.plan_shards(settings.engine, shard_size=1, max_map_length=1024)
    assert plan["x"] == [[made[0]], [made[1]]]
    assert plan["facebook"] == [[made[3]]] and plan["bluesky"] == [[made[5]]]
    assert sorted(i for v in plan.values() for s in v for i in s) == pull.list_accounts(
        settings.pipeline()
    )
    assert sharding.shard_counts(plan) == {"x": 2, "facebook": 1, "bluesky": 1}


def test_pools_one_per_platform_in_airflow_import_format(settings: Settings) -> None:
    pools = sharding.pools(3)
    assert set(pools) == {f"postwarden_{p.value}" for p in Platform}
    assert all(p["slots"] == 3 and p["description"] for p in pools.values())


def test_pull_shard_looks_each_connection_up_once_and_survives_a_missing_one(
    sqlite_settings: Settings,
) -> None:
    from connectors.base import Credentials
    from devkit.demo import run as demo
    from devkit.sandbox.server import SandboxServer
    from pipeline.credentials import MissingConnection

    with session_scope(sqlite_settings.engine) as s:
        demo.seed(s)
    cfg = pipeline_config(sqlite_settings, pull={"backfill_days": 3650})
    lookups: list[str] = []
    with SandboxServer(tokens={"t"}) as sandbox:

        def creds(conn_id: str) -> Credentials:
            lookups.append(conn_id)
            if conn_id == "x_riverside_academy":
                raise MissingConnection("gone")
            return Credentials(conn_id=conn_id, secret="t", host=sandbox.url)

        ids = pull.list_accounts(cfg)
        result = pull.pull_shard(ids + ids, cfg, credentials=creds)
    assert (result.accounts, result.ok, result.failed) == (6, 4, 2)
    assert sorted(lookups) == sorted(
        ["x_oakfield_primary", "x_mrhughes_pe", "x_riverside_academy", "x_riverside_academy"]
    ), "found once per shard; a missing one is asked again"
