"""Which server stack `market serve` runs, and how its public pages scale with workers.

    .venv/bin/python -m benchmarks.server_stack [--seconds 8] [--rounds 5] [--nice 0]
        [--only hello|pages] [--engine sqlite|postgres|both] [--path /tenders] [--port 8630]

1. hello: the bare Litestar hello (benchmarks/hello.py) on each candidate stack —
   uvicorn as it ran before (h11 parser, asyncio loop), uvicorn[standard] (httptools,
   uvloop), granian (Rust HTTP, ASGI interface) with uvloop and with plain asyncio —
   one worker each, all started at once and driven in turn, round after round, by wrk
   with 32 keep-alive connections (benchmarks/loadgen.py). Fails unless the server
   `market serve` runs (composition.serve.STACK) has the highest rate.
2. pages: the real `market serve --workers 1` beside `market serve --workers 2` on a
   public page of the demo district (`market migrate && market demo`), on SQLite and on
   PostgreSQL (scratch database `server_stack_bench` at MARKET_BENCH_PG_URL), asked for
   as a browser does (Accept-Encoding: br), driven in turn the same way. Fails when two
   workers serve less than 1.7 × one worker.

Rates are compared best round against best round (another process can only slow a
round down, never speed it up); medians are printed too, with the requests per
CPU-second of the server (its cost, whatever else ran) and the cores each run got: the
server, its PostgreSQL backends, wrk, and the rest of the machine. On a machine shared
with other jobs, `--nice -10` (as root) makes them yield to the benchmark's processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from benchmarks.ledger_pgbench import ADMIN_URL, db_url, recreate
from benchmarks.loadgen import ROOT, Run, Server, check_port, drive, require_wrk

BIN = Path(sys.executable).parent
HELLO = "benchmarks.hello:app"
SCALING_GOAL = 1.7
# Scratch database names; MARKET_BENCH_DB_PREFIX keeps concurrent runs apart.
PREFIX = os.environ.get("MARKET_BENCH_DB_PREFIX", "")
PG_DB = f"{PREFIX}server_stack_bench"
BROWSER = ("Accept-Encoding: gzip, deflate, br",)  # pages are fetched as a browser does
SECRETS = {
    "SECRET_KEY": "server-stack-benchmark-secret-0123456789abcdef",
    "MARKET_BID_KEY": "5e" * 32,
}


def candidates(port: int) -> dict[str, tuple[str, list[str]]]:
    """label → (server, as composition.serve.STACK names it; argv), one port each."""
    quiet = ["--no-access-log", "--log-level", "warning"]

    def uvicorn(at: int, *options: str) -> list[str]:
        return [sys.executable, "-m", "uvicorn", HELLO, "--port", str(at), *quiet, *options]

    def granian(at: int, loop: str) -> list[str]:
        return [
            str(BIN / "granian"),
            "--interface",
            "asgi",
            "--loop",
            loop,
            "--port",
            str(at),
            *quiet,
            HELLO,
        ]

    return {
        "uvicorn (h11, asyncio)": ("uvicorn", uvicorn(port, "--http", "h11", "--loop", "asyncio")),
        "uvicorn[standard] (httptools, uvloop)": (
            "uvicorn[standard]",
            uvicorn(port + 1, "--http", "httptools", "--loop", "uvloop"),
        ),
        "granian (ASGI, uvloop)": ("granian", granian(port + 2, "uvloop")),
        "granian (ASGI, asyncio)": ("granian", granian(port + 3, "asyncio")),
    }


def rounds(
    servers: dict[str, Server], args: argparse.Namespace, headers: tuple[str, ...] = ()
) -> dict[str, list[Run]]:
    """Warm every server up, then drive each in turn for `args.rounds` rounds."""
    for server in servers.values():
        drive(server, seconds=2, connections=args.connections, headers=headers)
    runs: dict[str, list[Run]] = {label: [] for label in servers}
    for number in range(args.rounds):
        for label, server in servers.items():
            run = drive(server, seconds=args.seconds, connections=args.connections, headers=headers)
            if run.failures:
                raise SystemExit(
                    f"{label}: {run.failures} failed requests (non-2xx/3xx or socket errors)"
                    f" in round {number + 1}; the server's log ends:\n{server.log_tail()}"
                )
            runs[label].append(run)
    return runs


def best(runs: list[Run]) -> float:
    return max(run.rate for run in runs)


def table(runs: dict[str, list[Run]], heading: str) -> None:
    print(
        f"\n{heading:<40} {'best':>9} {'median':>9} {'p50 ms':>7} {'req/CPU-s':>10}"
        f" {'server':>7} {'db':>5} {'wrk':>5} {'others':>7}  (cores)"
    )
    for label, measured in runs.items():
        top = max(measured, key=lambda run: run.rate)
        median = statistics.median(run.rate for run in measured)
        print(
            f"{label:<40} {top.rate:9,.0f} {median:9,.0f} {top.p50_ms:7.2f}"
            f" {statistics.median(r.per_server_cpu for r in measured):10,.0f}"
            f" {top.cores(top.server_cpu):7.2f} {top.cores(top.database_cpu):5.2f}"
            f" {top.cores(top.loadgen_cpu):5.2f}"
            f" {top.cores(top.others_cpu):7.2f}"
        )


def measure_hello(args: argparse.Namespace) -> tuple[bool, float]:
    """The hello table; (market serve's stack is the fastest, its best rate)."""
    from composition.serve import STACK

    stacks = candidates(args.port + 1)
    servers = {
        label: Server(argv, port=int(argv[argv.index("--port") + 1]))
        for label, (_, argv) in stacks.items()
    }
    for server in servers.values():
        check_port(server.port)
    with _all(servers.values()):
        runs = rounds(servers, args)
    table(runs, f"hello, 1 worker, {args.connections} conn, req/s")
    fastest = max(runs, key=lambda label: best(runs[label]))
    cheapest = max(runs, key=lambda label: statistics.median(r.per_server_cpu for r in runs[label]))
    ok = stacks[fastest][0] == STACK
    print(f"fastest: {fastest}; fewest CPU-seconds per request: {cheapest}")
    print(f"`market serve` runs {STACK}: {'ok' if ok else 'NOT THE FASTEST SERVER'}")
    served = max(
        (label for label in runs if stacks[label][0] == STACK), key=lambda label: best(runs[label])
    )
    return ok, best(runs[served])


def _all(servers: Iterable[Server]) -> contextlib.ExitStack:
    """Every server started (one after another); all stopped on the way out."""
    stack = contextlib.ExitStack()
    with stack:
        for server in servers:
            stack.enter_context(server)
        return stack.pop_all()


def _market(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "market"), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"market {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def demo_database(engine: str, name: str = PG_DB, *, reuse: bool = False) -> dict[str, str]:
    """A fresh demo district on `engine` (PostgreSQL: the scratch database `name`); the
    environment that serves it. `reuse` keeps the one the last run loaded, if any."""
    var = ROOT / "var" / f"bench-{name}-{engine}"
    url = db_url(name) if engine == "postgres" else f"sqlite:///{var / 'market.sqlite3'}"
    env = {**SECRETS, "DATABASE_URL": url, "MARKET_VAR_DIR": str(var)}
    served = {**env, "MARKET_ENV": "prod", "MARKET_WORKER_INLINE": "0"}
    if reuse and (var / "loaded").exists():
        return served
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if engine == "postgres":
        asyncio.run(recreate(name))
    _market(["migrate"], {**env, "MARKET_ENV": "dev"})
    _market(["demo", "--if-empty"], {**env, "MARKET_ENV": "dev"})
    (var / "loaded").touch()
    return served


def backends(application: str) -> Callable[[], list[int]]:
    """The PostgreSQL backends whose connections named themselves `application` (none
    when the server refuses one more connection: their CPU is then left uncounted)."""

    async def query() -> list[int]:
        import asyncpg

        try:
            connection = await asyncpg.connect(ADMIN_URL)
        except asyncpg.TooManyConnectionsError:  # a shared server, full: not counted
            return []
        try:
            found = "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
            return [row["pid"] for row in await connection.fetch(found, application)]
        finally:
            await connection.close()

    return lambda: asyncio.run(query())


def page_server(env: dict[str, str], workers: int, port: int, path: str) -> Server:
    """`market serve --workers N`; on PostgreSQL its connections carry its name. Access
    lines for errors and slow requests only (MARKET_ACCESS_LOG=errors, as deployed behind
    HAProxy, which logs every request; set MARKET_ACCESS_LOG=all to measure with a line
    per request: about 40% fewer cached pages per second)."""
    env = {"MARKET_ACCESS_LOG": os.environ.get("MARKET_ACCESS_LOG", "errors"), **env}
    argv = [str(BIN / "market"), "serve", "--port", str(port), "--workers", str(workers)]
    if not env["DATABASE_URL"].startswith("postgresql"):
        return Server(argv, port=port, env=env, path=path)
    application = f"server-stack-{workers}w"
    env = {**env, "DATABASE_URL": f"{env['DATABASE_URL']}?application_name={application}"}
    return Server(argv, port=port, env=env, path=path, backends=backends(application))


def measure_pages(engine: str, args: argparse.Namespace) -> tuple[float, float]:
    """(two workers' best rate over one worker's, one worker's) on `args.path`."""
    env = demo_database(engine)
    port = args.port + 6 + (2 if engine == "postgres" else 0)
    servers = {
        f"{n} worker{'s' if n > 1 else ''}": page_server(env, n, port + n - 1, args.path)
        for n in (1, 2)
    }
    for server in servers.values():
        check_port(server.port)
    with _all(servers.values()):
        runs = rounds(servers, args, BROWSER)
    table(runs, f"{args.path}, demo district, {engine}, req/s")
    one, two = (runs[label] for label in servers)
    ratio = best(two) / best(one)
    medians = statistics.median(r.rate for r in two) / statistics.median(r.rate for r in one)
    verdict = "ok" if ratio >= SCALING_GOAL else "BELOW GOAL"
    print(
        f"2 workers / 1 worker: {ratio:.2f} (best rounds), {medians:.2f} (medians);"
        f" goal >= {SCALING_GOAL}: {verdict}"
    )
    return ratio, best(one)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=("hello", "pages"))
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--path", default="/tenders", help="the public page to measure")
    parser.add_argument("--port", type=int, default=8630, help="first of 10 ports to use")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the servers, wrk and the database backends serving them (below 0"
        " needs root): on a shared machine, other jobs then mostly yield to the benchmark",
    )
    args = parser.parse_args()
    try:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # every process started inherits it
    except PermissionError:
        parser.error(f"--nice {args.nice} needs root")
    require_wrk()
    print(
        f"wrk, 1 thread, {args.connections} connections, {args.seconds:g} s per run,"
        f" {args.rounds} rounds, niceness {args.nice}; {os.cpu_count()} cores"
    )
    failed, hello = [], 0.0
    if args.only != "pages":
        fastest, hello = measure_hello(args)
        failed += [] if fastest else ["stack"]
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    pages = {engine: measure_pages(engine, args) for engine in engines if args.only != "hello"}
    failed += [
        f"scaling on {engine}" for engine, (ratio, _) in pages.items() if ratio < SCALING_GOAL
    ]
    for engine, (_, rate) in pages.items() if hello else ():
        print(f"{args.path} on {engine}, 1 worker: {rate / hello:.3f} × hello on the same stack")
    print(f"\nserver_stack: {'FAILED: ' + ', '.join(failed) if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
