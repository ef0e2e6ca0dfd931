"""The time-driven jobs of today's apps, as the runner wants them: `(now) -> counts`.

Each wraps an operation that is already idempotent and safe to run concurrently (see
its own module); `composition.wiring.wire_jobs` registers them with their intervals.
"""

from __future__ import annotations

from datetime import datetime

from bids import opening
from donors import payments, pledges, settlement
from market import audit, outbox
from market.budget import year_end
from market.tenders import tick
from notify import reminders
from opendata.ocds import funding
from opendata.statistics import rollup


async def audit_sequence(now: datetime) -> dict[str, int]:
    """Audit rows committed since the last call, chained (market.audit.sequencer)."""
    return {"chained": await audit.sequence_queued()}


async def tenders_tick(now: datetime) -> dict[str, int]:
    """Tenders whose enquiry or bid period has ended, moved on: count per new status."""
    return await tick.tick()


async def bids_open(now: datetime) -> dict[str, int]:
    results = await opening.open_due()
    return {
        "tenders": len(results),
        "qualified": sum(r.qualified for r in results),
        "disqualified": sum(r.disqualified for r in results),
    }


async def pledges_expire(now: datetime) -> dict[str, int]:
    return {"returned": len(await pledges.expire_pledges(now))}


async def payments_expire(now: datetime) -> dict[str, int]:
    return await payments.expire_payments(now)


async def donations_settle(now: datetime) -> dict[str, int]:
    settled, refunds = await settlement.settle_all()
    return {"settled": settled, "refunds": refunds}


async def stats_fold(now: datetime) -> dict[str, int]:
    result = await rollup.advance(None, wait=True)
    return {"steps": result.steps, "watermark": result.end}


async def outbox_deliver(now: datetime) -> dict[str, int]:
    """E-mails due: sent, backed off for another try, or given up (market.outbox)."""
    return (await outbox.deliver(limit=100_000, seconds=120)).counts()


async def ocds_funding(now: datetime) -> dict[str, int]:
    """Processes whose funding changed: one budget release each, at most one a minute."""
    return await funding.publish_dirty(now)


async def notify_reminders(now: datetime) -> dict[str, int]:
    """Deadlines 24 hours away, milestones due and overdue, standstills ended, pledges
    expiring: the messages written, per kind (notify/reminders.py)."""
    return await reminders.run(now)


async def budget_year_end(now: datetime) -> dict[str, int]:
    """Closed budget years: each line's free balance back to its appropriation
    (market/budget/year_end.py): appropriations closed, lines that gave back, amount."""
    return (await year_end.run_year_end(now)).counts()
