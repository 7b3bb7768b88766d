"""Dataset records (and control-API POST bodies) -> the X model; each error names its place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
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
from devkit.sandbox.x.model import (
    ID_RE,
    MEDIA_TYPES,
    REFERENCE_TYPES,
    USERNAME_RE,
    XMedia,
    XTweet,
    XUser,
    iso_ms,
    make_snowflake,
    snowflake_ms,
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
