"""Where a public page's time goes: cProfile over requests through the whole app.

    .venv/bin/python -m benchmarks.profile_page [--engine sqlite|postgres] [--path /tenders]
        [--requests 200] [--lang en|zh_Hans] [--top 25] [--no-cache] [--reuse]

Loads the demo district (`market migrate && market demo`, as benchmarks/server_stack.py
does; PostgreSQL: the scratch database `<MARKET_BENCH_DB_PREFIX>profile_bench`), builds
the app in this process and calls it with `--path` (straight ASGI calls: no HTTP client,
no server) as an anonymous browser (Accept-Encoding: gzip, deflate, br; the CSRF cookie
of its first visit), after a warm-up. Prints the wall time per request without the
profiler, then profiles the same requests and prints, per request: the calls made from
templates (Jinja's Context.call: macros, gettext, globals), the macro calls, the gettext
calls, the function calls in all, and the functions with the most time of their own and
in all.
`--no-cache` turns the page cache (market/web/page_cache.py) off, to profile rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from typing import Any

from benchmarks.server_stack import PREFIX, demo_database

PG_DB = f"{PREFIX}profile_bench"


def _calls(stats: pstats.Stats, file_part: str, name: str) -> int:
    """Calls of the functions named `name` defined in a file whose path has `file_part`
    (nested calls counted too)."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(
        calls
        for (filename, _, function), (_, calls, *_) in table.items()
        if function == name and file_part in filename
    )


def _top(stats: pstats.Stats, key: str, top: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(key).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


def asgi_request(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    """One GET straight into the app (no HTTP client, no server): (status, headers, body)."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": route, "raw_path": route.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"bench"), *headers],
        "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 12345),
    }  # fmt: skip
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        await app(scope, receive, send)
        start, *bodies = sent
        return start["status"], start["headers"], b"".join(m.get("body", b"") for m in bodies)

    return call()


async def profile(args: argparse.Namespace) -> None:
    from composition.app import create_app
    from market.db import close_pool, start_pool

    await start_pool()
    app = create_app()
    headers = [
        (b"accept-encoding", b"gzip, deflate, br"),
        (b"accept-language", args.lang.replace("_", "-").encode()),
    ]
    status, sent, body = await asgi_request(app, args.path, headers)
    cookie = dict(sent).get(b"set-cookie", b"").split(b";")[0]
    headers.append((b"cookie", cookie))  # a returning visitor, as a browser
    for _ in range(30):
        status, sent, body = await asgi_request(app, args.path, headers)
        assert status == 200, status
    started = time.perf_counter()
    for _ in range(args.requests):
        await asgi_request(app, args.path, headers)
    wall = (time.perf_counter() - started) / args.requests * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        await asgi_request(app, args.path, headers)
    profiler.disable()
    await close_pool()
    stats = pstats.Stats(profiler)
    n = args.requests
    total = stats.total_tt  # type: ignore[attr-defined]
    calls = stats.total_calls  # type: ignore[attr-defined]
    coding = dict(sent).get(b"content-encoding", b"identity").decode()
    print(f"{args.path} on {args.engine}, {args.lang}: {len(body):,} bytes sent ({coding})")
    print(f"wall time per request without the profiler: {wall:.3f} ms (the app alone)")
    print(f"with the profiler: {total / n * 1000:.2f} ms per request, {calls / n:,.0f} calls")
    from_templates = _calls(stats, "jinja2/runtime.py", "call") / n
    print(f"calls from templates (Jinja Context.call): {from_templates:,.0f}")
    print(f"Jinja macro calls: {_calls(stats, 'jinja2/runtime.py', '_invoke') / n:,.0f}")
    print(f"gettext calls: {_calls(stats, 'market/web/i18n.py', 'gettext') / n:,.0f}")
    print(f"\ntop {args.top} by own time (tottime; over {n} requests)")
    print(_top(stats, "tottime", args.top))
    print(f"\ntop {args.top} by cumulative time")
    print(_top(stats, "cumulative", args.top))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--path", default="/tenders")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--lang", choices=("en", "zh_Hans"), default="zh_Hans")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-cache", action="store_true", help="profile rendering")
    parser.add_argument("--reuse", action="store_true", help="keep the last demo database")
    args = parser.parse_args()
    env = demo_database(args.engine, PG_DB, reuse=args.reuse)
    os.environ.update({**env, "MARKET_ENV": "prod"})
    if args.no_cache:
        os.environ["MARKET_PAGE_CACHE_MB"] = "0"
    asyncio.run(profile(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
