"""Reading the real-shape fixtures (tests/fixtures/real_shapes/) and holding posts to them.

Each folder's `manifest.json` says, from the platforms' shapes, what a correct monitor stores
(README.md there); `check` compares what a connector produced with a case's `expect` block.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import PulledPost

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "real_shapes"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"


def manifest(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / folder / "manifest.json").read_text("utf-8"))
    return data


def cases(folder: str, *names: str) -> list[dict[str, Any]]:
    """The named cases of a folder (all when none are named), for `parametrize`."""
    found = manifest(folder)["cases"]
    if names:
        found = [c for c in found if c["case"] in names]
        assert len(found) == len(names), f"missing cases in {folder}: {names}"
    return found


def case(folder: str, name: str) -> dict[str, Any]:
    return cases(folder, name)[0]


def load(folder: str, file: str) -> Any:
    return json.loads((ROOT / folder / file).read_text("utf-8"))


def zipped(folder: Path, name: str) -> tuple[str, bytes]:
    """A zip of a case's member files, at the zip's root (as WhatsApp writes them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, arcname=member.name)
    return name, buffer.getvalue()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _match(expected: Mapping[str, Any], post: PulledPost) -> bool:
    if expected.get("external_id") is not None:
        return post.external_id == expected["external_id"]
    names = {expected.get("author"), *expected.get("author_aliases", [])}
    same_minute = abs((post.created_at - _when(expected["created_at"])).total_seconds()) < 60
    words = expected.get("text_contains") or []
    return (
        post.author_handle in names
        and same_minute
        and all(w in post.text for w in words)
        and (bool(words) or "attachments" not in expected or _has_attachments(expected, post))
    )


def _has_attachments(expected: Mapping[str, Any], post: PulledPost) -> bool:
    names = [m.get("name") for m in post.extra.get("media", [])]
    return all(a in names for a in expected.get("attachments", []))


def check(
    expect: Mapping[str, Any], posts: Sequence[PulledPost], *, exact_time: bool = True
) -> None:
    """Every expected post is there, once, as the manifest describes it; nothing else counts."""
    assert len(posts) == expect["count"], [(p.author_handle, p.text[:60]) for p in posts]
    for expected in expect.get("posts", []):
        found = [p for p in posts if _match(expected, p)]
        assert len(found) >= 1, f"not stored: {expected}"
        post = found[0]
        text = html.unescape(post.text)
        for words in expected.get("text_contains", []):
            assert words in text, (words, text)
        for words in expected.get("text_excludes", []):
            assert words not in text, (words, text)
        if exact_time:
            assert post.created_at == _when(expected["created_at"]), (post.created_at, expected)
        if "author" in expected and expected["author"] is not None:
            assert post.author_handle in {expected["author"], *expected.get("author_aliases", [])}
        if "url" in expected:
            assert post.url == expected["url"]
        for link in expected.get("links", []):
            assert link in post.extra.get("links", []) and link in post.text, (link, post.extra)
        media = [m for m in post.extra.get("media", []) if m.get("url") or m.get("name")]
        if "media_count" in expected:
            assert len(media) == expected["media_count"], media
        for wanted in expected.get("media", []):
            assert any(
                m.get("url") == wanted["url"]
                and (m.get("alt_text") == wanted.get("alt_text", wanted.get("alt")))
                for m in media
            ), (wanted, media)
        for name in expected.get("attachments", []):
            assert name in [m.get("name") for m in media]
        kind = expected.get("kind")
        if kind in ("repost", "quote"):
            assert post.extra.get("post_type") == kind
            key = "reposted_id" if kind == "repost" else "quoted_id"
            assert post.extra.get(key) == expected[key]
        elif kind in ("comment", "reply"):
            assert post.extra.get("kind") == kind or (
                kind == "comment" and post.extra.get("kind") == "reply"
            )
        for key in ("parent_id", "root_id"):
            if key in expected:
                assert post.extra.get(key) == expected[key]
        if "previous_ids" in expected:
            assert post.extra.get("previous_ids") == expected["previous_ids"]
        if expected.get("edited"):
            assert post.extra.get("edited") is True
        assert_parts(post)
    for external_id in expect.get("not_stored_ids", []):
        assert external_id not in {p.external_id for p in posts}
    for words in [*expect.get("not_stored_text", []), *expect.get("text_excludes_everywhere", [])]:
        assert not any(words in p.text for p in posts), words


def assert_parts(post: PulledPost) -> None:
    """The shared text-parts format: body first from 0, then `\\n\\n[label] text` blocks."""
    parts = post.extra["parts"]
    assert parts[0]["kind"] == "body" and parts[0]["start"] == 0
    for part in parts[1:]:
        head = f"\n\n[{part['label']}] "
        assert post.text[part["start"] - len(head) : part["start"]] == head, part
        assert part["end"] > part["start"]
    assert parts[-1]["end"] == len(post.text)
