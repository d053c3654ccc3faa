"""The learning-curve PNG is a valid PNG whose pixels show the curve."""

from __future__ import annotations

import struct
import zlib

import pytest

from ruv_swarm_mcp._png import HEIGHT, SERIES_COLOURS, WIDTH, encode_png, learning_curve_png


def decode_rgb(png: bytes) -> tuple[int, int, bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        tag, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body), tag
        if tag == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    assert all(raw[y * stride] == 0 for y in range(height))  # filter type None
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def test_encode_round_trips_pixels() -> None:
    pixels = bytes(range(256)) * 3 * 2  # 16 x 32 RGB
    width, height, rgb = decode_rgb(encode_png(16, 32, pixels))
    assert (width, height, rgb) == (16, 32, pixels)
    with pytest.raises(ValueError, match="expected"):
        encode_png(2, 2, b"\x00" * 11)


def test_learning_curve_draws_the_series() -> None:
    mse = [1.0 / (1 + i) for i in range(200)]
    width, height, rgb = decode_rgb(learning_curve_png([mse]))
    assert (width, height) == (WIDTH, HEIGHT)
    colour = bytes(SERIES_COLOURS[0])
    curve = [i for i in range(0, len(rgb), 3) if rgb[i : i + 3] == colour]
    assert len(curve) > WIDTH // 2
    # A falling MSE: the curve's leftmost pixels sit above (smaller y) its rightmost ones.
    xs = [(i // 3) % WIDTH for i in curve]
    ys = [(i // 3) // WIDTH for i in curve]
    left = [y for x, y in zip(xs, ys, strict=True) if x < min(xs) + 5]
    right = [y for x, y in zip(xs, ys, strict=True) if x > max(xs) - 5]
    assert max(left) < min(right)
    assert learning_curve_png([[]])[:8] == b"\x89PNG\r\n\x1a\n"
