"""How Graph renders posts, comments and their connections (fields asked for only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from devkit.sandbox.graph.fields import FieldSpec, _unparse
from devkit.sandbox.graph.model import (
    DEFAULT_LIMIT,
    GRAPH,
    GraphAccount,
    GraphComment,
    GraphPost,
    _cursor,
    graph_time,
)


class GraphRendering:
    """Mixin of `GraphApi`: renders from `_accounts`, `_posts` and `_comments`."""

    _accounts: dict[str, GraphAccount]
    _posts: dict[str, GraphPost]
    _comments: dict[str, GraphComment]

    def _thread(self, post_id: str, parent: str | None, stream: bool) -> list[GraphComment]:
        """A post's comments oldest first: top level (or one comment's replies), or all."""
        return sorted(
            (
                c
                for c in self._comments.values()
                if c.post_id == post_id and (stream or c.parent_id == parent)
            ),
            key=lambda c: (c.created, c.id),
        )

    # -- rendering ----------------------------------------------------------------------------

    def _connection(
        self, items: list[GraphComment], spec: FieldSpec, version: str, owner: str, edge: str
    ) -> dict[str, Any]:
        limit = int(spec.modifiers.get("limit") or DEFAULT_LIMIT)
        sub = spec.children or (FieldSpec("id"),)
        page = items[:limit]
        out: dict[str, Any] = {"data": [self._render_comment(c, sub, version) for c in page]}
        if page:
            last = (int(page[-1].created.timestamp()), page[-1].id)
            out["paging"] = {
                "cursors": {
                    "before": _cursor((int(page[0].created.timestamp()), page[0].id)),
                    "after": _cursor(last),
                }
            }
            if len(items) > limit:
                query = {"limit": str(limit), "after": _cursor(last), "fields": _unparse(sub)}
                if spec.modifiers.get("filter"):
                    query["filter"] = spec.modifiers["filter"]
                # No access_token in this link: facebook-sdk's get_all_connections trips on it.
                out["paging"]["next"] = f"{GRAPH}/{version}/{owner}/{edge}?{urlencode(query)}"
        return out

    def _render_post(
        self, p: GraphPost, fields: Sequence[FieldSpec], version: str
    ) -> dict[str, Any]:
        account = self._accounts[p.owner]
        instagram = account.kind == "instagram"
        out: dict[str, Any] = {}
        for spec in fields:
            n = spec.name
            if n == "id":
                out["id"] = p.id
            elif n == "message" and not instagram and p.text:
                out["message"] = p.text
            elif n == "caption" and instagram and p.text:
                out["caption"] = p.text
            elif n in ("created_time", "timestamp"):
                out[n] = graph_time(p.created)
            elif n == "updated_time":
                out[n] = graph_time(p.updated)
            elif n in ("permalink_url", "permalink"):
                out[n] = (
                    f"https://www.instagram.com/p/{p.id[-11:]}/"
                    if instagram
                    else f"https://www.facebook.com/{p.owner}/posts/{p.id.split('_')[-1]}"
                )
            elif n == "from" and not instagram:
                out["from"] = {"id": account.id, "name": account.name}
            elif n == "username" and instagram:
                out["username"] = account.username or account.name
            elif n == "media_type" and instagram:
                out["media_type"] = p.media_type
            elif n == "media_url" and instagram and p.images and p.media_type != "CAROUSEL_ALBUM":
                out["media_url"] = p.images[0]["url"]
            elif n == "children" and instagram and p.media_type == "CAROUSEL_ALBUM":
                out["children"] = {
                    "data": [
                        {"id": f"{p.id}{i}", "media_type": "IMAGE", "media_url": m["url"]}
                        for i, m in enumerate(p.images)
                    ]
                }
            elif n == "attachments" and not instagram and (p.images or p.link):
                out["attachments"] = {"data": _attachments(p)}
            elif n == "comments":
                stream = spec.modifiers.get("filter") == "stream" and not instagram
                items = self._thread(p.id, None, stream)
                out["comments"] = self._connection(items, spec, version, p.id, "comments")
        return out

    def _render_comment(
        self, c: GraphComment, fields: Sequence[FieldSpec], version: str
    ) -> dict[str, Any]:
        instagram = self._accounts[self._posts[c.post_id].owner].kind == "instagram"
        out: dict[str, Any] = {}
        for spec in fields:
            n = spec.name
            if n == "id":
                out["id"] = c.id
            elif n in ("message", "text"):
                out[n] = c.text
            elif n in ("created_time", "timestamp"):
                out[n] = graph_time(c.created)
            elif n == "from" and c.author_id:
                out["from"] = (
                    {"id": c.author_id, "username": c.author_name}
                    if instagram
                    else {"id": c.author_id, "name": c.author_name}
                )
            elif n == "username" and instagram and c.author_name:
                out["username"] = c.author_name
            elif n == "parent" and c.parent_id:
                out["parent"] = {"id": c.parent_id}
            elif n == "replies" and instagram:
                out["replies"] = self._connection(
                    self._thread(c.post_id, c.id, False), spec, version, c.id, "replies"
                )
        return out

    # -- control endpoints ------------------------------------------------------------------


def _photo(p: GraphPost, i: int, m: Mapping[str, Any]) -> dict[str, Any]:
    fbid = f"{p.id.split('_')[-1]}{i}"
    return {
        "type": "photo",
        "media_type": "photo",
        "description": m.get("alt"),
        "media": {"image": {"src": m["url"], "width": 720, "height": 540}},
        "target": {"id": fbid, "url": f"https://www.facebook.com/photo.php?fbid={fbid}"},
        "url": f"https://www.facebook.com/photo.php?fbid={fbid}",
    }


def _attachments(p: GraphPost) -> list[dict[str, Any]]:
    """As Graph shows them: a shared link (`share`, behind `l.facebook.com`, with its card), one
    photo, or an album whose photos are `subattachments` (the cover repeated on top)."""
    out: list[dict[str, Any]] = []
    if p.link:
        url = str(p.link["url"])
        share: dict[str, Any] = {
            "type": "share",
            "media_type": "link",
            "title": p.link.get("title"),
            "description": p.link.get("description"),
            "url": f"https://l.facebook.com/l.php?u={quote(url, safe='')}&h=AT0sandbox",
            "unshimmed_url": url,
            "target": {"url": f"https://l.facebook.com/l.php?u={quote(url, safe='')}"},
        }
        out.append({k: v for k, v in share.items() if v is not None})
    if len(p.images) == 1:
        out.append(_photo(p, 0, p.images[0]))
    elif p.images:
        subs = [_photo(p, i, m) for i, m in enumerate(p.images)]
        cover = dict(subs[0], type="album", media_type="album")
        cover["title"] = "Photos from the Page's post"
        out.append({**cover, "subattachments": {"data": subs}})
    return out
