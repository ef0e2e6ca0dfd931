"""What the OCDS publisher adds to a state change: read the process and build one
release, inside one transaction as the audit hook does (the insert is left out).

    DATABASE_URL=sqlite:///var/market.sqlite3 .venv/bin/market migrate
    DATABASE_URL=sqlite:///var/market.sqlite3 .venv/bin/market demo
    DATABASE_URL=sqlite:///var/market.sqlite3 .venv/bin/python -m benchmarks.ocds_release
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")

from market import clock
from market.db import atomic, close_pool, start_pool
from market.sql import execute
from opendata.ocds.build import build_release
from opendata.ocds.facts import process_facts

ROUNDS = 5


async def main() -> None:
    await start_pool()
    try:
        rows = await execute("SELECT id FROM market_tender WHERE status <> 'draft' ORDER BY id")
        ids = [int(r["id"]) for r in rows]
        if not ids:
            raise SystemExit("no published tenders: run `market demo` first")
        times: list[float] = []
        async with atomic():
            for _ in range(ROUNDS):
                for tender_id in ids:
                    started = time.perf_counter()
                    facts = await process_facts(tender_id)
                    assert facts is not None
                    build_release(
                        facts,
                        ocid=f"ocds-bench-{tender_id}",
                        release_id=f"ocds-bench-{tender_id}-1",
                        tag="tender",
                        at=clock.now(),
                        base_url="http://bench",
                    )
                    times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(
            f"{len(times)} releases built over {len(ids)} tenders: median "
            f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms"
        )
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
