"""X (Twitter) API v2 connector: one account's own timeline via tweepy, newest first.

X pages a timeline newest-first and `since_id` filters every page, so the cursor must not move to
the newest id until the whole sweep down to the old `since_id` is stored: otherwise page 2 (asked
with the advanced cursor) or the next cycle after a crash would skip the older, unread posts.
`XCursor` therefore carries the floor (`since_id`), how far the sweep has read (`until_id`) and
the newest id it has stored (`newest_id`), which becomes the floor when the sweep completes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
import tweepy
from pydantic import Field

from connectors.base import (
    Access,
    AccountRef,
    ConnectorConfig,
    ConnectorPlugin,
    Credentials,
    Cursor,
    Lookup,
    Page,
    PulledPost,
)
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.http import Media, RewritingSession, download, media_url
from connectors.links import unshorten_all
from connectors.x_cursor import XCursor, floor_id, max_id
from connectors.x_payload import TweetReader, full_text, snowflake_time
from connectors.x_redaction import (  # re-exported: tests and older importers
    REDACTED,
    RedactAuthorization,
    install_log_redaction,
    redact,
)
from core.platforms import Platform

X_HOST = "https://api.twitter.com"  # hard-coded in tweepy's BaseClient.request
EARLIEST_START_TIME = datetime(2010, 11, 6, tzinfo=UTC)  # X rejects an older start_time
RATE_LIMIT_FALLBACK = timedelta(minutes=15)  # X's window, when a 429 lacks its reset header

TWEET_FIELDS = [
    "created_at",
    "author_id",
    "edit_history_tweet_ids",
    "attachments",
    "referenced_tweets",
    "conversation_id",
    "lang",
    "entities",  # t.co links' expanded and unwound URLs, link cards
    "note_tweet",  # the whole text of a post over 280 characters
]
EXPANSIONS = [
    "author_id",
    "attachments.media_keys",
    "referenced_tweets.id",  # retweeted and quoted posts, whole, in includes.tweets
    "referenced_tweets.id.author_id",
]
MEDIA_FIELDS = ["url", "alt_text", "type", "preview_image_url"]
USER_FIELDS = ["username"]

_DIGITS = re.compile(r"^[0-9]{1,19}$")


# --- HTTP ---------------------------------------------------------------------------------------


class _XSession(RewritingSession):
    """Sends tweepy's fixed `https://api.twitter.com` to `base_url`, with a timeout tweepy omits."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(base_url, timeout, hosts=(X_HOST,))


def _api_messages(exc: tweepy.HTTPException) -> str:
    status = getattr(exc.response, "status_code", "?")
    detail = "; ".join(str(m) for m in exc.api_messages)
    return f"HTTP {status}" + (f": {detail}" if detail else "")


# --- the connector ------------------------------------------------------------------------------


