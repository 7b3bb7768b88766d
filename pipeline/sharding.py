"""Accounts split into shards, per platform, for the monitor DAG's mapped pull tasks.

One mapped task per account would make a trust of 10,000 accounts 10,000 task instances a cycle,
each paying Airflow's per-task start-up; one task for everything would serialise the cycle. A
shard is a list of account ids pulled one after another by one task instance. Shards never mix
platforms, so each platform's pull task runs in that platform's own Airflow pool, whose slots
bound how many shards call that platform's API at once.

Nothing here imports Airflow; the DAG passes Airflow's `[core] max_map_length` in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from core.platforms import Platform

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

AIRFLOW_MAX_MAP_LENGTH = 1024  # Airflow's default `[core] max_map_length`
POOL_PREFIX = "postwarden_"


def platforms() -> list[str]:
    """Every platform an account can be on: the DAG gets one pull task (and pool) for each."""
    return [p.value for p in Platform]


def pool_name(platform: str) -> str:
    """The Airflow pool bounding concurrent pulls of one platform."""
    return f"{POOL_PREFIX}{platform}"


def pools(slots: int) -> dict[str, dict[str, object]]:
    """Pools in `airflow pools import` format: one per platform, `slots` each."""
    return {
        pool_name(p): {
            "slots": slots,
            "description": f"Postwarden: concurrent {p} pulls (bounds the API request rate)",
            "include_deferred": False,
        }
        for p in platforms()
    }


def effective_shard_size(n_accounts: int, *, shard_size: int, max_map_length: int) -> int:
    """`shard_size`, raised just enough that the shards of `n_accounts` fit in one mapping."""
    if shard_size < 1 or max_map_length < 1:
        raise ValueError("shard_size and max_map_length must be at least 1")
    return max(shard_size, math.ceil(n_accounts / max_map_length))


def split(
    account_ids: Sequence[int], *, shard_size: int, max_map_length: int = AIRFLOW_MAX_MAP_LENGTH
) -> list[list[int]]:
    """Balanced shards (sizes differ by at most one), ids ascending in each, deterministic."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    size = effective_shard_size(len(ids), shard_size=shard_size, max_map_length=max_map_length)
    n = math.ceil(len(ids) / size)
    return [ids[i::n] for i in range(n)]


def plan(
    accounts: Iterable[tuple[int, str]],
    *,
    shard_size: int,
    max_map_length: int = AIRFLOW_MAX_MAP_LENGTH,
) -> dict[str, list[list[int]]]:
    """(account id, platform) pairs -> shards per platform; every known platform has a key."""
    by_platform: dict[str, list[int]] = {p: [] for p in platforms()}
    for account_id, platform in accounts:
        if platform not in by_platform:
            raise ValueError(f"account {account_id}: unknown platform {platform!r}")
        by_platform[platform].append(account_id)
    return {
        p: split(ids, shard_size=shard_size, max_map_length=max_map_length)
        for p, ids in by_platform.items()
    }


def plan_shards(
    engine: Engine, *, shard_size: int, max_map_length: int = AIRFLOW_MAX_MAP_LENGTH
) -> dict[str, list[list[int]]]:
    """Shards of every pullable account (active, approved: section 4), grouped by platform."""
    from storage import crud
    from storage.db import session_scope

    with session_scope(engine) as session:
        rows = crud.pullable_accounts(session)  # the section 4 rule lives there
    return plan(
        ((i, str(p)) for i, p in rows),
        shard_size=shard_size,
        max_map_length=max_map_length,
    )


def shard_counts(shards: Mapping[str, Sequence[Sequence[int]]]) -> dict[str, int]:
    """Accounts per platform in a plan, for logs (ids stay out of log lines)."""
    return {p: sum(len(s) for s in v) for p, v in shards.items() if v}
