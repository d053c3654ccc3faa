"""A learning-curve chart written as a PNG with zlib + struct only (no imaging dependency)."""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT = 480, 300
_MARGIN_L, _MARGIN_R, _MARGIN_T, _MARGIN_B = 40, 12, 12, 28
_BG = (255, 255, 255)
_AXIS = (60, 60, 60)
_GRID = (225, 225, 225)
SERIES_COLOURS = ((31, 119, 180), (214, 39, 40))

# 3x5 bitmap digits for tick labels (rows top to bottom, 3 bits each).
_DIGITS = {
    "0": (7, 5, 5, 5, 7),
    "1": (2, 6, 2, 2, 7),
    "2": (7, 1, 7, 4, 7),
    "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7),
    "6": (7, 4, 7, 5, 7),
    "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7),
    "9": (7, 5, 7, 1, 7),
    "e": (0, 7, 7, 4, 7),
    "-": (0, 0, 7, 0, 0),
}


def encode_png(width: int, height: int, rgb: bytes | bytearray) -> bytes:
    """Encode 8-bit RGB pixels (row-major, no padding) as a PNG file."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"rgb has {len(rgb)} bytes, expected {width * height * 3}")

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    stride = width * 3
    # Filter type 0 (None) on every scanline.
    raw = b"".join(b"\x00" + bytes(rgb[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.px = bytearray(bytes(_BG) * (width * height))

    def set(self, x: int, y: int, colour: tuple[int, int, int]) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.px[i : i + 3] = bytes(colour)

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.set(x0, y0, colour)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, s: str, colour: tuple[int, int, int]) -> None:
        for ch in s:
            rows = _DIGITS.get(ch)
            if rows is not None:
                for r, bits in enumerate(rows):
                    for c in range(3):
                        if bits & (4 >> c):
                            self.set(x + c, y + r, colour)
            x += 4


def learning_curve_png(series: Sequence[Sequence[float]]) -> bytes:
    """Plot one or two MSE-per-epoch series (log10 y axis) and return the PNG bytes."""
    curves = [[v for v in s if v > 0 and math.isfinite(v)] for s in series if len(s)]
    canvas = _Canvas(WIDTH, HEIGHT)
    x0, x1 = _MARGIN_L, WIDTH - _MARGIN_R
    y0, y1 = _MARGIN_T, HEIGHT - _MARGIN_B
    if curves and any(curves):
        lo = math.floor(math.log10(min(min(c) for c in curves if c)))
        hi = math.ceil(math.log10(max(max(c) for c in curves if c)))
        hi = max(hi, lo + 1)
        n = max(len(c) for c in curves)
        for decade in range(lo, hi + 1):
            y = round(y1 - (decade - lo) / (hi - lo) * (y1 - y0))
            canvas.line(x0, y, x1, y, _GRID)
            canvas.text(4, y - 2, f"1e{decade}", _AXIS)
        for idx, curve in enumerate(curves):
            colour = SERIES_COLOURS[idx % len(SERIES_COLOURS)]
            prev: tuple[int, int] | None = None
            for i, v in enumerate(curve):
                x = x0 + round(i / max(n - 1, 1) * (x1 - x0))
                y = round(y1 - (math.log10(v) - lo) / (hi - lo) * (y1 - y0))
                if prev is not None:
                    canvas.line(prev[0], prev[1], x, y, colour)
                prev = (x, y)
        canvas.text(x1 - 4 * len(str(n)), y1 + 8, str(n), _AXIS)
        canvas.text(x0, y1 + 8, "1", _AXIS)
    canvas.line(x0, y0, x0, y1, _AXIS)
    canvas.line(x0, y1, x1, y1, _AXIS)
    return encode_png(WIDTH, HEIGHT, canvas.px)
