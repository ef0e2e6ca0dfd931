"""Public pages against a bare hello on the same server stack (issue #17: >= 0.30 each).

    .venv/bin/python -m benchmarks.public_pages [--seconds 5] [--rounds 3]
        [--data sqlite,postgres,postgres-100k] [--large 100000] [--new-visitors]
        [--uncached] [--nice 0] [--port 18100]

For each data set — the demo district on SQLite, on PostgreSQL, and on PostgreSQL with
`--large` more tenders (bulk-loaded in one INSERT … SELECT generate_series: published
tenders of the demo's first department, spread over five years, every public end
status, six categories; then ANALYZE) — it starts `market serve --workers 1` (the stack
`market serve` runs, composition/serve.py) and, beside it, the bare Litestar hello
(benchmarks/hello.py) on the same stack: granian, ASGI, uvloop, one worker. Then, round
after round, wrk with 32 keep-alive connections (benchmarks/loadgen.py) drives in turn
the hello and each page: the home page, /tenders, a tender's page, a project's page
and /statistics, asked for as a browser does (Accept-Encoding: gzip, deflate, br) by a
returning visitor (the CSRF cookie of an earlier visit; `--new-visitors`: none, so
every answer issues a token and its cookie). `--uncached` adds `market serve` with the
page cache off (MARKET_PAGE_CACHE_MB=0), to show what rendering costs.

Prints each page's best and median rate and its ratio to the hello's (best round to best
round: another process can only slow a round down; medians beside), and exits 1 when any
page is below `GOAL` × hello. Scratch databases carry MARKET_BENCH_DB_PREFIX.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from benchmarks.ledger_pgbench import db_url
from benchmarks.loadgen import Run, Server, check_port, drive, require_wrk, tree_cpu
from benchmarks.server_stack import PREFIX, candidates, demo_database, page_server

GOAL = 0.30
DATA = ("sqlite", "postgres", "postgres-100k")
BROWSER = ("Accept-Encoding: gzip, deflate, br", "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5")
CATEGORIES = (
    "software_services", "science_technology", "dispute_mediation",
    "coordination_management", "charity", "community_services",
)  # fmt: skip
END_STATUSES = ("completed", "unsuccessful", "awarded", "contracted", "evaluation")

BULK_TENDERS = """
INSERT INTO market_tender (ocid, department, created_by, title_zh, title_en, description_zh,
  description_en, category, area_level, area, currency, budget, goal_corporate,
  goal_foundation, goal_public, goal_own, min_bids, criteria, enquiry_end, bid_deadline,
  opening_at, acceleration, status, published_at, status_changed_at, amended_at,
  amendment_count, cancel_reason, budget_hold_key, qa_salt, version, created_at, updated_at)
SELECT 'ocds-bulk-' || n, d.department, d.created_by, '社区公共服务项目 ' || n,
  'Community public service ' || n, '为辖区居民提供公共服务。', 'Public services for residents.',
  ($1::text[])[1 + n % 6], 'street', '湖滨街道', 'CNY', (10000 + (n * 7919) % 1990000) * 100,
  0, 0, (n % 7) * 100000, 0, 2, d.criteria, p + interval '7 days', p + interval '21 days',
  p + interval '21 days 1 hour', 1, ($2::text[])[1 + n % 5], p, p + interval '22 days', NULL,
  0, '', '', md5(n::text), 1, p, p + interval '22 days'
FROM generate_series(1, $3::int) AS n
CROSS JOIN LATERAL (SELECT timestamptz '2021-01-01 00:00+00' + n * ($4::float8 * interval
  '1 second') AS p) AS at
CROSS JOIN (SELECT department, created_by, criteria FROM market_tender
  WHERE status <> 'draft' AND acceleration = 1 ORDER BY id LIMIT 1) AS d
"""


async def load_tenders(name: str, count: int) -> float:
    """`count` more published tenders in the scratch database `name`; seconds taken."""
    import asyncpg

    connection = await asyncpg.connect(db_url(name))
    try:
        started = time.perf_counter()
        spread = 4 * 365 * 24 * 3600 / count  # seconds between two tenders: four years
        await connection.execute(BULK_TENDERS, list(CATEGORIES), list(END_STATUSES), count, spread)
        await connection.execute("ANALYZE market_tender")
        return time.perf_counter() - started
    finally:
        await connection.close()


def get_json(port: int, path: str) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
        return json.load(answer)  # type: ignore[no-any-return]


def visitor_cookie(port: int) -> str:
    """The CSRF cookie a browser keeps from its first page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
        cookie = answer.headers["set-cookie"]
    return cookie.split(";", 1)[0]


def pages(port: int) -> dict[str, str]:
    """label → path: the five public pages, with a tender open for bids and a funded project."""

    def first(status: str) -> int:
        items = get_json(port, f"/api/v1/tenders?status={status}&limit=1")["items"]
        assert isinstance(items, list) and items, f"no {status} tender in the demo"
        return int(items[0]["id"])

    tender, project = first("tendering"), first("contracted")
    return {
        "home /": "/",
        "/tenders": "/tenders",
        f"tender /tenders/{tender}": f"/tenders/{tender}",
        f"project /projects/{project}": f"/projects/{project}",
        "/statistics": "/statistics",
    }


