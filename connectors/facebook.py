"""Facebook Pages via the Graph API (facebook-sdk, `connectors.graph`): posts, comments, replies.

One request per page of posts asks, by field expansion, for its comments and their replies
(`comments.filter(stream)`: every comment of the thread, each with its `parent`), so a page of 25
posts costs one call, not 26. A post whose thread is longer than the inline limit has the rest
walked through `paging.next` within the same `fetch`, so a page is stored whole or not at all.
The sweep, paging and error handling are `connectors.graph_edge`'s.

Comments matter as much as posts: a parent or pupil can name a child under the school's photo.
They are stored as posts of kind `comment`/`reply` with `parent_id` and `root_id` in `extra`.
What a post shows besides its message is scanned too, as labelled parts (`connectors.parts`):
a shared link's title and description, a photo's description, an album's photos' captions, and
the link itself (unwrapped from `l.facebook.com`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from connectors.base import Access, AccountRef, ConnectorPlugin, Credentials, PulledPost
from connectors.graph import GraphConfig
from connectors.graph_edge import GraphCursor, GraphEdgeConnector, unwrap
from connectors.http import as_mapping
from connectors.parts import TextBuilder
from core.platforms import Platform

ATTACHMENT_FIELDS = "media_type,type,title,description,url,unshimmed_url,target{id,url},media"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _image(media: Any) -> dict[str, Any] | None:
    image = media.get("image") if isinstance(media, Mapping) else None
    if isinstance(image, Mapping) and isinstance(image.get("src"), str):
        return {"url": image["src"], "width": image.get("width"), "height": image.get("height")}
    return None


def _card(attachment: Mapping[str, Any]) -> str:
    """A shared link's preview as Facebook shows it: title — description."""
    return " — ".join(
        str(attachment[k]) for k in ("title", "description") if isinstance(attachment.get(k), str)
    )


