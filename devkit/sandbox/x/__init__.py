"""X API v2 in the sandbox, by job: `model` (ids, users, posts), `records` (the dataset),
`query` (parameters), `rendering` (what X sends back), `api` (routes and state)."""

from devkit.sandbox.x.api import XApi
from devkit.sandbox.x.model import (
    DEMO_BEARER_TOKEN,
    TWITTER_EPOCH_MS,
    iso_ms,
    make_snowflake,
    snowflake_ms,
)

__all__ = [
    "DEMO_BEARER_TOKEN",
    "TWITTER_EPOCH_MS",
    "XApi",
    "iso_ms",
    "make_snowflake",
    "snowflake_ms",
]
