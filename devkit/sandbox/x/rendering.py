"""How X renders a timeline page: fields asked for, includes, and the text X really sends.

X's `text` is not the author's text: it is HTML-escaped, every link is a `t.co` wrapper (the
real address only in `entities.urls`), a post over 280 characters is cut with "…" (whole in
`note_tweet`), and a retweet is `RT @user: ` plus the original cut to 140 characters (whole in
`includes.tweets`). The sandbox renders dataset posts the same way, so connectors meet the real
shapes (see tests/fixtures/real_shapes/x/).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from devkit.sandbox.x.model import PAGE_KEY_PREFIX, XTweet, XUser, _base36, iso_ms
from devkit.sandbox.x.query import _not_found, _Query

TCO_LENGTH = 23  # every link counts as a 23-character t.co URL
TEXT_CHARS = 280  # a longer post is cut in `text` and whole in `note_tweet`
RETWEET_CHARS = 140  # what `RT @user: ` keeps of the original (as recorded answers show)
_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True, slots=True)
class Shown:
    text: str
    urls: list[dict[str, Any]]
    note: str | None = None
    note_urls: list[dict[str, Any]] = field(default_factory=list)


def _tco(url: str) -> str:
    digest = hashlib.sha256(url.encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "https://t.co/" + "".join(alphabet[b % 62] for b in digest[:10])


def _wrap(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Links as t.co wrappers with their entities (start/end in characters of the result)."""
    out, urls, last = "", [], 0
    for match in _URL.finditer(source):
        out += source[last : match.start()]
        url = match.group(0).rstrip(".,;:!?)")
        last = match.start() + len(url)
        tco = _tco(url)
        display = url.split("://", 1)[1]
        urls.append(
            {
                "start": len(out),
                "end": len(out) + len(tco),
                "url": tco,
                "expanded_url": url,
                "display_url": display if len(display) <= 23 else display[:22] + "…",
            }
        )
        out += tco
    return out + source[last:], urls


def shape(source: str, *, limit: int = TEXT_CHARS, note: bool = True) -> Shown:
    """What X sends for `source`: t.co links, HTML-escaped, cut with "…" past `limit`; the whole
    text in `note_tweet` (not for a retweet: its whole text is the original's, in includes)."""
    wrapped, urls = _wrap(source)
    if len(wrapped) <= limit:
        return Shown(text=html.escape(wrapped, quote=False), urls=urls)
    cut = wrapped[: limit - 10].rstrip() + "…"
    kept = [u for u in urls if u["end"] <= len(cut)]
    if not note:
        return Shown(text=html.escape(cut, quote=False), urls=kept)
    return Shown(
        text=html.escape(cut, quote=False),
        urls=kept,
        note=html.escape(wrapped, quote=False),
        note_urls=urls,
    )


class TimelineRendering:
    """Mixin of `XApi`: pages, posts and includes from `_tweets` and `_users`."""

    _tweets: dict[str, XTweet]
    _users: dict[str, XUser]

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
        shown = self._shown(t)
        out: dict[str, Any] = {
            "id": t.id,
            "text": shown.text,
            "edit_history_tweet_ids": list(t.edit_history_tweet_ids),
        }
        if "entities" in f and shown.urls:
            out["entities"] = {"urls": shown.urls}
        if "note_tweet" in f and shown.note is not None:
            out["note_tweet"] = {"text": shown.note, "entities": {"urls": shown.note_urls}}
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

    def _shown(self, t: XTweet) -> Shown:
        """The text X sends for a post: a retweet as `RT @user: ` + the original."""
        original = self._tweets.get(t.ref("retweeted") or "")
        if original is not None:
            who = self._users.get(original.author_id)
            name = who.username if who else "i"
            rt = f"RT @{name}: {original.text}"
            return shape(rt, limit=RETWEET_CHARS + len(name) + 5, note=False)
        return shape(t.text)

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
