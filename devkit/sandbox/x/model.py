"""X API v2 in the sandbox: user timelines and user lookup, shaped like the real recorded answers.

Served: `GET /2/users/{id}/tweets`, `GET /2/users/{id}`, `GET /2/users/by/username/{username}`.
Like X: ids are snowflake strings (time-ordered), timelines are newest-first, only `id`, `text` and
`edit_history_tweet_ids` come back unless `tweet.fields`/`expansions` ask for more, an empty
timeline is `{"meta": {"result_count": 0}}`, a missing user is a 200 with `errors`, bad parameters
are a 400 with X's `invalid-request` problem body, and every answer carries rate-limit headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The token the demo dataset accepts (also what `postwarden demo` configures): nobody's secret.
DEMO_BEARER_TOKEN = "demo-sandbox-token"  # noqa: S105

TWITTER_EPOCH_MS = 1288834974657  # snowflake time zero (2010-11-04T01:42:54.657Z)
EARLIEST_START_TIME = datetime(2010, 11, 6, tzinfo=UTC)  # X rejects older start_time values
DEFAULT_MAX_RESULTS = 10
RATE_WINDOW_SECONDS = 15 * 60

PROBLEM_INVALID = "https://api.twitter.com/2/problems/invalid-request"
PROBLEM_NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"

# The values X itself accepts; asking for one we do not model returns nothing for it, as X does
# for a field a post lacks. Anything else is X's 400.
TWEET_FIELDS = frozenset(
    "article attachments author_id card_uri community_id context_annotations conversation_id "
    "created_at display_text_range edit_controls edit_history_tweet_ids entities geo id "
    "in_reply_to_user_id lang media_metadata non_public_metrics note_tweet organic_metrics "
    "possibly_sensitive promoted_metrics public_metrics referenced_tweets reply_settings scopes "
    "source text withheld".split()
)
USER_FIELDS = frozenset(
    "affiliation connection_status created_at description entities id location "
    "most_recent_tweet_id name pinned_tweet_id profile_banner_url profile_image_url protected "
    "public_metrics receives_your_dm subscription_type url username verified verified_type "
    "withheld".split()
)
MEDIA_FIELDS = frozenset(
    "alt_text duration_ms height media_key non_public_metrics organic_metrics preview_image_url "
    "promoted_metrics public_metrics type url variants width".split()
)
TIMELINE_EXPANSIONS = frozenset(
    "article.cover_media article.media_entities attachments.media_keys "
    "attachments.media_source_tweet attachments.poll_ids author_id edit_history_tweet_ids "
    "entities.mentions.username geo.place_id in_reply_to_user_id entities.note.mentions.username "
    "referenced_tweets.id referenced_tweets.id.attachments.media_keys "
    "referenced_tweets.id.author_id".split()
)
USER_EXPANSIONS = frozenset({"pinned_tweet_id", "most_recent_tweet_id", "affiliation.user_id"})
EXCLUDE_VALUES = frozenset({"retweets", "replies"})
TIMELINE_PARAMS = frozenset(
    "end_time exclude expansions max_results media.fields pagination_token place.fields "
    "poll.fields since_id start_time tweet.fields until_id user.fields".split()
)
USER_PARAMS = frozenset({"expansions", "tweet.fields", "user.fields"})
RATE_LIMITS = {"users_tweets": 1500, "users": 300, "tweets": 900}
MEDIA_TYPES = frozenset({"photo", "video", "animated_gif"})
REFERENCE_TYPES = frozenset({"retweeted", "quoted", "replied_to"})
ID_RE = re.compile(r"^[0-9]{1,19}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
PAGE_KEY_PREFIX = "7140dib"  # X's next_tokens are opaque lowercase base36; ours decode to an id


# --- snowflakes --------------------------------------------------------------------------------


def snowflake_ms(tweet_id: str | int) -> int:
    """Unix milliseconds encoded in a snowflake id (the top 41 bits)."""
    return (int(tweet_id) >> 22) + TWITTER_EPOCH_MS


def make_snowflake(at: datetime, sequence: int = 0) -> int:
    """A snowflake for `at`: time in the high bits, worker 1 and `sequence` in the low 22."""
    ms = int(at.timestamp() * 1000)
    if ms < TWITTER_EPOCH_MS:
        raise ValueError(f"{at.isoformat()} is before X's snowflake epoch")
    return ((ms - TWITTER_EPOCH_MS) << 22) | (1 << 12) | (sequence & 0xFFF)


def iso_ms(value: datetime) -> str:
    """X's timestamp format: UTC, milliseconds, `Z`."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XMedia:
    media_key: str
    type: str
    url: str | None = None
    preview_image_url: str | None = None
    alt_text: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None

    def record(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    def render(self, fields: frozenset[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"media_key": self.media_key, "type": self.type}
        for name in ("url", "preview_image_url", "alt_text", "width", "height", "duration_ms"):
            value = getattr(self, name)
            if name in fields and value is not None:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class XUser:
    id: str
    username: str
    name: str
    created_at: datetime
    description: str = ""
    location: str | None = None
    url: str | None = None
    profile_image_url: str | None = None
    verified: bool = False
    protected: bool = False
    public_metrics: Mapping[str, int] | None = None

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "created_at": iso_ms(self.created_at),
            "description": self.description,
            "verified": self.verified,
            "protected": self.protected,
        }
        for name in ("location", "url", "profile_image_url", "public_metrics"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    def render(self, fields: frozenset[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "username": self.username}
        record = self.record()
        for name in fields - {"id", "name", "username"}:
            if name in record:
                out[name] = record[name]
        return out


@dataclass(frozen=True, slots=True)
class XTweet:
    id: str
    author_id: str
    text: str
    created_at: datetime
    lang: str = "en"
    media: tuple[XMedia, ...] = ()
    referenced_tweets: tuple[tuple[str, str], ...] = ()  # (type, id)
    edit_history_tweet_ids: tuple[str, ...] = ()
    public_metrics: Mapping[str, int] | None = None
    note: str | None = (
        None  # why the demo has this post (e.g. which policy it breaches); never served
    )

    def ref(self, kind_: str) -> str | None:
        return next((i for t, i in self.referenced_tweets if t == kind_), None)

    def record(self) -> dict[str, Any]:
        """The dataset form (what `/_sandbox/x/users/{id}/tweets` lists)."""
        out: dict[str, Any] = {
            "id": self.id,
            "author_id": self.author_id,
            "created_at": iso_ms(self.created_at),
            "text": self.text,
            "lang": self.lang,
            "edit_history_tweet_ids": list(self.edit_history_tweet_ids),
        }
        if self.media:
            out["media"] = [m.record() for m in self.media]
        if self.referenced_tweets:
            out["referenced_tweets"] = [{"type": t, "id": i} for t, i in self.referenced_tweets]
        if self.public_metrics is not None:
            out["public_metrics"] = dict(self.public_metrics)
        if self.note:
            out["note"] = self.note
        return out
