"""Single-transfer ledger throughput next to pgbench's TPC-B-like script, same server.

    .venv/bin/python -m benchmarks.ledger_pgbench [--clients 8] [--duration 15]

Goal (issue #17): transfers with their audit row at >= 0.60 x pgbench, every audit row
chained within a second. The run exits 1 when the with-audit ratio (to the mean of the
two pgbench runs, pool reset as the app has it: `market.db.pool_options()`) is below
--target, or when a row waited longer than --max-lag to be chained.

Creates two scratch databases on the PostgreSQL at MARKET_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/postgres): `pgbench_ref` initialised by
`pgbench -i -s <scale>` (scale = clients, so the branch rows are not one hot spot)
and `ledger_bench` migrated with the app's migrations. It runs pgbench (built-in
TPC-B-like: BEGIN; 3 UPDATEs, 1 SELECT, 1 INSERT; END) with N clients for D
seconds, then N concurrent clients calling `market.ledger.services.transfer` (one
posted transfer between two random limit-checked accounts of 1,000, row locks in id
order, cached balances, idempotency look-up) for D seconds — once without and once
with the audit-chain append — and prints transfers/s and the ratio to pgbench.
Each ledger worker process runs its clients on one asyncio loop (like one app
worker); `--procs` sets how many worker processes share the N clients. While the
audit rows are appended, one more process runs the worker's `audit.sequence` job
exactly as `market worker` does (so the sequencer's cost is in the figure) and
watches the queue: every 50 ms the age of the oldest row not yet chained (now minus
its append time); the largest age seen is the sealing lag printed.
MARKET_BENCH_DB_PREFIX prefixes the scratch databases' names.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlparse, urlunparse

ADMIN_URL = os.environ.get("MARKET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Scratch database names; MARKET_BENCH_DB_PREFIX keeps concurrent runs apart.
_PREFIX = os.environ.get("MARKET_BENCH_DB_PREFIX", "")
LEDGER_DB = f"{_PREFIX}ledger_bench"
PGBENCH_DB = f"{_PREFIX}pgbench_ref"
ACCOUNTS = 1000


def db_url(name: str) -> str:
    return urlunparse(urlparse(ADMIN_URL)._replace(path="/" + name))


def find_pgbench() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for version in range(20, 10, -1):
        path = f"/usr/lib/postgresql/{version}/bin/pgbench"
        if os.path.exists(path):
            return path
    raise SystemExit("pgbench not found: apt-get install postgresql-contrib")


async def recreate(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run_pgbench(clients: int, duration: int, scale: int) -> float:
    pgbench = find_pgbench()
    asyncio.run(recreate(PGBENCH_DB))
    parts = urlparse(ADMIN_URL)
    conn = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    subprocess.run(
        [pgbench, *conn, "-i", "-q", "-s", str(scale), PGBENCH_DB], check=True, capture_output=True
    )
    threads = max(1, min(clients, os.cpu_count() or 1))
    out = subprocess.run(
        [pgbench, *conn, "-c", str(clients), "-j", str(threads), "-T", str(duration), PGBENCH_DB],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding)", out)
    if not match:
        raise SystemExit("could not read pgbench output:\n" + out)
    return float(match.group(1))


def _setup_env() -> None:
    os.environ["DATABASE_URL"] = db_url(LEDGER_DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ.setdefault("MARKET_ENV", "test")
    sys.path.insert(0, os.getcwd())


async def prepare_ledger() -> None:
    await recreate(LEDGER_DB)
    _setup_env()
    from market.db import close_pool, start_pool
    from market.ledger.services import ensure_accounts, transfer
    from market.migrate import migrate
    from market.money import Money

    await migrate()
    await start_pool()
    codes = [f"pledge:{i}" for i in range(ACCOUNTS)]
    await ensure_accounts(["external:bank", *codes], "CNY")
    for code in codes:
        await transfer(
            f"seed:{code}",
            debit="external:bank",
            credit=code,
            amount=Money(10**12, "CNY"),
            reason="seed",
            audit=False,
        )
    await close_pool()


async def _keep_session(connection: object) -> None:
    """Pool reset that skips asyncpg's per-release reset query (RESET ALL, UNLISTEN *,
    CLOSE ALL, advisory unlock): one round trip less per transaction. Safe for this
    code, which never changes session state."""


async def _clients(
    worker: int, clients: int, duration: float, audit: bool, reset: str
) -> tuple[int, float]:
    _setup_env()
    from market.db import engine, pool_options
    from market.ledger.services import transfer
    from market.money import Money

    options = {"reset": _keep_session} if reset == "none" else pool_options()
    if reset == "asyncpg":
        options = {}
    await engine().start_connection_pool(min_size=clients, max_size=clients, **options)
    rng = random.Random(worker)
    done = 0
    started = time.perf_counter()
    deadline = started + duration

    async def client(c: int) -> None:
        nonlocal done
        n = 0
        while time.perf_counter() < deadline:
            a, b = rng.sample(range(ACCOUNTS), 2)
            n += 1
            await transfer(
                f"b:{reset}:{int(audit)}:{worker}:{c}:{n}",
                debit=f"pledge:{a}",
                credit=f"pledge:{b}",
                amount=Money(rng.randint(1, 5000), "CNY"),
                reason="bench",
                audit=audit,
                actor="bench",
            )
            done += 1

    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - started
    await engine().close_connection_pool()
    return done, elapsed


def _worker(args: tuple[int, int, float, bool, str]) -> tuple[int, float]:
    return asyncio.run(_clients(*args))


async def _sequencer(ready: Any, stop: Any, lag: Any) -> None:
    """The worker's audit.sequence job (its real session loop), and the lag watcher."""
    _setup_env()
    from composition.wiring import wire
    from market import clock
    from market.audit import queued_count
    from market.db import close_pool, start_pool
    from market.jobs import get_job
    from market.jobs.runner import Worker

    wire()
    await start_pool()
    job = get_job("audit.sequence")
    assert job is not None
    worker = Worker([job], worker="bench:sequencer")
    running = asyncio.create_task(worker.run())
    ready.set()  # the worker runs before the load starts, as in production
    worst = 0.0
    while not stop.is_set():
        _, oldest = await queued_count()
        if oldest is not None:
            worst = max(worst, (clock.now() - oldest).total_seconds())
        await asyncio.sleep(0.05)
    for _ in range(1200):  # the writers are done: let it chain the rest (a minute at most)
        if not (await queued_count())[0]:
            break
        await asyncio.sleep(0.05)
    worker.stop()
    await running
    await close_pool()
    lag.value = worst


