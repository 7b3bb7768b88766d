"""Images on posts: fetched through the connector, scanned with the same stack, never kept."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session, select

from connectors.base import PulledPost
from core.findings import Finding, Severity
from pipeline import scan
from postwarden.settings import Settings
from storage import crud
from storage.models import AccountKind, FindingRow, Platform, Post, ReviewItem, Role

_T0 = datetime(2026, 11, 1, tzinfo=UTC)


class PhoneStack:
    """Flags the digits 07700 as a phone number wherever text comes from (caption or OCR)."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        out = []
        for t in texts:
            i = t.find("07700")
            out.append(
                [Finding("PHONE_NUMBER", i, i + 5, 0.9, "8.7", Severity.MEDIUM, "phone", "t")]
                if i >= 0
                else []
            )
        return out


def _png_with_text(text: str) -> bytes:
    image = Image.new("RGB", (900, 160), "white")
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((20, 50), text, fill="black", font=font)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _one_post(settings: Settings, text: str) -> int:
    with Session(settings.engine) as s:
        creator = crud.create_person(s, name="Priya Shah", role=Role.STAFF)
        account = crud.create_account(
            s,
            platform=Platform.X,
            external_id="1",
            handle="h",
            kind=AccountKind.OFFICIAL,
            conn_id="c",
            creator_id=creator.id,
        )
        crud.upsert_posts(s, account=account, posts=[PulledPost("9", text, _T0)])
        s.commit()
        return s.exec(select(Post.id)).one()


@pytest.mark.parametrize(
    ("images", "flagged"),
    [([], False), ([b"not an image at all"], False)],
    ids=["no-images", "unreadable-image"],
)
def test_posts_without_readable_images_keep_their_text_findings(
    sqlite_settings: Settings, images: list[bytes], flagged: bool
) -> None:
    post_id = _one_post(sqlite_settings, "Sports day on Friday")
    result = scan.scan_pending(
        sqlite_settings.pipeline(), stack=PhoneStack(), fetch_media=lambda _id: images
    )
    assert result.scanned == 1 and not result.failed_post_ids
    with Session(sqlite_settings.engine) as s:
        assert (
            bool(s.exec(select(ReviewItem).where(ReviewItem.post_id == post_id)).all()) is flagged
        )


def test_text_in_a_picture_is_read_and_scanned_like_the_post(sqlite_settings: Settings) -> None:
    post_id = _one_post(sqlite_settings, "Our new poster!")
    fetched: list[int] = []

    def fetch(pid: int) -> list[bytes]:
        fetched.append(pid)
        return [_png_with_text("Call 07700 900123")]

    result = scan.scan_pending(sqlite_settings.pipeline(), stack=PhoneStack(), fetch_media=fetch)
    assert fetched == [post_id]
    assert result.items_opened == 1
    with Session(sqlite_settings.engine) as s:
        rows = s.exec(select(FindingRow).where(FindingRow.post_id == post_id)).all()
        assert [r.type for r in rows] == ["PHONE_NUMBER"]
        assert rows[0].explanation.startswith("In text read from a picture")


def test_a_failing_media_fetch_costs_only_the_images(sqlite_settings: Settings) -> None:
    _one_post(sqlite_settings, "Call 07700 900123")

    def broken(_pid: int) -> list[bytes]:
        raise ConnectionError("cdn down")

    result = scan.scan_pending(sqlite_settings.pipeline(), stack=PhoneStack(), fetch_media=broken)
    assert (result.scanned, result.items_opened) == (1, 1)
