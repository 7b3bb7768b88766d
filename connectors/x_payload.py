"""X API v2 payloads -> posts: every word a post carries, not only its `text`.

What X puts where (shapes confirmed in tests/fixtures/real_shapes/SOURCES.md, x/):

- `text` is HTML-escaped (`&amp;`) and, for a post over 280 characters, cut with "…": the whole
  post is in `note_tweet.text` (asked for with `tweet.fields=note_tweet`);
- a retweet's `text` is `RT @user: ` plus the original cut to ~140 characters; the original,
  whole, is in `includes.tweets` (asked for with `expansions=referenced_tweets.id`), as is a
  quoted post;
- links are `t.co` wrappers; `entities.urls[]` gives `expanded_url` (what the author pasted, maybe
  a shortener) and, with enough access, `unwound_url` (where it really goes) and a link card's
  `title`/`description`;
- images carry `alt_text` in `includes.media`.

The stored text is the body (note text when there is one, links expanded) followed by labelled
parts (`connectors.parts`): image descriptions, link destinations, link cards, the reposted or
quoted post. A shortener's destination found by the connector's redirect walk arrives in the
payload as `_unwound` ({url: destination}).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.errors import MalformedPayload
from connectors.parts import TextBuilder

TWITTER_EPOCH_MS = 1288834974657  # snowflake time zero
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON can escape one; UTF-8 cannot store it
_X_MEDIA = re.compile(r"^https?://(?:twitter|x)\.com/[^/]+/status/\d+/(?:photo|video)/\d+")
_X_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[^/]+/status/\d+")


def clean(text: str) -> str:
    """Valid Unicode for storage: a lone surrogate (legal in JSON) becomes U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def snowflake_time(tweet_id: str) -> datetime | None:
    """When a snowflake id was minted (ids since Nov 2010 carry their millisecond)."""
    ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC) if int(tweet_id) >> 22 else None


def _urls(entities: Any) -> list[Mapping[str, Any]]:
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    return [u for u in urls or [] if isinstance(u, Mapping) and isinstance(u.get("url"), str)]


def full_text(tweet: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """A post's whole text (the note text of a long post), unescaped, t.co links expanded; and
    the URL entities that applied to it."""
    note = tweet.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str):
        text, entities = note["text"], _urls(note.get("entities")) or _urls(tweet.get("entities"))
    else:
        text, entities = str(tweet.get("text") or ""), _urls(tweet.get("entities"))
    text = clean(html.unescape(text))
    for entity in entities:
        expanded = entity.get("expanded_url")
        if entity.get("media_key") or (isinstance(expanded, str) and _X_MEDIA.match(expanded)):
            text = text.replace(entity["url"], "").strip()  # the post's own photo: X hides it
        elif isinstance(expanded, str) and expanded:
            text = text.replace(entity["url"], expanded)
    return text, entities


