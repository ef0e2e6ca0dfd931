"""Run the benchmarks one after another and summarise their verdicts (`make bench`).

    .venv/bin/python -m benchmarks.run_all [name ...] [--list]

Each benchmark runs as its own process (`python -m benchmarks.<name>`) with its
defaults, its output shown as it goes; the summary lists each one's exit status and
wall time. Benchmarks that need PostgreSQL are skipped, with the reason, when it does
not answer on MARKET_BENCH_PG_URL. Exits 1 when any benchmark failed its own limit.
Names can be given to run only some (e.g. `receipt_signup`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from benchmarks.ledger_pgbench import ADMIN_URL

# name → (needs PostgreSQL, what it checks); cheapest first.
BENCHMARKS: dict[str, tuple[bool, str]] = {
    "receipt_signup": (False, "receipt PDF < 300 ms and sign-up < 150 ms median"),
    "ocds_release": (False, "OCDS release build time over the demo tenders"),
    "tender_list": (True, "tender list latency, 1,000 vs 100,000 tenders"),
    "project_page": (True, "project page latency, 100 vs 100,000 transfers (ratio <= 2)"),
    "statistics": (True, "district statistics over a large ledger"),
    "ledger_pgbench": (True, "ledger transfers/s against pgbench"),
    "donations": (True, "donations confirmed/s over real HTTP (2 workers) >= 0.30 x pgbench"),
    "hot_pledge": (True, "200 donations on one pledge >= 0.7 x spread over 200 pledges"),
    "money_invariants": (True, "ledger check with the money invariants, 100,000 donations"),
    "notifications": (True, "10,000 notifications enqueued in one transaction < 2 s; mails/s"),
    "server_stack": (True, "hello on each server stack; public page, 2 workers >= 1.7 x 1"),
    "public_pages": (True, "each public page >= 0.30 x hello on the same stack, 3 data sets"),
}


async def _pg_answers() -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(ADMIN_URL), timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args()
    if args.list:
        for name, (needs_pg, what) in BENCHMARKS.items():
            print(f"{name:<16} {'PostgreSQL' if needs_pg else '          '}  {what}")
        return 0
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (see --list)")
    names = args.names or list(BENCHMARKS)
    pg = asyncio.run(_pg_answers()) if any(BENCHMARKS[n][0] for n in names) else False
    results: list[tuple[str, str, float]] = []
    for name in names:
        needs_pg, what = BENCHMARKS[name]
        if needs_pg and not pg:
            results.append((name, f"SKIPPED: PostgreSQL did not answer on {ADMIN_URL}", 0.0))
            continue
        print(f"\n=== {name}: {what} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], env=os.environ)
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        results.append((name, verdict, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, verdict, seconds in results:
        print(f"{name:<16} {verdict:<48} {seconds:7.1f} s")
    return 1 if any(verdict.startswith("FAILED") for _, verdict, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