class FacebookPageConnector(GraphEdgeConnector):
    """A Facebook Page's own posts (`/{page-id}/posts`), their comments and replies."""

    platform: ClassVar[str] = "facebook"
    edge: ClassVar[str] = "posts"
    fields: ClassVar[str] = (
        "id,message,story,created_time,updated_time,permalink_url,from{id,name},"
        f"attachments{{{ATTACHMENT_FIELDS},subattachments{{{ATTACHMENT_FIELDS}}}}},"
        "comments.filter(stream).limit(100){id,message,created_time,from{id,name},parent{id},"
        f"attachment{{{ATTACHMENT_FIELDS}}}}}"
    )

    def _post(self, i: int, item: Any, payload: Any) -> tuple[PulledPost, list[PulledPost]]:
        where = f"data[{i}]"
        if not isinstance(item, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        post_id = self._need(item, "id", where, payload)
        where = f"data[{i}] (id {post_id})"
        created = self._time(item, "created_time", where, payload)
        author = as_mapping(item.get("from"))
        unwound = as_mapping(payload.get("_unwound")) if isinstance(payload, Mapping) else {}
        builder = TextBuilder(_text(item.get("message")))
        builder.add("story", "Facebook's summary", item.get("story"))
        extra = self._attachments(item.get("attachments"), where, payload, builder, unwound)
        if isinstance(item.get("updated_time"), str):
            extra["updated_time"] = item["updated_time"]
        text, extra["parts"] = builder.build()
        post = PulledPost(
            external_id=post_id,
            text=text,
            created_at=created,
            author_id=author.get("id"),
            author_handle=author.get("name"),
            url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
            extra=extra,
        )
        comments = item.get("comments", {"data": []})
        if not isinstance(comments, Mapping) or not isinstance(comments.get("data"), list):
            raise self._malformed(f"{where}.comments is not a connection", payload)
        thread = [
            self._comment(post_id, c, f"{where}.comments.data[{j}]", payload, unwound)
            for j, c in enumerate(comments["data"])
        ]
        return post, thread

    def _comment(
        self, post_id: str, c: Any, where: str, payload: Any, unwound: Mapping[str, Any]
    ) -> PulledPost:
        if not isinstance(c, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        comment_id = self._need(c, "id", where, payload)
        parent = c.get("parent") if isinstance(c.get("parent"), Mapping) else None
        parent_id = parent.get("id") if parent and isinstance(parent.get("id"), str) else None
        author = as_mapping(c.get("from"))
        attachment = c.get("attachment")
        builder = TextBuilder(_text(c.get("message")))
        connection = {"data": [attachment]} if attachment else None
        extra = self._attachments(connection, where, payload, builder, unwound)
        text, extra["parts"] = builder.build()
        # Graph's comment ids are "<post>_<comment>" without the Page: the thread is the post's.
        extra.update(
            kind="reply" if parent_id else "comment",
            parent_id=parent_id or post_id,
            root_id=post_id,
        )
        return PulledPost(
            external_id=comment_id,
            text=text,
            created_at=self._time(c, "created_time", where, payload),
            # A member of the public: who they are is Graph's to say, and often it says nothing.
            author_id=author.get("id"),
            author_handle=author.get("name"),
            url=None,
            extra=extra,
        )

    def _attachments(
        self,
        value: Any,
        where: str,
        payload: Any,
        builder: TextBuilder,
        unwound: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Media (deduplicated: an album's cover is also its first photo) and, as parts, every
        title, description and link the attachments show."""
        if value is None:
            return {"media": []}
        if not isinstance(value, Mapping) or not isinstance(value.get("data"), list):
            raise self._malformed(f"{where}.attachments is not a connection", payload)
        media: list[dict[str, Any]] = []
        links: list[str] = []
        for n, a in enumerate(value["data"], start=1):
            if not isinstance(a, Mapping):
                continue
            label = "Attachment" if len(value["data"]) == 1 else f"Attachment {n}"
            subs = as_mapping(a.get("subattachments")).get("data") or []
            for each in [a, *subs]:
                if not isinstance(each, Mapping):
                    continue
                image = _image(each.get("media"))
                kind = str(each.get("type") or each.get("media_type") or "")
                if kind == "share":
                    builder.add("link_card", f"{label} preview", _card(each))
                else:
                    if image and not any(m["url"] == image["url"] for m in media):
                        media.append(
                            {"type": kind or "photo", "alt_text": each.get("description"), **image}
                        )
                    at = next(
                        (k for k, m in enumerate(media, 1) if image and m["url"] == image["url"]), 0
                    )
                    photo = f"Photo {at}" if at else label
                    builder.add("attachment_title", f"{photo} title", each.get("title"))
                    builder.add(
                        "attachment_description", f"{photo} description", each.get("description")
                    )
                if kind in ("photo", "album", "video_inline", "cover_photo", "profile_media"):
                    continue  # the link of a photo is the photo's own page
                for key in ("unshimmed_url", "url"):
                    link = each.get(key)
                    if isinstance(link, str) and link:
                        link = unwrap(link)
                        if link not in links:
                            links.append(link)
                            builder.add_url("link_url", f"{label} link", link)
                        final = unwound.get(link)
                        if isinstance(final, str) and final not in links:
                            links.append(final)
                            builder.add_url("link_url", f"{label} link destination", final)
                        break
        return {"media": media, "links": links}


__all__ = ["FacebookPageConnector", "GraphCursor", "GraphEdgeConnector"]


# --- plug-in ------------------------------------------------------------------------------------


def graph_builder(cls: type[GraphEdgeConnector]) -> Any:
    """The `build` of a Graph platform (Facebook Pages, Instagram): same settings, same shape."""

    def build(
        account: AccountRef, credentials: Credentials | None, config: GraphConfig
    ) -> GraphEdgeConnector:
        if credentials is None:
            raise ValueError(f"a {cls.platform} account needs a Connection holding its token")
        return cls(
            credentials,
            object_id=account.external_id,
            version=config.version,
            base_url=credentials.host or config.base_url,
            limit=config.page_size,
            start_time=account.start_time,
            revisit=timedelta(days=config.revisit_days),
            timeout=config.timeout_seconds,
            media_max_bytes=config.media_max_bytes,
            deletion_window=timedelta(days=config.deletion_window_days),
            expand_links=config.expand_links,
        )

    return build


PLUGIN = ConnectorPlugin(
    platform=Platform.FACEBOOK,
    config_type=GraphConfig,
    access=Access.TOKEN,
    build=graph_builder(FacebookPageConnector),
    config_key="graph",
)
