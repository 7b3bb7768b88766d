"""Images on posts: EXIF GPS, a face with a caption naming a child, and text read by OCR, all
on images made here (Pillow) or shipped in a wheel (scikit-image's astronaut photo)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from core.findings import Finding, Severity
from detectors.images import (
    ImageScanError,
    caption_names_child,
    haar_face_detector,
    has_gps,
    open_image,
    scan_image,
    tesseract_ocr,
)
from detectors.policy import policy_detectors

POLICY = policy_detectors()
GPS_IFD = 0x8825


def text_detector(text: str) -> list[Finding]:
    """The policy detectors alone: enough to see OCR text flow through the same checks."""
    return [f for d in POLICY for f in d.detect(text, None)]


def pupil_named(text: str) -> list[Finding]:
    """A caption detector that knows one roster pupil, "Amelia" (as the roster detector would)."""
    at = text.find("Amelia")
    if at < 0:
        return []
    return [Finding("PUPIL_IDENTIFIED", at, at + 6, 0.9, "8.4", Severity.HIGH, "pupil", "roster")]


def no_text(_image: Image.Image) -> str:
    return ""


def encode(image: Image.Image, fmt: str = "JPEG", **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def gps_exif(lat: tuple[float, ...], lon: tuple[float, ...]) -> Image.Exif:
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: lat, 3: "W", 4: lon}
    return exif


def text_image(text: str) -> Image.Image:
    image = Image.new("RGB", (1200, 160), "white")
    font = ImageFont.load_default(size=44)
    ImageDraw.Draw(image).text((20, 50), text, fill="black", font=font)
    return image


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.mark.parametrize(
    ("lat", "lon", "located"),
    [((52.0, 38.0, 9.2), (1.0, 8.0, 2.5), True), ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)],
)
def test_gps_in_exif_is_a_high_finding(lat: tuple, lon: tuple, located: bool) -> None:
    data = encode(Image.new("RGB", (64, 64), "grey"), exif=gps_exif(lat, lon))
    found = scan_image(data, caption="Sports day", text_detector=text_detector, ocr=no_text)
    assert [(f.type, f.section, f.severity, f.start, f.end) for f in found] == (
        [("IMAGE_LOCATION", "8.4", Severity.HIGH, 0, 0)] if located else []
    )


def test_photo_without_exif_has_no_location() -> None:
    assert not has_gps(open_image(encode(Image.new("RGB", (32, 32)), "PNG")))


def test_real_cascade_finds_the_face_in_a_real_photo() -> None:
    grey = np.asarray(astronaut().convert("L"))
    assert haar_face_detector()(grey) == 1
    assert haar_face_detector()(np.full((200, 200), 128, dtype=np.uint8)) == 0


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Well done Amelia, star of the week!", ["PUPIL_PHOTO"]),
        ("A lovely afternoon in the sunshine", []),
    ],
)
def test_face_with_a_caption_naming_a_child(caption: str, expected: list[str]) -> None:
    found = scan_image(encode(astronaut()), caption=caption, text_detector=pupil_named, ocr=no_text)
    assert [f.type for f in found] == expected
    assert all(f.section == "8.4" and f.severity is Severity.HIGH for f in found)


def test_named_child_without_a_face_is_left_to_the_text_detectors() -> None:
    blank = encode(Image.new("RGB", (300, 300), "white"))
    found = scan_image(blank, caption="Well done Amelia", text_detector=pupil_named, ocr=no_text)
    assert found == []


@pytest.mark.parametrize(
    ("findings", "caption", "names"),
    [
        ([Finding("PERSON", 0, 4, 0.8, "8.4", Severity.LOW, "x")], "Sam in Year 3 won", True),
        ([Finding("PERSON", 0, 4, 0.8, "8.4", Severity.LOW, "x")], "Sam from the PTA", False),
        ([], "our pupils in Year 3", False),
    ],
)
def test_caption_names_a_child(findings: Sequence[Finding], caption: str, names: bool) -> None:
    assert caption_names_child(caption, findings) is names


def test_text_in_the_image_goes_through_the_text_detectors() -> None:
    data = encode(text_image("Avoid Chartwells, the food is inedible"), "PNG")
    found = scan_image(data, caption="Lunch", text_detector=text_detector)
    supplier = [f for f in found if f.type == "SUPPLIER"]
    assert len(supplier) == 1
    assert (supplier[0].section, supplier[0].start, supplier[0].end) == ("8.13", 0, 0)
    assert supplier[0].explanation.startswith("In text read from a picture")


def test_ocr_reads_drawn_text() -> None:
    assert "school" in tesseract_ocr(text_image("Welcome back to school")).lower()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"not an image at all", "not a readable image"),
        (encode(Image.new("RGB", (200, 200), "red"))[:300], "damaged"),
        (encode(Image.new("1", (10_000, 7_000)), "PNG"), "more than"),
    ],
)
def test_unreadable_images_are_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(ImageScanError, match=message):
        scan_image(data, caption="", text_detector=text_detector, ocr=no_text)


@settings(max_examples=60, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
        st.binary(max_size=300).map(lambda b: b"\xff\xd8\xff\xe0" + b),
    ),
    caption=st.text(max_size=40),
)
def test_arbitrary_bytes_never_crash(data: bytes, caption: str) -> None:
    try:
        found = scan_image(data, caption=caption, text_detector=text_detector, ocr=no_text)
    except ImageScanError:
        return
    assert all(f.start == f.end == 0 for f in found)


@settings(max_examples=15, deadline=None)
@given(
    pixels=st.binary(min_size=8 * 8 * 3, max_size=8 * 8 * 3),
    caption=st.sampled_from(["", "Well done Amelia in Year 2", "Sports day"]),
)
def test_any_small_image_scans_deterministically(pixels: bytes, caption: str) -> None:
    small = Image.frombytes("RGB", (8, 8), pixels)
    data = encode(small.resize((64, 64), Image.Resampling.NEAREST), "PNG")
    first = scan_image(data, caption=caption, text_detector=pupil_named, ocr=no_text)
    assert first == scan_image(data, caption=caption, text_detector=pupil_named, ocr=no_text)
