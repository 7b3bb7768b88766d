"""How the AppView shows a post: `postView` with its record, facets, embeds and images."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

POST_NSID = "app.bsky.feed.post"
REPOST_NSID = "app.bsky.feed.repost"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class BskyAccount:
    did: str
    handle: str
    display_name: str
    app_password: str | None = None


@dataclass(frozen=True, slots=True)
class BskyPost:
    uri: str
    author: str  # did
    text: str
    created: datetime
    indexed: datetime
    reply_to: str | None = None
    repost_of: str | None = None
    images: tuple[Mapping[str, Any], ...] = ()
    link: Mapping[str, Any] | None = None  # an external embed: uri, title, description
    quote: str | None = None  # uri of a quoted post
    note: str | None = None

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    def key(self) -> tuple[datetime, str]:
        return self.indexed, self.uri


class PostViews:
    """Mixin of `BlueskyApi`: renders from `_accounts` and `_posts`."""

    _accounts: dict[str, BskyAccount]
    _posts: dict[str, BskyPost]

    def _view(self, p: BskyPost) -> dict[str, Any]:
        author = self._accounts[p.author]
        record: dict[str, Any] = {
            "$type": POST_NSID,
            "text": p.text,
            "createdAt": iso(p.created),
            "langs": ["en"],
        }
        if p.reply_to and p.reply_to in self._posts:
            parent = self._posts[p.reply_to]
            root = parent
            while root.reply_to and root.reply_to in self._posts:
                root = self._posts[root.reply_to]
            record["reply"] = {
                "parent": {"uri": parent.uri, "cid": _cid(parent.uri)},
                "root": {"uri": root.uri, "cid": _cid(root.uri)},
            }
        view: dict[str, Any] = {
            "uri": p.uri,
            "cid": _cid(p.uri + p.text),
            "author": {
                "did": author.did,
                "handle": author.handle,
                "displayName": author.display_name,
                "avatar": f"https://cdn.bsky.app/img/avatar/plain/{author.did}/avatar@jpeg",
                "labels": [],
                "createdAt": "2023-09-01T09:00:00.000Z",
            },
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": iso(p.indexed),
            "labels": [],
        }
        facets = _facets(p.text)
        if facets:
            record["facets"] = facets
        embed = self._embed(p)
        if embed:
            record["embed"], view["embed"] = embed
        if p.images:
            view["embed"] = {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {
                        "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{p.author}/{p.rkey}{i}@jpeg",
                        "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{p.author}/{p.rkey}{i}@jpeg",
                        "alt": img.get("alt", ""),
                        "aspectRatio": {"width": 4, "height": 3},
                    }
                    for i, img in enumerate(p.images)
                ],
            }
        return view

    def _embed(self, p: BskyPost) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(record embed, view embed) of a link card or a quoted post."""
        if p.link:
            external = {
                "uri": str(p.link.get("uri") or p.link.get("url")),
                "title": str(p.link.get("title") or ""),
                "description": str(p.link.get("description") or ""),
            }
            return (
                {"$type": "app.bsky.embed.external", "external": external},
                {"$type": "app.bsky.embed.external#view", "external": external},
            )
        quoted = self._posts.get(p.quote or "")
        if quoted is not None:
            author = self._accounts[quoted.author]
            ref = {"uri": quoted.uri, "cid": _cid(quoted.uri + quoted.text)}
            view = {
                "$type": "app.bsky.embed.record#viewRecord",
                **ref,
                "author": {"did": author.did, "handle": author.handle},
                "value": {
                    "$type": POST_NSID,
                    "text": quoted.text,
                    "createdAt": iso(quoted.created),
                },
                "indexedAt": iso(quoted.indexed),
            }
            return (
                {"$type": "app.bsky.embed.record", "record": ref},
                {"$type": "app.bsky.embed.record#view", "record": view},
            )
        return None


def _cid(material: str) -> str:

    digest = hashlib.sha256(material.encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _repost_uri(p: BskyPost) -> str:
    """A repost's own record: `at://<reposter>/app.bsky.feed.repost/<rkey>`."""
    return f"at://{p.author}/{REPOST_NSID}/{p.rkey}"


_LINK = re.compile(r"https?://[^\s]+")


def _facets(text: str) -> list[dict[str, Any]]:
    """Link facets as the app writes them: UTF-8 byte offsets of each URL in the text."""
    out = []
    for match in _LINK.finditer(text):
        start = len(text[: match.start()].encode("utf-8"))
        end = start + len(match.group(0).encode("utf-8"))
        out.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": match.group(0)}],
            }
        )
    return out
