"""A gzip body spliced from parts deflated once and a visitor's text between them
(market/web/gzip_splice.py) is a valid gzip stream of exactly the joined text."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from market.web.gzip_splice import STORED_MAX, deflate_parts, gzip_spliced, joined, stored

texts = st.binary(max_size=3000) | st.text(max_size=2000).map(str.encode)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(texts, min_size=1, max_size=6), between=texts)
def test_the_spliced_stream_decompresses_to_the_joined_text(
    parts: list[bytes], between: bytes
) -> None:
    body = gzip_spliced(parts, deflate_parts(parts), between)
    assert gzip.decompress(body) == joined(parts, between) == between.join(parts)
    assert zlib.decompress(body, 16 + zlib.MAX_WBITS) == between.join(parts)


def test_one_compression_serves_any_number_of_visitors() -> None:
    page = [b'<html><body hx-headers=\'{"x-csrftoken": "', b"\"}'><form>" * 200, b"</html>"]
    deflated = deflate_parts(page)
    for token in (b"a" * 128, b"0123456789abcdef" * 8, b""):
        assert gzip.decompress(gzip_spliced(page, deflated, token)) == token.join(page)
    assert len(gzip_spliced(page, deflated, b"a" * 128)) < len(joined(page, b"a" * 128)) / 5


def test_text_longer_than_a_stored_block_takes_several() -> None:
    long = bytes(range(256)) * ((STORED_MAX * 2) // 256 + 1)
    assert stored(long).count(b"\x00" + (STORED_MAX).to_bytes(2, "little")) >= 2
    parts = [b"start", b"end"]
    assert gzip.decompress(gzip_spliced(parts, deflate_parts(parts), long)) == long.join(parts)
