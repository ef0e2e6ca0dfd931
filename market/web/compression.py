"""Compressed responses: brotli when the browser accepts it, else gzip, else none.

Litestar's CompressionMiddleware does the compressing (whole bodies and streamed ones);
`SelectiveCompression` decides what to compress: only text (HTML pages and htmx
fragments, JSON, CSV, XML, JavaScript, CSS, SVG) of at least `MINIMUM_SIZE` bytes, never
a body that is already compressed (PDF receipts, uploaded documents, images, archives)
or already carries a Content-Encoding, and never for a HEAD request; and it reads
Accept-Encoding by its weights (`br;q=0` refuses brotli).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.datastructures import Headers
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import HTTPResponseStartEvent, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024  # bytes: below this, headers and the compressor cost more than they save
BROTLI_QUALITY = 5  # per response, on the request's path: fast, and ~15% smaller than gzip
GZIP_LEVEL = 6
OFFERED = ("br", "gzip")  # in order of preference at equal weight
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-ndjson",
    "application/yaml",
    "image/svg+xml",
)


def compressible(content_type: str) -> bool:
    """Text worth compressing; binary formats are compressed already (or not worth it)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return (
        media.startswith("text/")
        or media in _TEXT_TYPES
        or media.endswith(("+json", "+xml", "+yaml"))
        or media.startswith("application/vnd.oai.openapi")
    )


def _weights(header: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in header.split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        if not coding:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights


@lru_cache(maxsize=256)  # a few distinct Accept-Encoding headers, asked for each response
def negotiate(accept_encoding: str, offered: tuple[str, ...] = OFFERED) -> str:
    """The offered coding the client weighs highest ("" for none): `*` stands for any."""
    weights = _weights(accept_encoding)
    ranked = [
        (weights.get(coding, weights.get("*", 0.0)), -rank, coding)
        for rank, coding in enumerate(offered)
    ]
    weight, _, coding = max(ranked)
    return coding if weight > 0 else ""


def _worth_compressing(start: HTTPResponseStartEvent) -> bool:
    status = start["status"]
    headers = {k.lower(): v for k, v in start["headers"]}
    return (
        status >= 200
        and status not in (204, 206, 304)
        and b"content-encoding" not in headers
        and compressible(headers.get(b"content-type", b"").decode("latin-1"))
    )


class SelectiveCompression(CompressionMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        offered = OFFERED if self.config.backend == "brotli" else ("gzip",)
        encoding = negotiate(Headers.from_scope(scope).get("accept-encoding", ""), offered)
        if not encoding or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        wrapped = self.create_compression_send_wrapper(send, encoding, scope)
        await self.app(scope, receive, wrapped)

    def create_compression_send_wrapper(
        self, send: Send, compression_encoding: Any, scope: Scope
    ) -> Send:
        """Litestar's compressing `send` for compressible responses, else `send` itself."""
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        target = compressing

        async def choose(message: Message) -> None:
            nonlocal target
            if message["type"] == "http.response.start":
                target = compressing if _worth_compressing(message) else send
            await target(message)

        return choose


def compression_config() -> CompressionConfig:
    """Brotli with a gzip fallback; /static/ files come compressed already (assets.py)."""
    return CompressionConfig(
        backend="brotli",
        brotli_quality=BROTLI_QUALITY,
        brotli_gzip_fallback=True,
        gzip_compress_level=GZIP_LEVEL,
        minimum_size=MINIMUM_SIZE,
        exclude=["^/static/"],
        middleware_class=SelectiveCompression,
    )
