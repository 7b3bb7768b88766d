"""What a Bluesky post shows beside its text, as labelled parts (`connectors.parts`).

From the lexicons (`app.bsky.feed.defs#postView`, `app.bsky.embed.*#view`,
`app.bsky.richtext.facet`): image alt text, an external link card (uri, title, description),
a quoted post (`embed.record#view`, or inside `recordWithMedia`), and link URLs held only in
facets — the text itself shows a link shortened ("docs.example/d/1AbC9xY..."), so the full
URL, the part a section 8.14 check needs, is only in the facet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import PulledPost
from connectors.errors import MalformedPayload
from connectors.http import as_mapping
from connectors.parts import TextBuilder


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


_POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9._~:-]+)$")


def describe(
    builder: TextBuilder,
    record: Mapping[str, Any],
    embed: Any,
    unwound: Mapping[str, str],
    prefix: str = "",
) -> dict[str, Any]:
    """Add what a post shows beside its text as parts; returns its media and links."""
    lead = f"{prefix}, " if prefix else ""
    links: list[str] = []
    for facet in record.get("facets") or []:
        for feature in as_mapping(facet).get("features") or []:
            feature = as_mapping(feature)
            if "#link" in str(feature.get("$type")) and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
                builder.add_url("facet_url", f"{lead}Link {len(links)}", feature["uri"])
    embed = as_mapping(embed)
    media = images(embed)
    for n, image in enumerate(media, start=1):
        builder.add("alt_text", f"{lead}Image {n} description", image.get("alt_text"))
    external = as_mapping(embed.get("external") or as_mapping(embed.get("media")).get("external"))
    if isinstance(external.get("uri"), str):
        links.append(external["uri"])
        builder.add_url("link_url", f"{lead}Link card", external["uri"])
        card = " — ".join(
            str(external[k])
            for k in ("title", "description")
            if isinstance(external.get(k), str) and external[k]
        )
        builder.add("link_card", f"{lead}Link card", card)
    quoted = as_mapping(embed.get("record"))
    if "record" in quoted and isinstance(quoted.get("record"), Mapping):
        quoted = as_mapping(quoted["record"])  # recordWithMedia#view wraps the record once more
    value = as_mapping(quoted.get("value"))
    extra: dict[str, Any] = {"media": media}
    if isinstance(value.get("text"), str):
        who = as_mapping(quoted.get("author")).get("handle")
        builder.add(
            "quoted_post", f"{lead}Quoted post" + (f" by @{who}" if who else ""), value["text"]
        )
        if isinstance(quoted.get("uri"), str):
            extra.update(post_type="quote", quoted_id=quoted["uri"])
    for short in list(links):
        final = unwound.get(short)
        if final and final not in links:
            links.append(final)
            builder.add_url("link_url", f"{lead}Link destination", final)
    extra["links"] = links
    return extra


def feed_links(body: Mapping[str, Any]) -> list[str]:
    """Every link of a feed page (facets and link cards), for the redirect walk."""
    found: list[str] = []
    for item in body.get("feed") or []:
        post = as_mapping(as_mapping(item).get("post"))
        for facet in as_mapping(post.get("record")).get("facets") or []:
            for feature in as_mapping(facet).get("features") or []:
                uri = as_mapping(feature).get("uri")
                if isinstance(uri, str):
                    found.append(uri)
        external = as_mapping(as_mapping(post.get("embed")).get("external"))
        if isinstance(external.get("uri"), str):
            found.append(external["uri"])
    return found


def images(embed: Any) -> list[dict[str, Any]]:
    """Images of an `app.bsky.embed.images#view` (also inside recordWithMedia)."""
    if not isinstance(embed, Mapping):
        return []
    if isinstance(embed.get("media"), Mapping):
        embed = embed["media"]
    out = []
    for image in embed.get("images") or []:
        if isinstance(image, Mapping) and isinstance(image.get("fullsize"), str):
            out.append({"type": "photo", "url": image["fullsize"], "alt_text": image.get("alt")})
    return out


class FeedItems:
    """Reads `feedViewPost` items of one actor's feed into posts (pure)."""

    def __init__(self, actor: str, malformed: Callable[[str, Any], MalformedPayload]) -> None:
        self.actor = actor
        self.malformed = malformed

    def read(
        self, i: int, item: Any, body: Any, unwound: Mapping[str, str]
    ) -> tuple[PulledPost | None, str]:
        """One feed item and its sort time (a repost's is when it was reposted)."""
        where = f"feed[{i}]"
        post = item.get("post") if isinstance(item, Mapping) else None
        if not isinstance(post, Mapping):
            raise self.malformed(f"{where}.post is missing", body)
        uri, record = post.get("uri"), post.get("record")
        match = _POST_URI.match(uri) if isinstance(uri, str) else None
        if match is None or not isinstance(record, Mapping):
            raise self.malformed(f"{where}.post has no post uri or record", body)
        indexed = post.get("indexedAt")
        if parse_time(indexed) is None:
            raise self.malformed(f"{where}.post.indexedAt is not a timestamp", body)
        author = as_mapping(post.get("author"))
        text = record.get("text")
        created = parse_time(record.get("createdAt")) or parse_time(indexed)
        if not isinstance(text, str) or created is None:
            raise self.malformed(f"{where}.post.record has no text or createdAt", body)
        handle = author.get("handle") if isinstance(author.get("handle"), str) else None
        reason = item.get("reason")
        if isinstance(reason, Mapping) and "Repost" in str(reason.get("$type", "")):
            return self.repost(where, post, reason, text, handle, unwound, body)

        builder = TextBuilder(text)
        extra = describe(builder, record, post.get("embed"), unwound)
        extra["cid"] = post.get("cid")
        reply = record.get("reply")
        if isinstance(reply, Mapping):
            parent = as_mapping(reply.get("parent")).get("uri")
            root = as_mapping(reply.get("root")).get("uri")
            extra.update(reply_parent=parent, reply_root=root, kind="reply")
            extra.update(parent_id=parent, root_id=root or parent)
        if isinstance(record.get("langs"), list):
            extra["langs"] = record["langs"]
        full, extra["parts"] = builder.build()
        return (
            PulledPost(
                external_id=str(uri),
                text=full,
                created_at=created,
                author_id=author.get("did") if isinstance(author.get("did"), str) else None,
                author_handle=handle,
                url=f"https://bsky.app/profile/{handle or match.group(1)}/post/{match.group(2)}",
                extra=extra,
            ),
            str(indexed),
        )

    def repost(
        self,
        where: str,
        post: Mapping[str, Any],
        reason: Mapping[str, Any],
        text: str,
        original_handle: str | None,
        unwound: Mapping[str, str],
        body: Any,
    ) -> tuple[PulledPost, str]:
        """The account re-published someone's post: stored as its own, at the repost's time."""
        when = reason.get("indexedAt")
        at = parse_time(when)
        if at is None:
            raise self.malformed(f"{where}.reason.indexedAt is not a timestamp", body)
        by = as_mapping(reason.get("by"))
        did = by.get("did") if isinstance(by.get("did"), str) else None
        repost_uri = reason.get("uri")
        if not isinstance(repost_uri, str) or not repost_uri.startswith("at://"):
            # Older AppViews omit the repost record's uri: one repost per account and post.
            repost_uri = f"{post['uri']}#repost-by-{did or self.actor}"
        builder = TextBuilder("")
        label = "Reposted post" + (f" by @{original_handle}" if original_handle else "")
        builder.add("reposted_post", label, text)
        extra = describe(builder, as_mapping(post.get("record")), post.get("embed"), unwound, label)
        extra.update(post_type="repost", reposted_id=post["uri"], cid=reason.get("cid"))
        full, extra["parts"] = builder.build()
        match = _POST_URI.match(str(post["uri"]))
        return (
            PulledPost(
                external_id=repost_uri,
                text=full,
                created_at=at,
                author_id=did,
                author_handle=by.get("handle") if isinstance(by.get("handle"), str) else None,
                url=f"https://bsky.app/profile/{match.group(1)}/post/{match.group(2)}"
                if match
                else None,
                extra=extra,
            ),
            str(when),
        )
