"""A gzip body with per-visitor text spliced in, without compressing the page again.

A cached page is the same for every anonymous visitor except for their CSRF token. The
page is compressed once, in parts split where the token goes: each part is deflated
and ends on a full flush (RFC 1951: the output is byte-aligned and no later block
refers back past it), so a stored (uncompressed) block holding a visitor's token can be
put between two parts, and the whole is one valid deflate stream. The gzip header and
trailer (RFC 1952: CRC-32 and length of the whole text) wrap it. Per request that is a
join and a CRC over the text, a few microseconds, instead of a compression pass.

Pure: no I/O, no framework.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

# Magic, deflate, no flags, no modification time, no extra flags, OS unknown.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
STORED_MAX = 0xFFFF  # the most bytes one stored block holds


def deflate_parts(parts: Sequence[bytes], level: int = 6) -> tuple[bytes, ...]:
    """Each part raw-deflated; every one but the last ends on a full flush, the last
    one finishes the stream. One compressor, so the parts' blocks chain."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        flush = zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH
        deflated.append(compressor.compress(part) + compressor.flush(flush))
    return tuple(deflated)


def stored(text: bytes) -> bytes:
    """`text` as non-final stored deflate blocks (byte-aligned after a full flush)."""
    blocks = []
    for start in range(0, len(text), STORED_MAX):
        chunk = text[start : start + STORED_MAX]
        size = len(chunk)
        blocks.append(b"\x00" + struct.pack("<HH", size, size ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def joined(parts: Sequence[bytes], between: bytes) -> bytes:
    """The text: the parts with `between` where they were split."""
    return between.join(parts)


def gzip_spliced(parts: Sequence[bytes], deflated: Sequence[bytes], between: bytes) -> bytes:
    """A gzip member of `joined(parts, between)`, from `deflate_parts(parts)`."""
    assert parts and len(parts) == len(deflated)  # noqa: S101 - from deflate_parts(parts)
    text = joined(parts, between)
    body = stored(between).join(deflated)
    trailer = struct.pack("<II", zlib.crc32(text), len(text) & 0xFFFFFFFF)
    return HEADER + body + trailer
