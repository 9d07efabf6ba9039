"""Binary assets of the sample site (pure): PNG images of a chosen size, deterministic."""

from __future__ import annotations

import random
import struct
import zlib

STYLESHEET = b"body{font-family:system-ui,sans-serif;max-width:70rem;margin:auto}\n"


def image(path: str, approx_bytes: int) -> bytes:
    """The image served at `path`: the same bytes on every run."""
    return png(approx_bytes, zlib.crc32(path.encode()))


def png(approx_bytes: int, seed: int) -> bytes:
    """A valid PNG of noise whose file is about `approx_bytes` long (noise does not compress)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible pixels, not secrets
    width = 64
    height = max(1, approx_bytes // (width * 3 + 1))
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 1))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
