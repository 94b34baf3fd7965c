"""A small PNG reader (pure: zlib only), for measuring the pixels of a screenshot without an imaging library.

Reads 8-bit greyscale, RGB and RGBA images without interlacing: what Chromium writes for a screenshot.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 6: 4}  # colour type -> bytes per pixel at 8 bits per channel


@dataclass(frozen=True)
class Image:
    """Pixels as rows of (r, g, b) tuples (alpha dropped; greyscale repeated)."""

    width: int
    height: int
    rows: list[list[tuple[int, int, int]]]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        return self.rows[y][x]


def read_png(data: bytes) -> Image:
    """Decode a PNG; raise ValueError naming what is not supported."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file (the signature is missing)")
    pos, idat, header = len(_SIGNATURE), b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without an IHDR header")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"PNG with bit depth {depth}, colour type {colour}, interlace {interlace}: expected an "
                         "8-bit greyscale, RGB or RGBA image without interlacing")
    bpp = _CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(kind, line, previous, bpp)
        rows.append([_rgb(line, x * bpp, bpp) for x in range(width)])
        previous = line
    return Image(width, height, rows)


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        corner = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        elif kind != 0:
            raise ValueError(f"PNG row with unknown filter type {kind}")


def _rgb(line: bytearray, i: int, bpp: int) -> tuple[int, int, int]:
    return (line[i], line[i], line[i]) if bpp == 1 else (line[i], line[i + 1], line[i + 2])
