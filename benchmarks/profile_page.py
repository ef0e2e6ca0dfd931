"""Where a public page's time goes: cProfile over requests through the whole app.

    .venv/bin/python -m benchmarks.profile_page [--engine sqlite|postgres] [--path /tenders]
        [--requests 200] [--lang en|zh_Hans] [--top 25] [--no-cache] [--reuse]

Loads the demo district (`market migrate && market demo`, as benchmarks/server_stack.py
does; PostgreSQL: the scratch database `<MARKET_BENCH_DB_PREFIX>profile_bench`), builds
the app in this process and asks for `--path` through httpx's ASGITransport as an
anonymous browser (Accept-Encoding: br, the CSRF cookie of its first visit), after a
warm-up. Prints the wall time per request without the profiler, then profiles the same
requests and prints, per request: the Jinja macro calls, the gettext calls, the
function calls in all, and the functions with the most time of their own and in all.
`--no-cache` turns the page cache (market/web/page_cache.py) off, to profile rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import sys
import time
from typing import Any

from benchmarks.server_stack import PREFIX, demo_database

PG_DB = f"{PREFIX}profile_bench"


def _calls(stats: pstats.Stats, file_part: str, name: str) -> int:
    """Calls of the functions named `name` defined in a file whose path has `file_part`."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return sum(
        primitive
        for (filename, _, function), (primitive, *_) in table.items()
        if function == name and file_part in filename
    )


def _top(stats: pstats.Stats, key: str, top: int) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(key).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


async def profile(args: argparse.Namespace) -> None:
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from composition.app import create_app
    from market.db import close_pool, start_pool

    await start_pool()
    app = create_app()
    headers = {
        "Accept-Encoding": "gzip, deflate, br",
        "Accept-Language": args.lang.replace("_", "-"),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(30):
            response = await client.get(args.path, headers=headers)
            response.raise_for_status()
        started = time.perf_counter()
        for _ in range(args.requests):
            (await client.get(args.path, headers=headers)).raise_for_status()
        wall = (time.perf_counter() - started) / args.requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            await client.get(args.path, headers=headers)
        profiler.disable()
    await close_pool()
    stats = pstats.Stats(profiler)
    n = args.requests
    total = stats.total_tt  # type: ignore[attr-defined]
    calls = stats.total_calls  # type: ignore[attr-defined]
    print(f"{args.path} on {args.engine}, {args.lang}, {len(response.content):,} bytes sent")
    print(f"wall time per request without the profiler: {wall:.2f} ms (ASGITransport)")
    print(f"with the profiler: {total / n * 1000:.2f} ms per request, {calls / n:,.0f} calls")
    print(
        f"Jinja macro calls per request: {_calls(stats, 'jinja2/runtime.py', '_invoke') / n:,.0f}"
    )
    print(f"gettext calls per request: {_calls(stats, 'market/web/i18n.py', 'gettext') / n:,.0f}")
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