class XConnector:
    """One X account's own posts (`GET /2/users/{id}/tweets`), app-only bearer auth."""

    platform: ClassVar[str] = "x"
    cursor_type: ClassVar[type[Cursor]] = XCursor
    # X bills every post a lookup returns: only posts with an open review item are re-checked.
    deletion_window: ClassVar[timedelta | None] = None
    LOOKUP_BATCH: ClassVar[int] = 100  # ids per GET /2/tweets

    def __init__(
        self,
        credentials: Credentials,
        *,
        user_id: str,
        base_url: str = X_HOST,
        max_results: int = 100,
        start_time: datetime | None = None,
        timeout: float = 10.0,
        media_max_bytes: int = 10 * 1024 * 1024,
        expand_links: bool = True,
    ) -> None:
        if not _DIGITS.match(user_id):
            raise ValueError(f"X user_id must be a numeric id string, got {user_id!r}")
        if not 5 <= max_results <= 100:
            raise ValueError(f"X max_results must be 5..100, got {max_results}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if start_time is not None:
            if start_time.tzinfo is None:
                raise ValueError("start_time must be timezone-aware")
            start_time = max(start_time.astimezone(UTC), EARLIEST_START_TIME)
        self.user_id = user_id
        self.base_url = base_url.rstrip("/")
        self.max_results = max_results
        self.start_time = start_time
        self.timeout = timeout
        self.media_max_bytes = media_max_bytes
        self.expand_links = expand_links
        self.endpoint = f"GET /2/users/{user_id}/tweets"
        install_log_redaction()
        self._client = tweepy.Client(bearer_token=credentials.secret, return_type=dict)
        self._client.session = _XSession(self.base_url, timeout)

    def __repr__(self) -> str:
        return f"XConnector(user_id={self.user_id!r}, base_url={self.base_url!r})"

    # -- pure --------------------------------------------------------------------------------

    def request(self, cursor: XCursor, page_token: str | None) -> Mapping[str, Any]:
        """kwargs for `tweepy.Client.get_users_tweets`; every page of a sweep keeps the floor."""
        kwargs: dict[str, Any] = {
            "id": self.user_id,
            "max_results": self.max_results,
            "tweet_fields": list(TWEET_FIELDS),
            "expansions": list(EXPANSIONS),
            "media_fields": list(MEDIA_FIELDS),
            "user_fields": list(USER_FIELDS),
        }
        if cursor.since_id is not None:
            kwargs["since_id"] = cursor.since_id
        elif self.start_time is not None:
            kwargs["start_time"] = self.start_time
        if page_token:
            kwargs["pagination_token"] = page_token
        elif cursor.until_id is not None:
            kwargs["until_id"] = cursor.until_id  # resuming a sweep a previous cycle left
        return kwargs

    def parse_page(self, payload: Any) -> Page:
        """X's JSON -> posts; anything structurally unexpected is a `MalformedPayload`."""
        if not isinstance(payload, Mapping):
            raise self._malformed(
                f"payload is {type(payload).__name__}, expected an object", payload
            )
        errors = payload.get("errors")
        if errors is not None and not isinstance(errors, list):
            raise self._malformed("`errors` is not a list", payload)
        if "data" not in payload and errors:
            details = "; ".join(
                str(e.get("detail") or e.get("message") or e) if isinstance(e, Mapping) else str(e)
                for e in errors
            )
            raise self._malformed(f"X answered errors and no data: {details}", payload)
        data = payload.get("data", [])
        if not isinstance(data, list):
            raise self._malformed(
                f"`data` is {type(data).__name__}, expected a list of tweets", payload
            )
        meta = payload.get("meta", {})
        if not isinstance(meta, Mapping):
            raise self._malformed("`meta` is not an object", payload)
        next_token = meta.get("next_token")
        if next_token is not None and not (isinstance(next_token, str) and next_token):
            raise self._malformed("`meta.next_token` is not a non-empty string", payload)
        reader = TweetReader(payload, self.endpoint)
        posts = tuple(self._post(i, t, reader) for i, t in enumerate(data))
        page_meta = dict(meta)
        if errors:
            page_meta["errors"] = list(errors)  # partial errors, e.g. a deleted quoted tweet
        return Page(posts=posts, next_page=next_token, reads=len(data), meta=page_meta)

    def advance(self, cursor: XCursor, page: Page) -> XCursor:
        """The cursor once `page` is stored; `since_id` moves only when the sweep is complete."""
        ids = [int(p.external_id) for p in page.posts]
        newest = max_id(cursor.newest_id, str(max(ids)) if ids else None)
        floor = cursor.since_id
        if floor is None and self.start_time is not None:
            floor = floor_id(self.start_time)  # so a resumed first sweep keeps its backfill limit
        if page.next_page:
            if not ids:
                return cursor
            return XCursor(since_id=floor, until_id=str(min(ids)), newest_id=newest)
        return XCursor(since_id=max_id(floor, newest))

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        """One page over HTTP; every failure becomes a `ConnectorError` naming the endpoint.

        Shortened links X did not unwind (`expanded_url` on bit.ly and the like, no
        `unwound_url`) are walked here and handed to `parse_page` as `_unwound`."""
        payload = self._call(self._client.get_users_tweets, request, self.endpoint)
        if self.expand_links and isinstance(payload, dict):
            payload["_unwound"] = unshorten_all(
                self._client.session, _short_links(payload), timeout=self.timeout
            )
        return payload

    def lookup(self, external_ids: Sequence[str]) -> Lookup:
        """Which stored posts X no longer has (`GET /2/tweets?ids=`, 100 a call).

        Only X's resource-not-found error counts as deleted: a suspended or protected author's
        post is hidden, not gone. Every post returned is a billed read.
        """
        missing: set[str] = set()
        reads = requests_made = 0
        for start in range(0, len(external_ids), self.LOOKUP_BATCH):
            batch = list(external_ids[start : start + self.LOOKUP_BATCH])
            payload = self._call(self._client.get_tweets, {"ids": batch}, "GET /2/tweets")
            requests_made += 1
            if not isinstance(payload, Mapping):
                raise self._malformed("lookup answer is not an object", payload)
            data = payload.get("data") or []
            reads += len(data) if isinstance(data, list) else 0
            for error in payload.get("errors") or []:
                if (
                    isinstance(error, Mapping)
                    and str(error.get("type", "")).endswith("/resource-not-found")
                    and error.get("resource_id") in batch
                ):
                    missing.add(str(error["resource_id"]))
        return Lookup(missing=frozenset(missing), reads=reads, requests=requests_made)

    def fetch_media(self, url: str) -> Media:
        """An attached image's bytes (`pbs.twimg.com`), capped, through this connector's session."""
        session = self._client.session
        assert isinstance(session, RewritingSession)
        return download(session, media_url(session, url), max_bytes=self.media_max_bytes)

    def _call(self, method: Any, request: Mapping[str, Any], endpoint: str) -> Any:
        try:
            return method(**request)
        except tweepy.TooManyRequests as exc:
            reset_at = (
                datetime.fromtimestamp(exc.reset_time, UTC)
                if isinstance(exc.reset_time, int) and exc.reset_time > 0
                else datetime.now(UTC) + RATE_LIMIT_FALLBACK
            )
            raise RateLimited(
                f"X rate limit reached ({_api_messages(exc)}); resets at {reset_at.isoformat()}",
                reset_at=reset_at,
                endpoint=endpoint,
            ) from exc
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            raise AuthExpired(
                f"X refused the bearer token ({_api_messages(exc)})", endpoint=endpoint
            ) from exc
        except tweepy.TwitterServerError as exc:
            raise TransientError(
                f"X server error ({_api_messages(exc)})", endpoint=endpoint
            ) from exc
        except tweepy.HTTPException as exc:
            raise ConnectorError(
                f"X rejected the request ({_api_messages(exc)})", endpoint=endpoint
            ) from exc
        except requests.JSONDecodeError as exc:
            raise MalformedPayload(
                f"X answered invalid JSON: {exc.msg} at char {exc.pos}",
                raw=exc.doc if isinstance(exc.doc, str | bytes) else b"",
                endpoint=endpoint,
            ) from exc
        except requests.Timeout as exc:
            raise TransientError(
                f"X did not answer within {self.timeout}s", endpoint=endpoint
            ) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(
                f"cannot reach X at {self.base_url}: {type(exc).__name__}", endpoint=endpoint
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(
                f"request to X failed: {type(exc).__name__}: {exc}", endpoint=endpoint
            ) from exc

    # -- helpers -------------------------------------------------------------------------------

    def _malformed(self, problem: str, payload: Any) -> MalformedPayload:
        return MalformedPayload.from_payload("X", problem, payload, endpoint=self.endpoint)

    def _post(self, i: int, tweet: Any, reader: TweetReader) -> PulledPost:
        where = f"data[{i}]"
        if not isinstance(tweet, Mapping):
            raise reader.malformed(f"{where} is {type(tweet).__name__}, expected an object")
        tweet_id = tweet.get("id")
        if not (isinstance(tweet_id, str) and _DIGITS.match(tweet_id)):
            raise reader.malformed(f"{where}.id is missing or not an id string: {tweet_id!r}")
        where = f"data[{i}] (id {tweet_id})"
        text, extra = reader.text_and_parts(tweet, where)

        raw_created = tweet.get("created_at")
        if raw_created is None:
            # Only when tweet.fields lacked created_at (e.g. recorded fixtures): ids carry time.
            created_at = snowflake_time(tweet_id)
            if created_at is None:
                raise reader.malformed(f"{where} has no created_at and a pre-snowflake id")
            extra["created_at_source"] = "snowflake"
        else:
            try:
                created_at = (
                    datetime.fromisoformat(raw_created) if isinstance(raw_created, str) else None
                )
            except ValueError:
                created_at = None
            if created_at is None or created_at.tzinfo is None:
                raise reader.malformed(
                    f"{where}.created_at {raw_created!r} is not an ISO 8601 UTC timestamp"
                )
            created_at = created_at.astimezone(UTC)

        author_id = tweet.get("author_id")
        if author_id is not None and not isinstance(author_id, str):
            raise reader.malformed(f"{where}.author_id is not a string")
        raw_name = reader.users.get(author_id, {}).get("username") if author_id else None
        if raw_name is not None and not isinstance(raw_name, str):
            raise reader.malformed(f"includes.users[{author_id}].username is not a string")
        username = reader.username(author_id)

        history = tweet.get("edit_history_tweet_ids", [tweet_id])
        if not (isinstance(history, list) and all(isinstance(h, str) for h in history)):
            raise reader.malformed(f"{where}.edit_history_tweet_ids is not a list of ids")
        extra["edit_history_tweet_ids"] = list(history)
        if len(history) > 1 and history[-1] == tweet_id:
            extra["previous_ids"] = list(history[:-1])  # an edit: the stored post is renamed
        for name in ("lang", "conversation_id"):
            if isinstance(tweet.get(name), str):
                extra[name] = tweet[name]

        url = (
            f"https://x.com/{username}/status/{tweet_id}"
            if username
            else f"https://x.com/i/web/status/{tweet_id}"
        )
        return PulledPost(
            external_id=tweet_id,
            text=text,
            created_at=created_at,
            author_id=author_id,
            author_handle=username,
            url=url,
            extra=extra,
        )


def _short_links(payload: Mapping[str, Any]) -> list[str]:
    """Every `expanded_url` of a page (its posts and their includes) X did not unwind."""
    tweets = list(payload.get("data") or [])
    includes = payload.get("includes")
    if isinstance(includes, Mapping):
        tweets += list(includes.get("tweets") or [])
    found = []
    for tweet in tweets:
        if not isinstance(tweet, Mapping):
            continue
        _, entities = full_text(tweet)
        found += [
            e["expanded_url"]
            for e in entities
            if isinstance(e.get("expanded_url"), str) and not e.get("unwound_url")
        ]
    return found


# --- plug-in ------------------------------------------------------------------------------------


class XConfig(ConnectorConfig):
    api_base_url: str = Field(
        default=X_HOST, description="X API host; a Connection's host overrides it per account."
    )
    max_results: int = Field(default=100, ge=5, le=100, description="Tweets per X page.")


def build(account: AccountRef, credentials: Credentials | None, config: XConfig) -> XConnector:
    if credentials is None:
        raise ValueError("an X account needs a Connection holding its bearer token")
    return XConnector(
        credentials,
        user_id=account.external_id,
        base_url=credentials.host or config.api_base_url,
        max_results=config.max_results,
        start_time=account.start_time,
        timeout=config.timeout_seconds,
        media_max_bytes=config.media_max_bytes,
        expand_links=config.expand_links,
    )


PLUGIN = ConnectorPlugin(platform=Platform.X, config_type=XConfig, access=Access.TOKEN, build=build)

__all__ = ["REDACTED", "RedactAuthorization", "XConfig", "XConnector", "XCursor", "redact"]
