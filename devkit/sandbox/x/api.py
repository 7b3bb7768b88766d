"""The X platform of the sandbox: state, public routes, control routes and error shapes."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from devkit.sandbox.dataset import (
    DatasetError,
    need_list,
    need_object,
    need_timestamp,
    unknown_keys,
)
from devkit.sandbox.routing import Request, Response, Route, json_response
from devkit.sandbox.x.model import (
    ID_RE,
    PROBLEM_NOT_FOUND,
    RATE_LIMITS,
    RATE_WINDOW_SECONDS,
    TWEET_FIELDS,
    USER_EXPANSIONS,
    USER_FIELDS,
    USER_PARAMS,
    USERNAME_RE,
    XTweet,
    XUser,
    iso_ms,
    make_snowflake,
)
from devkit.sandbox.x.query import (
    _field_list,
    _not_found,
    _ParamErrors,
    _parse_timeline_query,
    _Query,
    _unknown_params,
)
from devkit.sandbox.x.records import parse_tweet, parse_user
from devkit.sandbox.x.rendering import TimelineRendering

# --- the platform --------------------------------------------------------------------------------


class XApi(TimelineRendering):
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
