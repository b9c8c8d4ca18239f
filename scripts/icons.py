#!/usr/bin/env python3
"""Draw the site's raster icons (favicon-32.png, apple-touch-icon.png) from the geometry of
assets/images/favicon.svg: two linked rings on brand blue. Standard library only, so it runs
anywhere; the PNGs are committed, and only need drawing again when the mark changes.

    python3 scripts/icons.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

IMAGES = Path(__file__).resolve().parent.parent / "assets" / "images"
BLUE, WHITE, YELLOW = (0x1D, 0x70, 0xB8), (0xFF, 0xFF, 0xFF), (0xFF, 0xDD, 0x00)
LEFT, RIGHT, RADIUS, STROKE = (12.0, 16.0), (20.0, 16.0), 7.0, 3.0
SAMPLES = 4  # per side of a pixel: 16 samples smooth the edges


def colour_at(x: float, y: float, corner: float) -> tuple[int, int, int, int]:
    """The colour of one point of the 32-unit mark; alpha 0 outside the rounded square."""
    if _outside_rounded_square(x, y, corner):
        return (0, 0, 0, 0)
    on_left, on_right = _on_ring(x, y, LEFT), _on_ring(x, y, RIGHT)
    if on_left and on_right:
        # Linked: white over yellow at the top crossing, yellow over white at the bottom.
        return (*(WHITE if y < 16 else YELLOW), 255)
    if on_left:
        return (*WHITE, 255)
    if on_right:
        return (*YELLOW, 255)
    return (*BLUE, 255)


def _on_ring(x: float, y: float, centre: tuple[float, float]) -> bool:
    return abs(math.hypot(x - centre[0], y - centre[1]) - RADIUS) <= STROKE / 2


def _outside_rounded_square(x: float, y: float, corner: float) -> bool:
    if not (0 <= x <= 32 and 0 <= y <= 32):
        return True
    cx = min(max(x, corner), 32 - corner)
    cy = min(max(y, corner), 32 - corner)
    return math.hypot(x - cx, y - cy) > corner


def draw(size: int, corner: float) -> list[bytes]:
    """Rows of RGBA bytes, each pixel the average of SAMPLES² points."""
    scale = 32 / size
    rows = []
    for row in range(size):
        line = bytearray()
        for column in range(size):
            totals = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (column + (sx + 0.5) / SAMPLES) * scale
                    y = (row + (sy + 0.5) / SAMPLES) * scale
                    r, g, b, a = colour_at(x, y, corner)
                    totals = [totals[0] + r * a, totals[1] + g * a, totals[2] + b * a, totals[3] + a]
            alpha = totals[3]
            line += bytes([round(t / alpha) for t in totals[:3]] if alpha else [0, 0, 0])
            line.append(round(alpha / SAMPLES**2))
        rows.append(bytes(line))
    return rows


def png(rows: list[bytes]) -> bytes:
    """A minimal RGBA PNG: signature, IHDR, one IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = len(rows), len(rows[0]) // 4
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    # The favicon keeps the SVG's rounded corners; iOS rounds the touch icon itself, so it is square.
    (IMAGES / "favicon-32.png").write_bytes(png(draw(32, corner=6)))
    (IMAGES / "apple-touch-icon.png").write_bytes(png(draw(180, corner=0)))


if __name__ == "__main__":
    main()
