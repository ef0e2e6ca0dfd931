"""The chronograph: `market tick` moves tenders whose periods have ended.

Idempotent and safe to run twice at once: each tender is advanced in its own
transaction that locks its row and updates conditionally (`WHERE status = old AND
version = v`), so a second runner finds nothing due and changes nothing. The job
worker runs it every 30 seconds (`market worker`, job `tenders.tick`).
"""

from __future__ import annotations

import argparse
from collections import Counter

from market import clock
from market.errors import Conflict
from market.sql import execute
from market.tenders.lifecycle import advance_if_due


async def due_tender_ids(limit: int = 1000) -> list[int]:
    now = clock.now()
    rows = await execute(
        "SELECT id FROM market_tender WHERE status = 'published' AND enquiry_end <= {}"
        " UNION SELECT id FROM market_tender WHERE status = 'tendering' AND bid_deadline <= {}"
        " ORDER BY id LIMIT {}",
        now,
        now,
        limit,
    )
    return [int(row["id"]) for row in rows]


async def tick() -> dict[str, int]:
    """Advance every tender that is due; returns how many ended in each status."""
    moved: Counter[str] = Counter()
    while ids := await due_tender_ids():
        progressed = False
        for tender_id in ids:
            try:
                status, changed = await advance_if_due(tender_id)
            except Conflict:  # another runner moved it between our read and our lock
                continue
            if changed:
                moved[status] += 1
            progressed = True
        if not progressed:
            break
    return dict(moved)


async def command(args: argparse.Namespace) -> int:
    """`market tick`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        moved = await tick()
    finally:
        await close_pool()
    summary = ", ".join(f"{n} → {status}" for status, n in sorted(moved.items())) or "nothing due"
    print(f"tick: {summary}")
    return 0