def _sequencer_process(ready: Any, stop: Any, lag: Any) -> None:
    asyncio.run(_sequencer(ready, stop, lag))


def run_ledger(
    clients: int, duration: int, procs: int, audit: bool, reset: str
) -> tuple[float, float | None]:
    """(transfers/s, the largest sealing lag seen in seconds, or None without audit)."""
    context = multiprocessing.get_context("spawn")
    ready, stop, lag = context.Event(), context.Event(), context.Value("d", 0.0)
    sequencer = context.Process(target=_sequencer_process, args=(ready, stop, lag))
    if audit:
        sequencer.start()
        if not ready.wait(120):
            raise SystemExit("the sequencer process did not start")
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    with context.Pool(procs) as pool:
        jobs = [(i, n, duration, audit, reset) for i, n in enumerate(shares) if n]
        results = pool.map(_worker, jobs)
    if audit:
        stop.set()
        sequencer.join()
        if sequencer.exitcode != 0:
            raise SystemExit("the sequencer process failed")
    rate = sum(count / elapsed for count, elapsed in results)
    return rate, (lag.value if audit else None)


async def verify() -> str:
    _setup_env()
    from market.audit import verify_chain
    from market.db import close_pool, start_pool
    from market.ledger.check import run_checks

    await start_pool()
    report, chain = await run_checks(), await verify_chain()
    await close_pool()
    return f"{report.summary()}\n{chain.summary()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=int, default=0, help="pgbench scale (default: clients)")
    parser.add_argument(
        "--pool-reset",
        choices=["none", "default", "asyncpg", "both"],
        default="both",
        help="pool reset on release: skip it, the app's (market.db.reset_session),"
        " asyncpg's reset query on every release, or none and the app's",
    )
    parser.add_argument("--target", type=float, default=0.60, help="with-audit ratio goal")
    parser.add_argument("--max-lag", type=float, default=1.0, help="sealing lag goal (s)")
    args = parser.parse_args()
    scale = args.scale or args.clients

    print(
        f"clients={args.clients} duration={args.duration}s ledger worker processes={args.procs}"
        f" pgbench scale={scale} cpus={os.cpu_count()}"
    )
    pgbench_tps = run_pgbench(args.clients, args.duration, scale)
    print(f"pgbench TPC-B-like:                 {pgbench_tps:10.1f} tps")
    asyncio.run(prepare_ledger())
    resets = ["none", "default"] if args.pool_reset == "both" else [args.pool_reset]
    results: dict[tuple[str, bool], float] = {}
    lags: dict[str, float] = {}
    for reset in resets:
        for audit in (False, True):
            name = f"ledger transfer, {'with' if audit else 'no'} audit row, pool reset {reset}"
            rate, lag = run_ledger(args.clients, args.duration, args.procs, audit, reset)
            results[reset, audit] = rate
            chained = "" if lag is None else f"  max sealing lag {lag * 1000:.0f} ms"
            lags[reset] = lag if lag is not None else lags.get(reset, 0.0)
            print(f"{name:<55} {rate:8.1f} transfers/s  ratio {rate / pgbench_tps:.2f}{chained}")
    pgbench_after = run_pgbench(args.clients, args.duration, scale)
    reference = (pgbench_tps + pgbench_after) / 2
    print(f"pgbench TPC-B-like again:           {pgbench_after:10.1f} tps (mean {reference:.1f})")
    print(asyncio.run(verify()))
    for (reset, audit), rate in results.items():
        what = "with audit row" if audit else "no audit row"
        print(f"RESULT ledger transfer, {what}, pool reset {reset}: ratio {rate / reference:.2f}")
    gate = "default" if "default" in resets else resets[0]
    ratio, lag = results[gate, True] / reference, lags[gate]
    ok = ratio >= args.target and lag <= args.max_lag
    print(
        f"GOAL with audit row (pool reset {gate}): ratio {ratio:.2f} (target >= {args.target:.2f}),"
        f" max sealing lag {lag * 1000:.0f} ms (target <= {args.max_lag * 1000:.0f} ms):"
        f" {'met' if ok else 'NOT met'}"
    )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
