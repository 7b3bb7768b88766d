"""Images attached to posts: hidden GPS location, children's faces named in a caption, and text.

`scan_image(data, caption=..., text_detector=...)` looks at one image held in memory; it never
writes the image to disk (tesseract reads it from a pipe) and keeps nothing afterwards. Three
checks, each a finding with an empty span (0, 0) because it points at the image, not the text:

- EXIF GPS: a photo that carries where it was taken can lead to a pupil's home -> HIGH, 8.4.
- Faces + a caption that names a child: a named child's photo identifies them -> HIGH, 8.4.
  Faces come from OpenCV's Haar cascade bundled in opencv-python-headless (no download); the
  caption counts as naming a child when the text detectors find a pupil, or a person's name
  next to a word about children (pupil, Year 4, daughter...).
- OCR: text in the image (read by Debian's tesseract) goes through the same text detectors as
  the post; those findings keep their type and section, say they come from the image, and also
  have span (0, 0).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from core.findings import Finding, Severity
from core.sections import Section

DETECTOR_NAME: Final = "image"
SECTION_PUPILS: Final = Section.PUPIL_IDENTITY

# Larger images are shrunk before face detection and OCR: faces and printed text stay readable
# at this size, and a 50-megapixel upload cannot exhaust a small server.
MAX_SIDE: Final = 2000
MAX_PIXELS: Final = 60_000_000
OCR_TIMEOUT_SECONDS: Final = 60

# Finding types of a caption that already identify a pupil (the roster detectors), and the
# words that make a named person in a caption a child.
PUPIL_TYPES: Final = frozenset({"PUPIL_IDENTIFIED", "PUPIL_DISCUSSED", "PUPIL_NAME"})
CHILD_CONTEXT: Final = re.compile(
    r"(?<!\w)(?:pupils?|child(?:ren)?|kids?|students?|son|daughter|boys?|girls?|"
    r"year\s?\d{1,2}|yr\s?\d{1,2}|reception|nursery|class\s?\w{0,3}|star of the week|"
    r"head ?teacher'?s award|learner|little one|toddler|niece|nephew|grandson|granddaughter)(?!\w)",
    re.IGNORECASE,
)

EXPLANATIONS: Final = {
    "IMAGE_LOCATION": (
        "A photo attached to this post carries the exact place where it was taken, hidden in "
        "the file (GPS location). Section 8.4 of the Social Media Policy forbids posting "
        "anything that could lead to a pupil or their home: remove the photo, or post a copy "
        "without location data."
    ),
    "PUPIL_PHOTO": (
        "A photo attached to this post shows at least one face, and the caption names a child. "
        "Section 8.4 of the Social Media Policy forbids posting anything that identifies a "
        "pupil: a named child's photo does. Remove the name or the photo, unless consent for "
        "this use is on file."
    ),
}
OCR_PREFIX: Final = "In text read from a picture attached to this post: "

TextDetector = Callable[[str], Sequence[Finding]]
FaceDetector = Callable[[npt.NDArray[np.uint8]], int]
Ocr = Callable[[Image.Image], str]


class ImageScanError(ValueError):
    """The bytes are not an image Postwarden can read, or OCR could not run."""


def scan_image(
    data: bytes,
    *,
    caption: str,
    text_detector: TextDetector,
    face_detector: FaceDetector | None = None,
    ocr: Ocr | None = None,
) -> list[Finding]:
    """Findings for one image posted with `caption` (the post's text).

    `text_detector` scores text (e.g. `DetectorStack.detect`); it is run on the caption (to see
    whether a child is named) and on any text read from the image. `face_detector` counts faces
    in a greyscale array and `ocr` reads text from an image; both default to the real ones
    (OpenCV Haar cascade, tesseract). Raises `ImageScanError` for unreadable bytes.
    """
    image = open_image(data)
    findings: list[Finding] = []
    if has_gps(image):
        findings.append(_image_finding("IMAGE_LOCATION", 0.95))
    work = _working_copy(image)
    count_faces = face_detector or haar_face_detector()
    if caption and caption.strip():
        caption_findings = list(text_detector(caption))
        if caption_names_child(caption, caption_findings) and count_faces(_grey(work)) > 0:
            findings.append(_image_finding("PUPIL_PHOTO", 0.8))
    read = ocr or tesseract_ocr
    text = read(work).strip()
    if text:
        findings.extend(_from_image_text(f) for f in text_detector(text))
    return _dedupe(findings)


def open_image(data: bytes) -> Image.Image:
    """The first frame of an image, decoded in memory, size-checked before decoding pixels."""
    if not data:
        raise ImageScanError("the image is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageScanError(
                f"the image is {width}x{height} pixels, more than the {MAX_PIXELS:,} scanned"
            )
        image.load()
    except ImageScanError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageScanError(f"not a readable image ({type(exc).__name__})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageScanError(f"the image file is damaged ({type(exc).__name__})") from None
    return image


def has_gps(image: Image.Image) -> bool:
    """Whether the image's EXIF carries a latitude and a longitude (not both zero)."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except (OSError, ValueError, KeyError, TypeError, SyntaxError):
        return False
    lat, lon = gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLongitude)
    if not lat or not lon:
        return False
    return not (_is_zero(lat) and _is_zero(lon))


