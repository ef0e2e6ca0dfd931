"""Static files under fingerprinted names: compressed once, cached by browsers for a year.

`static_url("app.css")` (a template global) is `/static/app.<12 hex digits>.css`, the
digits the start of the file's SHA-256: a changed file gets a new URL, so each URL may
be kept forever (`Cache-Control: public, max-age=31536000, immutable`) and a browser
never asks for htmx again until it changes. Only the files under static/ (read once,
at first use) are served:

- the current fingerprinted name: the file, immutable;
- another fingerprint of a known file (a page from before a deploy): a redirect to the
  current one, never stored;
- the plain name (`/static/app.css`, for links from outside the pages): the file with
  `no-cache` and an ETag, so it is revalidated (304) rather than fetched again;
- anything else: 404.

Text files are sent brotli- or gzip-compressed, as Accept-Encoding allows
(`market.web.compression.negotiate`), each compressed at the best level once per
process. In dev a file edited while the server runs is read again.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
from litestar import Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from market.settings import get_settings
from market.web.compression import OFFERED, compressible, negotiate

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
DIGITS = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_FINGERPRINTED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGITS}}})(?P<suffix>\.\w+)$")


class Asset:
    """One file under static/: its bytes, digest and (lazily) compressed forms."""

    def __init__(self, name: str, body: bytes, mtime_ns: int) -> None:
        self.name, self.body, self.mtime_ns = name, body, mtime_ns
        self.digest = hashlib.sha256(body).hexdigest()
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.media_type = f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
        path = Path(name)
        self.url = f"/static/{path.with_name(f'{path.stem}.{self.digest[:DIGITS]}{path.suffix}')}"
        self._encoded: dict[str, bytes] = {}

    def encoded(self, encoding: str) -> bytes | None:
        """The body in `encoding` ("br" or "gzip"), None when that would not help."""
        if encoding not in self._encoded:
            if encoding == "br":
                packed = brotli.compress(self.body, mode=brotli.MODE_TEXT, quality=11)
            else:
                packed = gzip.compress(self.body, compresslevel=9, mtime=0)
            self._encoded[encoding] = packed
        packed = self._encoded[encoding]
        return packed if len(packed) < len(self.body) else None


class Manifest:
    """Every file under `root` by plain and by fingerprinted name."""

    def __init__(self, root: Path, *, watch: bool) -> None:
        self.root, self.watch = root, watch
        self.by_name: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            if path.is_file():
                self._read(path.relative_to(root).as_posix())

    def _read(self, name: str) -> Asset:
        path = self.root / name
        asset = Asset(name, path.read_bytes(), path.stat().st_mtime_ns)
        old = self.by_name.get(name)
        if old is not None:
            self.by_url.pop(old.url, None)
        self.by_name[name] = self.by_url[asset.url] = asset
        return asset

    def _fresh(self, asset: Asset) -> Asset:
        """The asset, read again in dev when its file changed since."""
        if self.watch and (self.root / asset.name).stat().st_mtime_ns != asset.mtime_ns:
            return self._read(asset.name)
        return asset

    def url(self, name: str) -> str:
        asset = self.by_name.get(name)
        if asset is None:
            raise LookupError(f"no static file {name!r} under {self.root}")
        return self._fresh(asset).url

    def find(self, name: str) -> tuple[Asset, str] | None:
        """(asset, "current" | "stale" | "plain") for a requested name, None if unknown."""
        if (asset := self.by_url.get(f"/static/{name}")) is not None:
            return asset, "current"
        if (asset := self.by_name.get(name)) is not None:
            return self._fresh(asset), "plain"
        found = _FINGERPRINTED.match(name)
        plain = found and self.by_name.get(found["stem"] + found["suffix"])
        if plain:
            fresh = self._fresh(plain)
            return fresh, "current" if fresh.url == f"/static/{name}" else "stale"
        return None


_manifest: Manifest | None = None


def manifest() -> Manifest:
    global _manifest
    if _manifest is None:
        _manifest = Manifest(STATIC, watch=get_settings().dev)
    return _manifest


def static_url(name: str) -> str:
    """The fingerprinted URL of a file under static/ (a template global)."""
    return manifest().url(name)


def warm_up() -> None:
    """Compress every text file now (brotli's best level takes ~0.25 s for htmx)."""
    for asset in list(manifest().by_name.values()):
        if compressible(asset.media_type):
            for encoding in OFFERED:
                asset.encoded(encoding)


def warm_up_in_background() -> None:
    """`warm_up` in a daemon thread: start-up does not wait for it."""
    threading.Thread(target=warm_up, name="static-assets", daemon=True).start()


def _etag(asset: Asset, encoding: str) -> str:
    return f'"{asset.digest[:20]}{"-" + encoding if encoding else ""}"'


def respond(name: str, headers: Mapping[str, str]) -> Response[Any]:
    """The answer to GET /static/<name> (see the module's docstring)."""
    found = manifest().find(name.lstrip("/"))
    if found is None:
        raise NotFoundException(f"no static file {name!r}")
    asset, kind = found
    if kind == "stale":
        return Redirect(asset.url, status_code=307, headers={"Cache-Control": "no-store"})
    encoding, body = "", asset.body
    if compressible(asset.media_type):
        encoding = negotiate(headers.get("accept-encoding", ""))
        body = (asset.encoded(encoding) if encoding else None) or asset.body
        encoding = encoding if body is not asset.body else ""
    sent = {
        "Cache-Control": IMMUTABLE if kind == "current" else REVALIDATE,
        "ETag": _etag(asset, encoding),
        "Vary": "Accept-Encoding",
    }
    if encoding:
        sent["Content-Encoding"] = encoding
    if kind == "plain" and sent["ETag"] in headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=sent, media_type=asset.media_type)
    return Response(body, headers=sent, media_type=asset.media_type)
