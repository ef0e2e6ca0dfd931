"""Year end: once a budget year has closed (market/budget/rules.py, by the clock), each
of its lines gives its free balance back to the appropriation (reason
`year_end_return`); money still held by a tender stays with the tender.

The job `budget.year_end` (composition/jobs.py) and `market budget year-end --year Y`
run it. Idempotent and safe beside itself and the web app: one short transaction per
line, which locks the line's and the appropriation's accounts together (in id order,
step 3 of the lock order) and moves only what is free under that lock. The first
return of a line has the key `budget:line:{id}:year_end`; money that comes back to a
closed line later (a hold of that year voided, an escrow's remainder returned) is
swept by a later run with the key `…:year_end:{n}`. The appropriation's `year_end_at`
is set, with the audit event `budget.year_end` (the total returned), by the first run
after the year closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from market import clock
from market.audit import append_audit
from market.budget import rules
from market.db import atomic
from market.ledger.accounts import lock_accounts
from market.ledger.codes import appropriation_code, budget_line_code
from market.ledger.services import transfer
from market.money import Money
from market.sql import Row, execute

ACTOR = "system:budget.year_end"
REASON = "year_end_return"


@dataclass
class YearEndResult:
    appropriations: int = 0  # closed by this run (year_end_at set)
    lines: int = 0  # lines that gave money back in this run
    returned: int = 0  # minor units given back in this run
    by_appropriation: dict[int, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "appropriations": self.appropriations,
            "lines": self.lines,
            "returned": self.returned,
        }


async def _closed_appropriations(now: datetime, year: int | None) -> list[Row]:
    rows = await execute(
        "SELECT id, year, place, currency, year_end_at FROM market_budget_appropriation"
        " ORDER BY year, id"
    )
    return [
        row
        for row in rows
        if rules.is_closed(int(row["year"]), now) and (year is None or int(row["year"]) == year)
    ]


async def _lines_with_money(appropriation_id: int) -> list[int]:
    rows = await execute(
        "SELECT l.id FROM market_budget_line l JOIN ledger_account a"
        " ON a.code = 'budget:line:' || CAST(l.id AS VARCHAR(20))"
        " WHERE l.appropriation = {}"
        " AND a.credits_posted - a.debits_posted - a.debits_pending > 0 ORDER BY l.id",
        appropriation_id,
    )
    return [int(row["id"]) for row in rows]


async def _return_line(line_id: int, year: int, district: int, currency: str) -> int:
    """Give one line's free balance back, under the lock of both accounts."""
    line, target = budget_line_code(line_id), appropriation_code(year, district)
    async with atomic():
        balances = await lock_accounts([line, target])
        free = balances[line].available
        if free <= 0:
            return 0
        earlier = await execute(
            "SELECT COUNT(*) AS n FROM ledger_transfer WHERE reason = {}"
            " AND debit_account = (SELECT id FROM ledger_account WHERE code = {})",
            REASON,
            line,
        )
        n = int(earlier[0]["n"])
        await transfer(
            f"{line}:year_end" + (f":{n + 1}" if n else ""),
            debit=line,
            credit=target,
            amount=Money(free, currency),
            reason=REASON,
            reference=f"budget_line:{line_id}",
            actor=ACTOR,
        )
    return free


async def _close(appropriation: Row, returned: int, lines: int) -> bool:
    """Mark the appropriation's year ended (once), with its audit event."""
    async with atomic():
        updated = await execute(
            "UPDATE market_budget_appropriation SET year_end_at = {}"
            " WHERE id = {} AND year_end_at IS NULL RETURNING id",
            clock.now(),
            appropriation["id"],
        )
        if not updated:
            return False
        await append_audit(
            ACTOR,
            "budget.year_end",
            "budget_appropriation",
            int(appropriation["id"]),
            {"year": appropriation["year"], "returned": returned, "lines": lines},
        )
    return True


async def run_year_end(now: datetime | None = None, *, year: int | None = None) -> YearEndResult:
    """Return the free balances of every closed year's lines (or only `year`'s)."""
    now = now or clock.now()
    result = YearEndResult()
    for appropriation in await _closed_appropriations(now, year):
        appropriation_id = int(appropriation["id"])
        returned = lines = 0
        for line_id in await _lines_with_money(appropriation_id):
            amount = await _return_line(
                line_id,
                int(appropriation["year"]),
                int(appropriation["place"]),
                appropriation["currency"],
            )
            if amount:
                returned += amount
                lines += 1
        result.lines += lines
        result.returned += returned
        result.by_appropriation[appropriation_id] = returned
        if appropriation["year_end_at"] is None:
            result.appropriations += await _close(appropriation, returned, lines)
    return result


async def command(args: object) -> int:
    """`market budget year-end [--year Y]`: refuses a year that has not closed yet."""
    from market.db import close_pool, start_pool

    year = getattr(args, "year", None)
    now = clock.now()
    if year is not None and not rules.is_closed(year, now):
        print(f"budget year {year} has not closed yet (it closes {rules.year_ends_at(year)})")
        return 1
    await start_pool()
    try:
        result = await run_year_end(now, year=year)
    finally:
        await close_pool()
    print(
        f"year end: {result.appropriations} appropriation(s) closed, {result.lines} line(s)"
        f" returned {Money(result.returned, 'CNY').to_decimal()} in all"
    )
    return 0
