"""Set-up of `make cluster-test`'s database, in a process of its own (DATABASE_URL is
the caller's): `benchmarks.donations`' tender and 1:1 pledge, then `--stock` card
donations started through its stub Stripe API, 16 at a time; their webhook event
bodies are written to `--out` as a JSON list.

    python -m deploy.failover_prepare --stock 5000 --out events.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

CONCURRENCY = 16


async def prepare(stock: int) -> list[str]:
    from benchmarks.donations import seed_tender, setup_env, stock_events

    setup_env(os.environ["DATABASE_URL"])
    from composition.wiring import wire
    from market.db import close_pool, engine

    wire()
    pool: Any = engine()  # a PostgresEngine: DATABASE_URL is the cluster's
    await pool.start_connection_pool(min_size=2, max_size=CONCURRENCY + 2)
    tender = await seed_tender()
    shares = [stock // CONCURRENCY + (i < stock % CONCURRENCY) for i in range(CONCURRENCY)]
    parts = await asyncio.gather(
        *(stock_events(tender, share, f"failover_{i}") for i, share in enumerate(shares))
    )
    await close_pool()
    return [body.decode() for part in parts for body in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stock", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(asyncio.run(prepare(args.stock))))


if __name__ == "__main__":
    main()