class TweetReader:
    """Reads one page's tweets with its includes; raises `MalformedPayload` naming the place."""

    def __init__(self, payload: Mapping[str, Any], endpoint: str) -> None:
        self.payload = payload
        self.endpoint = endpoint
        self.users = self._index("users", "id")
        self.media = self._index("media", "media_key")
        self.tweets = self._index("tweets", "id")
        unwound = payload.get("_unwound")
        self.unwound: Mapping[str, str] = unwound if isinstance(unwound, Mapping) else {}

    def malformed(self, problem: str) -> MalformedPayload:
        return MalformedPayload.from_payload("X", problem, self.payload, endpoint=self.endpoint)

    def _index(self, name: str, key: str) -> dict[str, Mapping[str, Any]]:
        includes = self.payload.get("includes", {})
        if not isinstance(includes, Mapping):
            raise self.malformed("`includes` is not an object")
        items = includes.get(name, [])
        if not isinstance(items, list):
            raise self.malformed(f"`includes.{name}` is not a list")
        index: dict[str, Mapping[str, Any]] = {}
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or not isinstance(item.get(key), str):
                raise self.malformed(f"`includes.{name}[{i}]` has no string `{key}`")
            index[item[key]] = item
        return index

    def username(self, author_id: Any) -> str | None:
        name = self.users.get(author_id, {}).get("username") if isinstance(author_id, str) else None
        return name if isinstance(name, str) else None

    def text_and_parts(self, tweet: Mapping[str, Any], where: str) -> tuple[str, dict[str, Any]]:
        """The stored text of one post and the extras that explain it (parts, links, media)."""
        if not isinstance(tweet.get("text"), str):
            raise self.malformed(f"{where}.text is missing or not a string")
        body, entities = full_text(tweet)
        builder = TextBuilder(body)
        extra: dict[str, Any] = {}
        links = self._links(builder, entities, "Link")

        refs = tweet.get("referenced_tweets", [])
        if not (
            isinstance(refs, list)
            and all(
                isinstance(r, Mapping)
                and isinstance(r.get("id"), str)
                and isinstance(r.get("type"), str)
                for r in refs
            )
        ):
            raise self.malformed(f"{where}.referenced_tweets is not a list of {{type, id}}")
        extra["referenced_tweets"] = [{"type": r["type"], "id": r["id"]} for r in refs]
        for ref in refs:
            kind = {"retweeted": "reposted_post", "quoted": "quoted_post"}.get(ref["type"])
            if kind is None:
                continue
            extra["post_type"] = "repost" if kind == "reposted_post" else "quote"
            extra["reposted_id" if kind == "reposted_post" else "quoted_id"] = ref["id"]
            original = self.tweets.get(ref["id"])
            if original is None:
                continue  # deleted or withheld: X says so in `errors`
            who = self.username(original.get("author_id"))
            label = ("Reposted post" if kind == "reposted_post" else "Quoted post") + (
                f" by @{who}" if who else ""
            )
            text, original_entities = full_text(original)
            builder.add(kind, label, text)
            links += self._links(builder, original_entities, f"{label}, link")
            self._alt_texts(builder, original, f"{label}, image")
        # The quoted post's own x.com link says nothing the quoted text does not.
        extra["links"] = list(dict.fromkeys(u for u in links if not _X_STATUS.match(u)))
        extra["media"] = self._alt_texts(builder, tweet, "Image")
        text, extra["parts"] = builder.build()
        return text, extra

    def _links(
        self, builder: TextBuilder, entities: list[Mapping[str, Any]], label: str
    ) -> list[str]:
        """Each link's destinations as parts: X's `unwound_url`, else the redirect walk's."""
        found: list[str] = []
        n = 0
        for entity in entities:
            expanded = entity.get("expanded_url")
            if not isinstance(expanded, str) or entity.get("media_key") or "/photo/" in expanded:
                continue
            n += 1
            found.append(expanded)
            builder.add_url("link_url", f"{label} {n}", expanded)
            final = entity.get("unwound_url") or self.unwound.get(expanded)
            if isinstance(final, str) and final and final != expanded:
                found.append(final)
                builder.add_url("link_url", f"{label} {n} destination", final)
            card = " — ".join(
                str(entity[k]) for k in ("title", "description") if isinstance(entity.get(k), str)
            )
            builder.add("link_card", f"{label} {n} preview", card)
        return found

    def _alt_texts(
        self, builder: TextBuilder, tweet: Mapping[str, Any], label: str
    ) -> list[dict[str, Any]]:
        attachments = tweet.get("attachments", {})
        keys = attachments.get("media_keys", []) if isinstance(attachments, Mapping) else None
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise self.malformed(f"post {tweet.get('id')}: attachments.media_keys is not a list")
        media = []
        for n, key in enumerate(keys, start=1):
            item = self.media.get(key, {})
            alt = item.get("alt_text")
            alt = clean(alt) if isinstance(alt, str) else None
            media.append(
                {
                    "media_key": key,
                    "type": item.get("type"),
                    "url": item.get("url"),
                    "alt_text": alt,
                    "preview_image_url": item.get("preview_image_url"),
                }
            )
            builder.add("alt_text", f"{label} {n} description", alt)
        return media
