"""Pages as the page cache keeps them (market/web/page_cache.py): what a page is, when
it is still current, how it is encoded for a visitor, and the byte-bounded LRU."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

import brotli  # type: ignore[import-untyped]

from market import clock
from market.web import gzip_splice
from market.web.compression import BROTLI_QUALITY, GZIP_LEVEL, MINIMUM_SIZE, negotiate

# Scope state set while a request renders a page for the cache: its reads go to the
# primary (market.web.reads), so the page is current for the version the cache read there.
FILLING = "page_cache_filling"

FRESH = 0.5  # seconds (real time) a page is served without asking the data version
MAX_AGE = timedelta(seconds=10)  # on the app's clock
PLACEHOLDER = secrets.token_hex(64).encode()  # as long as a CSRF token; never sent

Key = tuple[str, bytes, str, bool]  # path, stable query, language, fragment?

_changes = 0  # changes this process made (audit rows it appended)


def note_change() -> None:
    global _changes
    _changes += 1


def changes() -> int:
    return _changes


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # no length, coding or cookie
    parts: tuple[bytes, ...]  # the body, split where the visitor's token goes
    deflated: tuple[bytes, ...]  # gzip_splice.deflate_parts(parts); () if not compressed
    brotli: bytes | None  # the whole body, when it holds no token
    version: Hashable = None
    made: float = 0.0  # time.monotonic()
    at: datetime | None = None  # clock.now()
    local: int = 0  # changes() when its rendering started

    @property
    def size(self) -> int:
        return sum(map(len, self.parts)) + sum(map(len, self.deflated)) + len(self.brotli or b"")

    def _in_time(self) -> bool:
        """Rendered after this process last changed anything, within `MAX_AGE`."""
        if self.local != _changes or self.at is None:
            return False
        return timedelta(0) <= clock.now() - self.at <= MAX_AGE

    def fresh(self) -> bool:
        """Young enough to serve without asking the data version."""
        return self._in_time() and time.monotonic() - self.made < FRESH

    def current(self, version: Hashable) -> bool:
        return self._in_time() and version == self.version


class PageStore:
    """Least recently used pages, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[Key, Page] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Key) -> Page | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: Key, page: Page) -> None:
        self.discard(key)
        if page.size > self.max_bytes // 8:
            return
        self._pages[key] = page
        self.bytes += page.size
        while self.bytes > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self.bytes -= evicted.size

    def discard(self, key: Key) -> None:
        old = self._pages.pop(key, None)
        if old is not None:
            self.bytes -= old.size


def stable_query(query: bytes) -> bytes:
    """The parameters in order of their names; a name's values keep their order."""
    pieces: list[bytes] = [piece for piece in query.split(b"&") if piece]
    ordered: list[bytes] = sorted(pieces, key=_name)
    return b"&".join(ordered)


def _name(piece: bytes) -> bytes:
    return piece.partition(b"=")[0]


@dataclass(frozen=True, slots=True)
class Sent:
    """A response as the app sent it (header names in lower case)."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def header(self, name: bytes) -> bytes:
        return next((value for key, value in self.headers if key == name), b"")


def build_page(sent: Sent) -> Page:
    """The page as sent, split at the placeholder and compressed once."""
    headers: list[tuple[bytes, bytes]] = []
    vary, body = b"", sent.body
    for lower, value in sent.headers:
        if lower == b"vary":
            vary = value
        elif lower not in (b"content-length", b"content-encoding", b"set-cookie"):
            headers.append((lower, value))
    content_type = dict(headers).get(b"content-type", b"")
    parts = tuple(body.split(PLACEHOLDER))
    deflated: tuple[bytes, ...] = ()
    packed = None
    if content_type.startswith(b"text/") and len(body) >= MINIMUM_SIZE:
        deflated = gzip_splice.deflate_parts(parts, GZIP_LEVEL)
        if len(parts) == 1:
            packed = brotli.compress(body, quality=BROTLI_QUALITY)
        vary = b", ".join(v for v in (vary, b"Accept-Encoding") if v)
    if vary:
        headers.append((b"vary", vary))
    return Page(sent.status, tuple(headers), parts, deflated, packed)


def encode(page: Page, token: bytes, accept_encoding: str) -> tuple[str, bytes]:
    """(content coding, body) of the page with the visitor's token."""
    if not page.deflated:
        return "", gzip_splice.joined(page.parts, token)
    offered = ("br", "gzip") if page.brotli is not None else ("gzip", "br")
    coding = negotiate(accept_encoding, offered)
    if coding == "gzip":
        return coding, gzip_splice.gzip_spliced(page.parts, page.deflated, token)
    if coding == "br":
        text = gzip_splice.joined(page.parts, token)
        return coding, page.brotli or brotli.compress(text, quality=BROTLI_QUALITY)
    return "", gzip_splice.joined(page.parts, token)
