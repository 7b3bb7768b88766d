"""Instagram business/creator accounts via the Graph API: media with captions, comments, replies.

The same sweep as Facebook Pages (`connectors.facebook.GraphEdgeConnector`) over
`/{ig-user-id}/media`: captions are the post text, comments (and their `replies`) are posts of
kind `comment`/`reply`. Instagram gives a commenter's `username` only, never a real name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import Access, ConnectorPlugin, PulledPost
from connectors.facebook import graph_builder
from connectors.graph import GraphConfig
from connectors.graph_edge import GraphEdgeConnector
from connectors.http import as_mapping
from connectors.parts import join
from core.platforms import Platform


class InstagramConnector(GraphEdgeConnector):
    """An Instagram professional account's media (`/{ig-user-id}/media`)."""

    platform: ClassVar[str] = "instagram"
    edge: ClassVar[str] = "media"
    thread_keys: ClassVar[tuple[str, ...]] = ("comments", "replies")
    fields: ClassVar[str] = (
        "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,username,"
        "children{id,media_type,media_url,thumbnail_url},"
        "comments.limit(50){id,text,timestamp,username,from{id,username},"
        "replies{id,text,timestamp,username,from{id,username}}}"
    )

    def _post(self, i: int, item: Any, payload: Any) -> tuple[PulledPost, list[PulledPost]]:
        where = f"data[{i}]"
        if not isinstance(item, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        media_id = self._need(item, "id", where, payload)
        where = f"data[{i}] (id {media_id})"
        children = item.get("children", {"data": []})
        if not isinstance(children, Mapping) or not isinstance(children.get("data"), list):
            raise self._malformed(f"{where}.children is not a connection", payload)
        media = [_media(m) for m in [item, *children["data"]] if isinstance(m, Mapping)]
        caption, parts = join(item["caption"] if isinstance(item.get("caption"), str) else "")
        post = PulledPost(
            external_id=media_id,
            text=caption,
            created_at=self._time(item, "timestamp", where, payload),
            author_id=self.object_id,
            author_handle=item.get("username") if isinstance(item.get("username"), str) else None,
            url=item.get("permalink") if isinstance(item.get("permalink"), str) else None,
            extra={
                "media": [m for m in media if m["url"]],
                "media_type": item.get("media_type"),
                "parts": parts,
            },
        )
        thread: list[PulledPost] = []
        for j, c in enumerate(self._connection(item, "comments", where, payload)):
            cw = f"{where}.comments.data[{j}]"
            comment = self._comment(c, media_id, media_id, "comment", cw, payload)
            thread.append(comment)
            for k, r in enumerate(self._connection(c, "replies", cw, payload)):
                reply_where = f"{cw}.replies.data[{k}]"
                thread.append(
                    self._comment(r, comment.external_id, media_id, "reply", reply_where, payload)
                )
        return post, thread

    def _connection(self, obj: Mapping[str, Any], key: str, where: str, payload: Any) -> list[Any]:
        conn = obj.get(key, {"data": []})
        if not isinstance(conn, Mapping) or not isinstance(conn.get("data"), list):
            raise self._malformed(f"{where}.{key} is not a connection", payload)
        return conn["data"]

    def _comment(
        self, c: Any, parent_id: str, root_id: str, kind: str, where: str, payload: Any
    ) -> PulledPost:
        if not isinstance(c, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        author = as_mapping(c.get("from"))
        text, parts = join(c["text"] if isinstance(c.get("text"), str) else "")
        return PulledPost(
            external_id=self._need(c, "id", where, payload),
            text=text,
            created_at=self._time(c, "timestamp", where, payload),
            author_id=author.get("id"),
            author_handle=c.get("username") if isinstance(c.get("username"), str) else None,
            extra={"kind": kind, "parent_id": parent_id, "root_id": root_id, "parts": parts},
        )


def _media(m: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(m.get("media_type") or "IMAGE").lower()
    url = m.get("media_url") if kind != "video" else m.get("thumbnail_url")
    return {"type": kind, "url": url if isinstance(url, str) else None, "alt_text": None}


PLUGIN = ConnectorPlugin(
    platform=Platform.INSTAGRAM,
    config_type=GraphConfig,
    access=Access.TOKEN,
    build=graph_builder(InstagramConnector),
    config_key="graph",
)