@contextmanager
def servers(data: str, args: argparse.Namespace, port: int) -> Iterator[dict[str, Server]]:
    """The hello, `market serve --workers 1` (and the uncached one) over `data`."""
    engine = "sqlite" if data == "sqlite" else "postgres"
    name = f"{PREFIX}public_pages_{data.replace('-', '_')}"
    env = demo_database(engine, name)
    if data == "postgres-100k":
        seconds = asyncio.run(load_tenders(name, args.large))
        print(f"{data}: {args.large:,} more tenders loaded in {seconds:.1f} s", flush=True)
    hello_argv = candidates(port)["granian (ASGI, uvloop)"][1]
    found = {
        "hello": Server(hello_argv, port=int(hello_argv[hello_argv.index("--port") + 1])),
        "market serve": page_server(env, 1, port + 4, "/"),
    }
    if args.uncached:
        found["no cache"] = page_server({**env, "MARKET_PAGE_CACHE_MB": "0"}, 1, port + 5, "/")
    for server in found.values():
        check_port(server.port)
    with ExitStack() as stack:
        for server in found.values():
            stack.enter_context(server)
        yield found


def measure(data: str, args: argparse.Namespace) -> dict[str, list[Run]]:
    """label → runs, for the hello and each page, rounds interleaved."""
    with servers(data, args, args.port) as found:
        serve = found["market serve"]
        headers = (
            BROWSER if args.new_visitors else (*BROWSER, f"Cookie: {visitor_cookie(serve.port)}")
        )
        targets = {"hello": (found["hello"], "/", ())}
        for label, path in pages(serve.port).items():
            targets[label] = (serve, path, headers)
            if "no cache" in found:
                targets[f"{label} (no cache)"] = (found["no cache"], path, headers)
        for server, path, sent in targets.values():  # warm up: caches, pools, code paths
            drive(server, seconds=1, connections=args.connections, path=path, headers=sent)
            settle(server)
        runs: dict[str, list[Run]] = {label: [] for label in targets}
        for _ in range(args.rounds):
            for label, (server, path, sent) in targets.items():
                run = drive(
                    server, seconds=args.seconds, connections=args.connections, path=path,
                    headers=sent,
                )  # fmt: skip
                if run.failures:
                    raise SystemExit(f"{data} {label}: {run.failures} failed requests:\n"
                                     f"{server.log_tail()}")  # fmt: skip
                runs[label].append(run)
                settle(server)
    return runs


def settle(server: Server, most: float = 30.0) -> None:
    """Wait until the server has answered what wrk left in flight (a slow page's queue
    would otherwise run into the next page's measurement)."""
    deadline = time.monotonic() + most
    before = tree_cpu(server.pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = tree_cpu(server.pid)
        if now - before < 0.02:
            return
        before = now


def report(data: str, runs: dict[str, list[Run]]) -> list[str]:
    """Print the table; the pages below the goal."""
    hello = max(r.rate for r in runs["hello"])
    hello_median = statistics.median(r.rate for r in runs["hello"])
    print(f"\n{data}: req/s, 1 worker, best round (median)      ratio to hello (medians)")
    below = []
    for label, measured in runs.items():
        top = max(r.rate for r in measured)
        median = statistics.median(r.rate for r in measured)
        ratio = top / hello
        cached = label != "hello" and not label.endswith("(no cache)")
        verdict = ("ok" if ratio >= GOAL else "BELOW GOAL") if cached else ""
        print(
            f"  {label:<34} {top:9,.0f} ({median:9,.0f})"
            f"   {ratio:5.3f} ({median / hello_median:5.3f})"
            f"  p50 {statistics.median(r.p50_ms for r in measured):6.2f} ms  {verdict}"
        )
        if cached and ratio < GOAL:
            below.append(f"{data} {label}")
    return below


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--data", default=",".join(DATA), help="comma-separated: " + ", ".join(DATA)
    )
    parser.add_argument(
        "--large", type=int, default=100_000, help="tenders added for postgres-100k"
    )
    parser.add_argument("--new-visitors", action="store_true", help="no CSRF cookie sent")
    parser.add_argument("--uncached", action="store_true", help="also market serve without cache")
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--port", type=int, default=18100, help="first of 6 ports to use")
    args = parser.parse_args()
    chosen = [d.strip() for d in args.data.split(",") if d.strip()]
    if unknown := sorted(set(chosen) - set(DATA)):
        parser.error(f"unknown data set: {', '.join(unknown)}")
    try:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    except PermissionError:
        parser.error(f"--nice {args.nice} needs root")
    require_wrk()
    visitors = (
        "new visitors (no cookie)" if args.new_visitors else "returning visitors (CSRF cookie)"
    )
    print(
        f"wrk, 1 thread, {args.connections} connections, {args.seconds:g} s per run, {args.rounds}"
        f" rounds interleaved; {visitors}; {os.cpu_count()} cores; goal >= {GOAL} x hello"
    )
    below = []
    for data in chosen:
        below += report(data, measure(data, args))
    print(f"\npublic_pages: {'FAILED: ' + ', '.join(below) if below else 'ok'}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
