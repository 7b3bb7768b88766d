"""Media in the sandbox: small generated images at `/media/{cdn host}/{path}`.

Connectors fetch a post's media through an overridden API host as `{base}/media/{host}/{path}`
(see `connectors.http`), so every platform's CDN URL in the dataset (`pbs.twimg.com`,
`scontent.xx.fbcdn.net`, `cdn.bsky.app`, a blog's own host) is served here. Each path gets its own
solid colour, deterministically: `.png` as PNG, anything else as a baseline JPEG. The encoders
are a few lines each (no imaging library at run time) and produce files any decoder reads.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from devkit.sandbox.routing import Request, Response, Route, json_response

WIDTH, HEIGHT = 64, 48


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, level: int) -> bytes:
    """A solid grey baseline JPEG: every 8x8 block is DC only, quantisation 1, two tiny Huffman
    tables (DC: category 0 and the first block's category; AC: end-of-block only)."""
    dc = 8 * (level - 128)  # the forward DCT's DC term of a flat block
    category = abs(dc).bit_length()
    dc_symbols = [0] if category == 0 else [0, category]
    dc_counts = [1] + [0] * 15 if category == 0 else [1, 1] + [0] * 14

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">HH", marker, len(data) + 2) + data

    bits: list[str] = []
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    for i in range(blocks):
        if i == 0 and category:
            value = dc if dc > 0 else dc + (1 << category) - 1
            bits.append("10" + format(value, f"0{category}b"))
        else:
            bits.append("0")  # DC difference 0
        bits.append("0")  # AC: end of block
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    data = bytes(int(stream[i : i + 8], 2) for i in range(0, len(stream), 8))
    data = data.replace(b"\xff", b"\xff\x00")
    return (
        b"\xff\xd8"
        + segment(0xFFDB, b"\x00" + b"\x01" * 64)
        + segment(0xFFC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + segment(0xFFC4, b"\x00" + bytes(dc_counts) + bytes(dc_symbols))
        + segment(0xFFC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
        + segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00")
        + data
        + b"\xff\xd9"
    )


def image_for(path: str) -> tuple[str, bytes]:
    """(content type, bytes) for a media path: the same path always gives the same image."""
    digest = hashlib.sha256(path.encode()).digest()
    if path.lower().endswith(".png"):
        return "image/png", png(WIDTH, HEIGHT, (digest[0], digest[1], digest[2]))
    return "image/jpeg", jpeg(WIDTH, HEIGHT, 40 + digest[0] % 176)


class MediaApi:
    """Serves generated images for every CDN path; nothing to load."""

    name = "media"

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        return None

    def owns(self, path: str) -> bool:
        return path.startswith("/media/")

    def routes(self) -> Sequence[Route]:
        return [Route("GET", re.compile(r"^/media/(?P<rest>[^/]+/.+)$"), self._get)]

    def control_routes(self) -> Sequence[Route]:
        return []

    def not_found(self, request: Request) -> Response:
        return Response(404, b"Not Found", {"Content-Type": "text/plain"})

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        status = {"429": 429, "500": 500, "503": 503, "expired": 403}[mode]
        headers = {"Content-Type": "text/plain"}
        if status == 429:
            headers["Retry-After"] = str(reset_in)
        return Response(status, b"media fault", headers)

    def _get(self, request: Request, rest: str) -> Response:
        if ".." in rest.split("/"):
            return json_response(400, {"error": "bad media path"})
        content_type, body = image_for(rest)
        return Response(
            200, body, {"Content-Type": content_type, "Cache-Control": "max-age=31536000"}
        )