def _is_zero(value: object) -> bool:
    try:
        parts = value if isinstance(value, tuple | list) else (value,)
        return all(float(p) == 0 for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def caption_names_child(caption: str, caption_findings: Sequence[Finding]) -> bool:
    """Whether the caption names a child: a pupil finding, or a name beside a child word."""
    if any(f.type in PUPIL_TYPES for f in caption_findings):
        return True
    names = [f for f in caption_findings if f.type == "PERSON"]
    return bool(names) and CHILD_CONTEXT.search(caption) is not None


def _working_copy(image: Image.Image) -> Image.Image:
    """Upright RGB, at most MAX_SIDE pixels on its longer side."""
    try:
        work = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        work = image  # a damaged orientation tag: scan the image as stored
    if work.mode in ("RGBA", "LA", "PA") or "transparency" in work.info:
        rgba = work.convert("RGBA")
        work = Image.new("RGB", rgba.size, "white")
        work.paste(rgba, mask=rgba.getchannel("A"))
    elif work.mode not in ("RGB", "L"):
        work = work.convert("RGB")
    if max(work.size) > MAX_SIDE:
        work = work.copy()
        work.thumbnail((MAX_SIDE, MAX_SIDE))
    return work


def _grey(image: Image.Image) -> npt.NDArray[np.uint8]:
    return np.asarray(image.convert("L"), dtype=np.uint8)


class HaarFaceDetector:
    """Frontal faces with OpenCV's bundled Haar cascade (the XML ships inside the wheel)."""

    CASCADE: Final = "haarcascade_frontalface_default.xml"

    def __init__(self) -> None:
        import cv2

        path = cv2.data.haarcascades + self.CASCADE  # type: ignore[attr-defined]  # no stubs
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV's face cascade could not be loaded from {path}")
        self._lock = threading.Lock()  # a CascadeClassifier is not safe across threads

    def __call__(self, grey: npt.NDArray[np.uint8]) -> int:
        """The number of faces at least 24 pixels wide."""
        if grey.ndim != 2 or min(grey.shape) < 24:
            return 0
        with self._lock:
            faces = self._cascade.detectMultiScale(
                grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)
            )
        return len(faces)


_haar: HaarFaceDetector | None = None
_haar_lock = threading.Lock()


def haar_face_detector() -> HaarFaceDetector:
    """The process-wide Haar detector (loading the cascade takes ~50 ms)."""
    global _haar
    with _haar_lock:
        if _haar is None:
            _haar = HaarFaceDetector()
        return _haar


def tesseract_ocr(image: Image.Image, *, language: str = "eng") -> str:
    """Text in `image` read by the tesseract command, the image piped in as PNG, never on disk."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise ImageScanError(
            "tesseract is not installed: install Debian's tesseract-ocr package (make install)"
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [binary, "stdin", "stdout", "-l", language, "--psm", "3"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=OCR_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ImageScanError(f"tesseract took longer than {OCR_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ImageScanError(f"tesseract failed: {message[0][:200]}")
    return done.stdout.decode("utf-8", "replace")


def _image_finding(kind: str, score: float) -> Finding:
    return Finding(
        type=kind,
        start=0,
        end=0,
        score=score,
        section=SECTION_PUPILS,
        severity=Severity.HIGH,
        explanation=EXPLANATIONS[kind],
        detector=DETECTOR_NAME,
    )


def _from_image_text(finding: Finding) -> Finding:
    """A text finding moved onto the image: empty span, explanation says where it was read."""
    return replace(
        finding,
        start=0,
        end=0,
        explanation=OCR_PREFIX + finding.explanation,
        detector=f"{DETECTOR_NAME}-ocr:{finding.detector}",
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per type: the most severe, then highest-scoring."""
    best: dict[str, Finding] = {}
    for f in findings:
        kept = best.get(f.type)
        if kept is None or (f.severity.rank, f.score) > (kept.severity.rank, kept.score):
            best[f.type] = f
    return sorted(best.values(), key=lambda f: (-f.severity.rank, f.type))
