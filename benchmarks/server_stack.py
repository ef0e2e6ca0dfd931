"""Which server stack `market serve` runs, and how its public pages scale with workers.

    .venv/bin/python -m benchmarks.server_stack [--seconds 10] [--rounds 3]
        [--only hello|pages] [--engine sqlite|postgres|both] [--path /tenders] [--port 8630]

1. hello: the bare Litestar hello (benchmarks/hello.py) on each candidate stack —
   uvicorn as it ran before (h11 parser, asyncio loop), uvicorn[standard] (httptools,
   uvloop), granian (Rust HTTP, ASGI interface) with uvloop and with plain asyncio —
   one worker each, all started at once and driven in turn, round after round, by wrk
   with 32 keep-alive connections (benchmarks/loadgen.py). Fails unless the stack
   `market serve` runs (composition.serve.STACK) has the highest rate.
2. pages: the real `market serve --workers 1` beside `market serve --workers 2` on a
   public page of the demo district (`market migrate && market demo`), on SQLite and on
   PostgreSQL (scratch database `server_stack_bench` at MARKET_BENCH_PG_URL), driven in
   turn the same way. Fails when two workers serve less than 1.7 × one worker.

Rates are compared best round against best round (another process can only slow a
round down, never speed it up); medians are printed too, with the cores each run got:
the server, wrk, and everything else (the database server, other jobs on the machine).
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
from collections.abc import Iterable
from pathlib import Path

from benchmarks.ledger_pgbench import ADMIN_URL, db_url, recreate
from benchmarks.loadgen import ROOT, Run, Server, check_port, drive, require_wrk

BIN = Path(sys.executable).parent
HELLO = "benchmarks.hello:app"
SCALING_GOAL = 1.7
PG_DB = "server_stack_bench"
SECRETS = {
    "SECRET_KEY": "server-stack-benchmark-secret-0123456789abcdef",
    "MARKET_BID_KEY": "server-stack-benchmark-bid-key-0123456789abcdef",
}


def candidates(port: int) -> dict[str, tuple[str, list[str]]]:
    """label → (stack id as composition.serve.STACK names it, argv), one port each."""
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
        "granian (ASGI, asyncio)": ("granian-asyncio", granian(port + 3, "asyncio")),
    }


def rounds(servers: dict[str, Server], args: argparse.Namespace) -> dict[str, list[Run]]:
    """Warm every server up, then drive each in turn for `args.rounds` rounds."""
    for server in servers.values():
        drive(server, seconds=2, connections=args.connections)
    runs: dict[str, list[Run]] = {label: [] for label in servers}
    for number in range(args.rounds):
        for label, server in servers.items():
            run = drive(server, seconds=args.seconds, connections=args.connections)
            if run.failures:
                raise SystemExit(f"{label}: {run.failures} failed requests in round {number + 1}")
            runs[label].append(run)
    return runs


def best(runs: list[Run]) -> float:
    return max(run.rate for run in runs)


def table(runs: dict[str, list[Run]], heading: str) -> None:
    print(
        f"\n{heading:<40} {'best':>9} {'median':>9} {'p50 ms':>7} {'req/CPU-s':>10}"
        f" {'server':>7} {'wrk':>5} {'others':>7}  (cores)"
    )
    for label, measured in runs.items():
        top = max(measured, key=lambda run: run.rate)
        median = statistics.median(run.rate for run in measured)
        print(
            f"{label:<40} {top.rate:9,.0f} {median:9,.0f} {top.p50_ms:7.2f}"
            f" {statistics.median(r.per_server_cpu for r in measured):10,.0f}"
            f" {top.cores(top.server_cpu):7.2f} {top.cores(top.loadgen_cpu):5.2f}"
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
    served = next(label for label, (stack, _) in stacks.items() if stack == STACK)
    ok = fastest == served
    print(f"fastest: {fastest}; `market serve` runs {served}: {'ok' if ok else 'NOT THE FASTEST'}")
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


def demo_database(engine: str) -> dict[str, str]:
    """A fresh demo district on `engine`; the environment that serves it."""
    var = ROOT / "var" / f"bench-stack-{engine}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if engine == "postgres":
        asyncio.run(recreate(PG_DB))
        url = db_url(PG_DB)
    else:
        url = f"sqlite:///{var / 'market.sqlite3'}"
    env = {**SECRETS, "DATABASE_URL": url, "MARKET_VAR_DIR": str(var)}
    _market(["migrate"], {**env, "MARKET_ENV": "dev"})
    _market(["demo", "--if-empty"], {**env, "MARKET_ENV": "dev"})
    return {**env, "MARKET_ENV": "prod", "MARKET_WORKER_INLINE": "0"}


def measure_pages(engine: str, args: argparse.Namespace) -> float:
    """Two workers' best rate over one worker's on `args.path`, with the table."""
    env = demo_database(engine)
    port = args.port + 6 + (2 if engine == "postgres" else 0)
    servers = {
        f"{workers} worker{'s' if workers > 1 else ''}": Server(
            [
                str(BIN / "market"),
                "serve",
                "--port",
                str(port + workers - 1),
                "--workers",
                str(workers),
            ],
            port=port + workers - 1,
            env=env,
            path=args.path,
        )
        for workers in (1, 2)
    }
    for server in servers.values():
        check_port(server.port)
    with _all(servers.values()):
        runs = rounds(servers, args)
    table(runs, f"{args.path}, demo district, {engine}, req/s")
    one, two = (runs[label] for label in servers)
    ratio = best(two) / best(one)
    medians = statistics.median(r.rate for r in two) / statistics.median(r.rate for r in one)
    verdict = "ok" if ratio >= SCALING_GOAL else "BELOW GOAL"
    print(
        f"2 workers / 1 worker: {ratio:.2f} (best rounds), {medians:.2f} (medians);"
        f" goal >= {SCALING_GOAL}: {verdict}"
    )
    args.page_rates[engine] = best(one)
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=("hello", "pages"))
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--path", default="/tenders", help="the public page to measure")
    parser.add_argument("--port", type=int, default=8630, help="first of 10 ports to use")
    args = parser.parse_args()
    args.page_rates = {}
    require_wrk()
    print(
        f"wrk, 1 thread, {args.connections} connections, {args.seconds:g} s per run,"
        f" {args.rounds} rounds; {ADMIN_URL if args.engine != 'sqlite' else 'SQLite'}"
    )
    failed, hello = [], 0.0
    if args.only != "pages":
        fastest, hello = measure_hello(args)
        failed += [] if fastest else ["stack"]
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    for engine in engines if args.only != "hello" else ():
        if measure_pages(engine, args) < SCALING_GOAL:
            failed.append(f"scaling on {engine}")
    for engine, rate in args.page_rates.items() if hello else ():
        print(f"{args.path} on {engine}, 1 worker: {rate / hello:.3f} × hello on the same stack")
    print(f"\nserver_stack: {'FAILED: ' + ', '.join(failed) if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
