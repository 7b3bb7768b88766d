"""X API v2 in the sandbox: user timelines and user lookup, shaped like the real recorded answers.

Served: `GET /2/users/{id}/tweets`, `GET /2/users/{id}`, `GET /2/users/by/username/{username}`.
Like X: ids are snowflake strings (time-ordered), timelines are newest-first, only `id`, `text` and
`edit_history_tweet_ids` come back unless `tweet.fields`/`expansions` ask for more, an empty
timeline is `{"meta": {"result_count": 0}}`, a missing user is a 200 with `errors`, bad parameters
are a 400 with X's `invalid-request` problem body, and every answer carries rate-limit headers.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from devkit.sandbox.dataset import (
    DatasetError,
    kind,
    need_digits,
    need_list,
    need_object,
    need_str,
    need_timestamp,
    unknown_keys,
)
from devkit.sandbox.routing import Request, Response, Route, json_response

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


@dataclass(frozen=True, slots=True)
class _Query:
    """A validated timeline query."""

    max_results: int = DEFAULT_MAX_RESULTS
    since_id: int | None = None
    until_id: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    older_than: int | None = None  # from pagination_token
    exclude: frozenset[str] = frozenset()
    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    media_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()


@dataclass(slots=True)
class _ParamErrors:
    """X reports every bad parameter at once, in one 400."""

    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, value: str, message: str) -> None:
        self.errors.append({"parameters": {name: [value]}, "message": message})

    def response(self) -> Response:
        return json_response(
            400,
            {
                "errors": self.errors,
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": PROBLEM_INVALID,
            },
        )


# --- parsing dataset records (also the control API's POST bodies) ------------------------------

USER_KEYS = frozenset(
    "id username name created_at description location url profile_image_url verified protected "
    "public_metrics".split()
)
TWEET_KEYS = frozenset(
    "id author_id created_at text lang media referenced_tweets edit_history_tweet_ids "
    "public_metrics note".split()
)
MEDIA_KEYS = frozenset(
    "media_key type url preview_image_url alt_text width height duration_ms".split()
)


def _opt_str(obj: Mapping[str, Any], key: str, where: str, source: str) -> str | None:
    if obj.get(key) is None:
        return None
    return need_str(obj, key, where, source)


def _opt_bool(obj: Mapping[str, Any], key: str, where: str, source: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise DatasetError(source, f"{where}.{key}: expected true or false, got {kind(value)}")
    return value


def _opt_int(obj: Mapping[str, Any], key: str, where: str, source: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DatasetError(source, f"{where}.{key}: expected a whole number >= 0, got {value!r}")
    return value


def _metrics(obj: Mapping[str, Any], where: str, source: str) -> Mapping[str, int] | None:
    raw = obj.get("public_metrics")
    if raw is None:
        return None
    metrics = need_object(raw, f"{where}.public_metrics", source)
    for key in metrics:
        _opt_int(metrics, key, f"{where}.public_metrics", source)
    return dict(metrics)


def parse_user(obj: Any, where: str, source: str) -> XUser:
    obj = need_object(obj, where, source)
    unknown_keys(obj, USER_KEYS, where, source)
    user_id = need_digits(obj, "id", where, source)
    username = need_str(obj, "username", where, source)
    if not USERNAME_RE.match(username):
        raise DatasetError(
            source, f"{where}.username: {username!r} is not an X username (1-15 of A-Z a-z 0-9 _)"
        )
    created = (
        need_timestamp(obj, "created_at", where, source)
        if "created_at" in obj
        else datetime.fromtimestamp(snowflake_ms(user_id) / 1000, UTC)
    )
    return XUser(
        id=user_id,
        username=username,
        name=need_str(obj, "name", where, source),
        created_at=created,
        description=_opt_str(obj, "description", where, source) or "",
        location=_opt_str(obj, "location", where, source),
        url=_opt_str(obj, "url", where, source),
        profile_image_url=_opt_str(obj, "profile_image_url", where, source),
        verified=_opt_bool(obj, "verified", where, source),
        protected=_opt_bool(obj, "protected", where, source),
        public_metrics=_metrics(obj, where, source),
    )


def parse_media(obj: Any, where: str, source: str) -> XMedia:
    obj = need_object(obj, where, source)
    unknown_keys(obj, MEDIA_KEYS, where, source)
    media_type = need_str(obj, "type", where, source)
    if media_type not in MEDIA_TYPES:
        raise DatasetError(
            source, f"{where}.type: {media_type!r} is not one of {', '.join(sorted(MEDIA_TYPES))}"
        )
    return XMedia(
        media_key=need_str(obj, "media_key", where, source),
        type=media_type,
        url=_opt_str(obj, "url", where, source),
        preview_image_url=_opt_str(obj, "preview_image_url", where, source),
        alt_text=_opt_str(obj, "alt_text", where, source),
        width=_opt_int(obj, "width", where, source),
        height=_opt_int(obj, "height", where, source),
        duration_ms=_opt_int(obj, "duration_ms", where, source),
    )


def parse_tweet(obj: Any, where: str, source: str, users: Mapping[str, XUser]) -> XTweet:
    """One tweet; its id must be the snowflake of its `created_at`, as on X (to the second)."""
    obj = need_object(obj, where, source)
    unknown_keys(obj, TWEET_KEYS, where, source)
    tweet_id = need_digits(obj, "id", where, source)
    author_id = need_digits(obj, "author_id", where, source)
    if author_id not in users:
        raise DatasetError(source, f"{where}.author_id: no user with id {author_id}")
    created = need_timestamp(obj, "created_at", where, source)
    encoded = snowflake_ms(tweet_id)
    if abs(encoded - created.timestamp() * 1000) >= 1000:
        raise DatasetError(
            source,
            f"{where}.id: {tweet_id} encodes {iso_ms(datetime.fromtimestamp(encoded / 1000, UTC))}"
            f" but created_at is {iso_ms(created)}; X ids are snowflakes of their time "
            f"(for that created_at use e.g. {make_snowflake(created)})",
        )
    media = tuple(
        parse_media(m, f"{where}.media[{i}]", source)
        for i, m in enumerate(need_list(obj.get("media", []), f"{where}.media", source))
    )
    refs: list[tuple[str, str]] = []
    for i, raw in enumerate(
        need_list(obj.get("referenced_tweets", []), f"{where}.referenced_tweets", source)
    ):
        ref_where = f"{where}.referenced_tweets[{i}]"
        ref = need_object(raw, ref_where, source)
        ref_type = need_str(ref, "type", ref_where, source)
        if ref_type not in REFERENCE_TYPES:
            raise DatasetError(
                source,
                f"{ref_where}.type: {ref_type!r} is not one of "
                f"{', '.join(sorted(REFERENCE_TYPES))}",
            )
        refs.append((ref_type, need_digits(ref, "id", ref_where, source)))
    history_raw = obj.get("edit_history_tweet_ids", [tweet_id])
    history = need_list(history_raw, f"{where}.edit_history_tweet_ids", source)
    if (
        not history
        or not all(isinstance(h, str) and ID_RE.match(h) for h in history)
        or history[-1] != tweet_id
        or [int(h) for h in history] != sorted({int(h) for h in history})
    ):
        raise DatasetError(
            source,
            f"{where}.edit_history_tweet_ids: must be increasing id strings ending with the "
            f"tweet's own id {tweet_id}, got {history_raw!r}",
        )
    lang = obj.get("lang", "en")
    if not isinstance(lang, str) or not lang:
        raise DatasetError(source, f"{where}.lang: expected a language code, got {kind(lang)}")
    return XTweet(
        id=tweet_id,
        author_id=author_id,
        text=need_str(obj, "text", where, source),
        created_at=created,
        lang=lang,
        media=media,
        referenced_tweets=tuple(refs),
        edit_history_tweet_ids=tuple(history),
        public_metrics=_metrics(obj, where, source),
        note=_opt_str(obj, "note", where, source),
    )


# --- the platform --------------------------------------------------------------------------------


class XApi:
    """The X platform of the sandbox: state, public routes, control routes and error shapes."""

    name = "x"

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._lock = threading.RLock()
        self._extra_tokens = frozenset(tokens)
        self._tokens: frozenset[str] = self._extra_tokens
        self._users: dict[str, XUser] = {}
        self._tweets: dict[str, XTweet] = {}
        self._superseded: dict[str, XTweet] = {}  # earlier versions of edited posts
        self._windows: dict[str, tuple[float, int]] = {}

    # -- data -------------------------------------------------------------------------------

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        """Replace users, tweets and tokens from the dataset's `x` section (checked whole first)."""
        section = need_object(section or {}, "x", source)
        unknown_keys(section, frozenset({"bearer_tokens", "users", "tweets"}), "x", source)
        tokens = need_list(section.get("bearer_tokens", []), "x.bearer_tokens", source)
        for i, token in enumerate(tokens):
            if not isinstance(token, str) or not token.strip():
                raise DatasetError(source, f"x.bearer_tokens[{i}]: expected a non-empty string")
        users: dict[str, XUser] = {}
        names: set[str] = set()
        for i, raw in enumerate(need_list(section.get("users", []), "x.users", source)):
            user = parse_user(raw, f"x.users[{i}]", source)
            if user.id in users:
                raise DatasetError(source, f"x.users[{i}].id: duplicate user id {user.id}")
            if user.username.lower() in names:
                raise DatasetError(source, f"x.users[{i}].username: duplicate {user.username!r}")
            users[user.id] = user
            names.add(user.username.lower())
        tweets: dict[str, XTweet] = {}
        media_keys: set[str] = set()
        for i, raw in enumerate(need_list(section.get("tweets", []), "x.tweets", source)):
            tweet = parse_tweet(raw, f"x.tweets[{i}]", source, users)
            if tweet.id in tweets:
                raise DatasetError(source, f"x.tweets[{i}].id: duplicate tweet id {tweet.id}")
            for m in tweet.media:
                if m.media_key in media_keys:
                    raise DatasetError(
                        source, f"x.tweets[{i}].media: duplicate media_key {m.media_key!r}"
                    )
                media_keys.add(m.media_key)
            tweets[tweet.id] = tweet
        with self._lock:
            self._tokens = frozenset(tokens) | self._extra_tokens
            self._users = users
            self._tweets = tweets
            self._superseded = {}
            self._windows = {}

    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [u.record() for u in self._users.values()]

    def tweets_of(self, user_id: str) -> list[dict[str, Any]]:
        """Everything the user has posted, newest first (what a complete pull must store)."""
        with self._lock:
            if user_id not in self._users:
                raise KeyError(f"no X user with id {user_id}")
            mine = [t for t in self._tweets.values() if t.author_id == user_id]
        return [t.record() for t in sorted(mine, key=lambda t: int(t.id), reverse=True)]

    def add_tweet(self, record: Mapping[str, Any], source: str = "add_tweet") -> dict[str, Any]:
        """Post a tweet; `id` defaults to a fresh snowflake of `created_at` (default: now, or just
        after the newest post if the clock is behind the dataset)."""
        record = dict(need_object(record, "tweet", source))
        with self._lock:
            if "author_id" not in record and isinstance(record.get("username"), str):
                wanted = record.pop("username").lower()
                match = [u.id for u in self._users.values() if u.username.lower() == wanted]
                if not match:
                    raise DatasetError(source, f"tweet.username: no user {wanted!r}")
                record["author_id"] = match[0]
            created_raw = record.get("created_at")
            if created_raw is None:
                # "Now", but never before the newest post: a new post must be the newest even
                # when this machine's clock is behind the dataset's (fixed) dates.
                newest = max((t.created_at for t in self._tweets.values()), default=None)
                created = datetime.now(UTC).replace(microsecond=0)
                if newest is not None and created <= newest:
                    created = newest.replace(microsecond=0) + timedelta(seconds=1)
                record["created_at"] = iso_ms(created)
            elif isinstance(created_raw, datetime):
                created = created_raw.astimezone(UTC)
                record["created_at"] = iso_ms(created)
            else:
                created = need_timestamp(record, "created_at", "tweet", source)
            if record.get("id") is None:
                sequence = 0
                while str(make_snowflake(created, sequence)) in self._tweets:
                    sequence += 1
                record["id"] = str(make_snowflake(created, sequence))
                if "edit_history_tweet_ids" not in record:
                    record["edit_history_tweet_ids"] = [record["id"]]
            tweet = parse_tweet(record, "tweet", source, self._users)
            if tweet.id in self._tweets:
                raise DatasetError(source, f"tweet.id: {tweet.id} already exists")
            self._tweets[tweet.id] = tweet
            return tweet.record()

    def edit_tweet(self, tweet_id: str, text: str) -> dict[str, Any]:
        """An edit as X makes it: a new post (new id, now) listing every earlier version's id;
        the timeline shows only the newest, a lookup still finds the old ones."""
        with self._lock:
            old = self._tweets.get(tweet_id)
            if old is None:
                raise DatasetError("edit_tweet", f"no current tweet with id {tweet_id}")
            newest = max(t.created_at for t in self._tweets.values())
            created = max(datetime.now(UTC), newest + timedelta(seconds=1)).replace(microsecond=0)
            sequence = 0
            while str(make_snowflake(created, sequence)) in self._tweets:
                sequence += 1
            new_id = str(make_snowflake(created, sequence))
            edited = XTweet(
                id=new_id,
                author_id=old.author_id,
                text=text,
                created_at=created,
                lang=old.lang,
                media=old.media,
                referenced_tweets=old.referenced_tweets,
                edit_history_tweet_ids=(*(old.edit_history_tweet_ids or (old.id,)), new_id),
            )
            self._superseded[old.id] = self._tweets.pop(old.id)
            self._tweets[new_id] = edited
            return edited.record()

    def delete_tweet(self, tweet_id: str) -> bool:
        with self._lock:
            return self._tweets.pop(tweet_id, None) is not None

    # -- routing ----------------------------------------------------------------------------

    def owns(self, path: str) -> bool:
        return path.startswith("/2/")

    def routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/2/users/by/username/{username}", self._get_user_by_username),
            Route.of("GET", "/2/users/{user_id}/tweets", self._get_users_tweets),
            Route.of("GET", "/2/users/{user_id}", self._get_user),
            Route.of("GET", "/2/tweets", self._get_tweets),
        ]

    def control_routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/_sandbox/x/users", self._ctl_users),
            Route.of("GET", "/_sandbox/x/users/{user_id}/tweets", self._ctl_tweets_of),
            Route.of("POST", "/_sandbox/x/tweets", self._ctl_add_tweet),
            Route.of("DELETE", "/_sandbox/x/tweets/{tweet_id}", self._ctl_delete_tweet),
        ]

    def not_found(self, request: Request) -> Response:
        return json_response(
            404,
            {
                "errors": [{"message": "The requested resource could not be found."}],
                "title": "Not Found Error",
                "detail": f"Sorry, that page does not exist: {request.path}",
                "type": PROBLEM_NOT_FOUND,
            },
        )

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        """X's own problem bodies: `about:blank` with title/detail/status."""
        titles = {
            "429": (429, "Too Many Requests"),
            "500": (500, "Internal Server Error"),
            "503": (503, "Service Unavailable"),
            "expired": (401, "Unauthorized"),
        }
        status, title = titles[mode]
        headers: dict[str, str] = {}
        if status == 429:
            headers = {
                "x-rate-limit-limit": str(RATE_LIMITS["users_tweets"]),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time()) + reset_in),
            }
        return json_response(
            status,
            {"title": title, "detail": title, "type": "about:blank", "status": status},
            headers,
        )

    # -- public endpoints -------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        value = request.header("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return scheme == "Bearer" and token.strip() in self._tokens

    def _rate_headers(self, bucket: str) -> dict[str, str]:
        """Real X sends its window on every answer; ours counts down but never refuses."""
        now = time.time()
        with self._lock:
            start, used = self._windows.get(bucket, (now, 0))
            if now - start >= RATE_WINDOW_SECONDS:
                start, used = now, 0
            used += 1
            self._windows[bucket] = (start, used)
        limit = RATE_LIMITS[bucket]
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, limit - used)),
            "x-rate-limit-reset": str(math.ceil(start + RATE_WINDOW_SECONDS)),
        }

    def _get_users_tweets(self, request: Request, user_id: str) -> Response:
        if not self._authorised(request):
            return self.fault_response("expired", reset_in=0)
        errors = _ParamErrors()
        if not ID_RE.match(user_id):
            errors.add(
                "id",
                user_id,
                f"The `id` query parameter value [{user_id}] does not match ^[0-9]{{1,19}}$",
            )
        query = _parse_timeline_query(request, errors)
        if errors.errors:
            return errors.response()
        headers = self._rate_headers("users_tweets")
        with self._lock:
            if user_id not in self._users:
                return json_response(200, {"errors": [_not_found("user", "id", user_id)]}, headers)
            payload = self._timeline(user_id, query)
        return json_response(200, payload, headers)

    def _get_user(self, request: Request, user_id: str) -> Response:
        return self._user_lookup(request, "id", user_id, lambda u: u.id == user_id)

    def _get_user_by_username(self, request: Request, username: str) -> Response:
        wanted = username.lower()
        return self._user_lookup(
            request, "username", username, lambda u: u.username.lower() == wanted
        )

    def _user_lookup(self, request: Request, param: str, value: str, match: Any) -> Response:
        if not self._authorised(request):
            return self.fault_response("expired", reset_in=0)
        errors = _ParamErrors()
        pattern = ID_RE if param == "id" else USERNAME_RE
        if not pattern.match(value):
            errors.add(
                param,
                value,
                f"The `{param}` query parameter value [{value}] does not match {pattern.pattern}",
            )
        _unknown_params(request, USER_PARAMS, errors)
        user_fields = _field_list(request, "user.fields", USER_FIELDS, errors)
        _field_list(request, "tweet.fields", TWEET_FIELDS, errors)
        _field_list(request, "expansions", USER_EXPANSIONS, errors)
        if errors.errors:
            return errors.response()
        headers = self._rate_headers("users")
        with self._lock:
            user = next((u for u in self._users.values() if match(u)), None)
        if user is None:
            return json_response(200, {"errors": [_not_found("user", param, value)]}, headers)
        return json_response(200, {"data": user.render(user_fields)}, headers)

    def _timeline(self, user_id: str, q: _Query) -> dict[str, Any]:
        """Filter, page newest-first and expand, as X does (call with the lock held)."""
        matching = []
        for t in self._tweets.values():
            n = int(t.id)
            if t.author_id != user_id:
                continue
            if q.since_id is not None and n <= q.since_id:
                continue
            if q.until_id is not None and n >= q.until_id:
                continue
            if q.older_than is not None and n >= q.older_than:
                continue
            if q.start_time is not None and t.created_at < q.start_time:
                continue
            if q.end_time is not None and t.created_at >= q.end_time:
                continue
            if "retweets" in q.exclude and t.ref("retweeted"):
                continue
            if "replies" in q.exclude and t.ref("replied_to"):
                continue
            matching.append(t)
        matching.sort(key=lambda t: int(t.id), reverse=True)
        page, more = matching[: q.max_results], len(matching) > q.max_results
        if not page:
            return {"meta": {"result_count": 0}}
        payload: dict[str, Any] = {"data": [self._render(t, q) for t in page]}
        includes, errors = self._includes(page, q)
        if includes:
            payload["includes"] = includes
        if errors:
            payload["errors"] = errors
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": page[0].id,
            "oldest_id": page[-1].id,
        }
        if more:
            meta["next_token"] = PAGE_KEY_PREFIX + _base36(int(page[-1].id))
        payload["meta"] = meta
        return payload

    def _render(self, t: XTweet, q: _Query, *, expand: bool = True) -> dict[str, Any]:
        f, e = q.tweet_fields, (q.expansions if expand else frozenset())
        out: dict[str, Any] = {
            "id": t.id,
            "text": t.text,
            "edit_history_tweet_ids": list(t.edit_history_tweet_ids),
        }
        if "created_at" in f:
            out["created_at"] = iso_ms(t.created_at)
        if "author_id" in f or "author_id" in e:
            out["author_id"] = t.author_id
        if "conversation_id" in f:
            out["conversation_id"] = self._conversation_id(t)
        if "lang" in f:
            out["lang"] = t.lang
        if t.media and ("attachments" in f or "attachments.media_keys" in e):
            out["attachments"] = {"media_keys": [m.media_key for m in t.media]}
        if t.referenced_tweets and ("referenced_tweets" in f or "referenced_tweets.id" in e):
            out["referenced_tweets"] = [{"type": k, "id": i} for k, i in t.referenced_tweets]
        parent = self._tweets.get(t.ref("replied_to") or "")
        if "in_reply_to_user_id" in f and parent is not None:
            out["in_reply_to_user_id"] = parent.author_id
        if "possibly_sensitive" in f:
            out["possibly_sensitive"] = False
        if "reply_settings" in f:
            out["reply_settings"] = "everyone"
        if "public_metrics" in f:
            out["public_metrics"] = dict(
                t.public_metrics
                or {
                    "retweet_count": 0,
                    "reply_count": 0,
                    "like_count": 0,
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": 0,
                }
            )
        if "edit_controls" in f:
            out["edit_controls"] = {
                "edits_remaining": max(0, 5 - (len(t.edit_history_tweet_ids) - 1)),
                "is_edit_eligible": True,
                "editable_until": iso_ms(t.created_at + timedelta(hours=1)),
            }
        return out

    def _conversation_id(self, t: XTweet) -> str:
        seen: set[str] = set()
        while (parent_id := t.ref("replied_to")) and parent_id in self._tweets:
            if parent_id in seen:
                break
            seen.add(parent_id)
            t = self._tweets[parent_id]
        return t.ref("replied_to") or t.id

    def _includes(
        self, page: list[XTweet], q: _Query
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        includes: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        if "attachments.media_keys" in q.expansions:
            media = [m.render(q.media_fields) for t in page for m in t.media]
            if media:
                includes["media"] = media
        if "author_id" in q.expansions:
            authors = dict.fromkeys(t.author_id for t in page)
            includes["users"] = [self._users[a].render(q.user_fields) for a in authors]
        if "referenced_tweets.id" in q.expansions:
            found: dict[str, XTweet] = {}
            for t in page:
                for _, ref_id in t.referenced_tweets:
                    if ref_id in self._tweets:
                        found.setdefault(ref_id, self._tweets[ref_id])
                    elif not any(e["resource_id"] == ref_id for e in errors):
                        errors.append(_not_found("tweet", "referenced_tweets.id", ref_id))
            if found:
                includes["tweets"] = [self._render(t, q, expand=False) for t in found.values()]
        return includes, errors

    # -- control endpoints ------------------------------------------------------------------

    def _ctl_users(self, request: Request) -> Response:
        return json_response(200, {"data": self.users()})

    def _ctl_tweets_of(self, request: Request, user_id: str) -> Response:
        try:
            return json_response(200, {"data": self.tweets_of(user_id)})
        except KeyError:
            return json_response(404, {"error": f"no X user with id {user_id}"})

    def _ctl_add_tweet(self, request: Request) -> Response:
        source = "POST /_sandbox/x/tweets"
        try:
            record = self.add_tweet(request.json(), source)
        except ValueError as exc:  # DatasetError is a ValueError
            return json_response(400, {"error": str(exc)})
        return json_response(201, {"data": record})

    def _get_tweets(self, request: Request) -> Response:
        """`GET /2/tweets?ids=`: found posts in `data`, missing ones as resource-not-found."""
        if not self._authorised(request):
            return self.fault_response("expired", reset_in=0)
        errors = _ParamErrors()
        _unknown_params(
            request,
            frozenset({"ids", "tweet.fields", "expansions", "media.fields", "user.fields"}),
            errors,
        )
        raw = request.arg("ids") or ""
        ids = [i for i in raw.split(",") if i]
        if not 1 <= len(ids) <= 100 or not all(ID_RE.match(i) for i in ids):
            errors.add(
                "ids", raw, "The `ids` query parameter value must be 1 to 100 comma-separated ids"
            )
        query = _Query(tweet_fields=_field_list(request, "tweet.fields", TWEET_FIELDS, errors))
        if errors.errors:
            return errors.response()
        headers = self._rate_headers("tweets")
        with self._lock:
            found = [self._tweets.get(i) or self._superseded.get(i) for i in ids]
            data = [self._render(t, query, expand=False) for t in found if t is not None]
        payload: dict[str, Any] = {}
        if data:
            payload["data"] = data
        missing = [
            _not_found("tweet", "ids", i) for i, t in zip(ids, found, strict=True) if t is None
        ]
        if missing:
            payload["errors"] = missing
        return json_response(200, payload, headers)

    def _ctl_delete_tweet(self, request: Request, tweet_id: str) -> Response:
        if self.delete_tweet(tweet_id):
            return json_response(200, {"data": {"deleted": True}})
        return json_response(404, {"error": f"no tweet with id {tweet_id}"})


# --- query parsing -------------------------------------------------------------------------------


def _not_found(resource: str, param: str, value: str) -> dict[str, Any]:
    """X's per-resource error, inside a 200 (the request was fine; the thing is not there)."""
    return {
        "value": value,
        "detail": f"Could not find {resource} with {param}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": param,
        "resource_id": value,
        "type": PROBLEM_NOT_FOUND,
    }


def _unknown_params(request: Request, allowed: frozenset[str], errors: _ParamErrors) -> None:
    for name in request.query:
        if name not in allowed:
            errors.add(
                name,
                request.arg(name) or "",
                f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
            )


def _field_list(
    request: Request, name: str, allowed: frozenset[str], errors: _ParamErrors
) -> frozenset[str]:
    raw = request.arg(name)
    if raw is None:
        return frozenset()
    values = [v for v in raw.split(",")]
    bad = [v for v in values if v not in allowed]
    for value in bad:
        errors.add(
            name,
            value,
            f"The `{name}` query parameter value [{value}] is not one of "
            f"[{','.join(sorted(allowed))}]",
        )
    return frozenset(values) - frozenset(bad)


def _id_param(request: Request, name: str, errors: _ParamErrors) -> int | None:
    raw = request.arg(name)
    if raw is None:
        return None
    if not ID_RE.match(raw):
        errors.add(
            name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        )
        return None
    return int(raw)


def _time_param(request: Request, name: str, errors: _ParamErrors) -> datetime | None:
    raw = request.arg(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        errors.add(
            name,
            raw,
            f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 date-time "
            "(YYYY-MM-DDTHH:mm:ssZ)",
        )
        return None
    if value < EARLIEST_START_TIME:
        errors.add(
            name,
            raw,
            f"Invalid '{name}':'{raw}'. '{name}' must be on or after 2010-11-06T00:00:00Z",
        )
        return None
    return value.astimezone(UTC)


def _parse_timeline_query(request: Request, errors: _ParamErrors) -> _Query:
    _unknown_params(request, TIMELINE_PARAMS, errors)
    max_results = DEFAULT_MAX_RESULTS
    raw_max = request.arg("max_results")
    if raw_max is not None:
        if raw_max.isdigit() and 5 <= int(raw_max) <= 100:
            max_results = int(raw_max)
        else:
            errors.add(
                "max_results",
                raw_max,
                f"The `max_results` query parameter value [{raw_max}] is not between 5 and 100",
            )
    older_than = None
    token = request.arg("pagination_token")
    if token is not None:
        body = token[len(PAGE_KEY_PREFIX) :] if token.startswith(PAGE_KEY_PREFIX) else ""
        try:
            older_than = int(body, 36) if body else None
        except ValueError:
            older_than = None
        if older_than is None:
            errors.add(
                "pagination_token",
                token,
                f"The `pagination_token` query parameter value [{token}] is not valid",
            )
    start_time = _time_param(request, "start_time", errors)
    end_time = _time_param(request, "end_time", errors)
    if start_time and end_time and start_time >= end_time:
        errors.add(
            "end_time",
            request.arg("end_time") or "",
            "Invalid 'end_time': must be after 'start_time'",
        )
    return _Query(
        max_results=max_results,
        since_id=_id_param(request, "since_id", errors),
        until_id=_id_param(request, "until_id", errors),
        start_time=start_time,
        end_time=end_time,
        older_than=older_than,
        exclude=_field_list(request, "exclude", EXCLUDE_VALUES, errors),
        tweet_fields=_field_list(request, "tweet.fields", TWEET_FIELDS, errors),
        user_fields=_field_list(request, "user.fields", USER_FIELDS, errors),
        media_fields=_field_list(request, "media.fields", MEDIA_FIELDS, errors),
        expansions=_field_list(request, "expansions", TIMELINE_EXPANSIONS, errors),
    )
