# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The budget's money invariants, checked by `market ledger check` (the kernel's check
9, market/ledger/check.py), each against the transfers:

- per appropriation: the treasury paid in exactly the recorded amount; Σ allocated to
  its lines never exceeds it; amount = allocated + unallocated (market/budget/rules.py);
- per line: allocated = held + released + returned + free;
- no line or appropriation account may go negative, and each keeps the flag that
  forbids it (debits must not exceed credits);
- every budget hold of a tender with a budget line debits that line.
"""

from __future__ import annotations

from market.budget import queries
from market.budget.rules import appropriation_problems, line_problems
from market.ledger.codes import budget_line_code
from market.ledger.rules import Flags
from market.sql import execute

_UNFLAGGED = f"""
SELECT code FROM ledger_account
WHERE (code LIKE 'budget:line:%' OR code LIKE 'budget:%:appropriation')
  AND (flags & {int(Flags.DEBITS_MUST_NOT_EXCEED_CREDITS)}) = 0
ORDER BY code
"""

# A tender's budget hold that does not come from the line the tender names.
_HOLDS_ELSEWHERE = """
SELECT t.key, m.id AS tender, m.budget_line, d.code AS debit_code
FROM ledger_transfer t
JOIN market_tender m ON m.id = t.tender_id
JOIN ledger_account d ON d.id = t.debit_account
WHERE t.reason = 'budget_hold' AND t.kind = 'pending' AND m.budget_line IS NOT NULL
  AND d.code <> 'budget:line:' || CAST(m.budget_line AS VARCHAR(20))
ORDER BY t.id
"""


async def check() -> list[str]:
    """Every problem found (empty when the budget's invariants hold)."""
    problems: list[str] = []
    every_line = await queries.lines()
    by_appropriation: dict[int, list[queries.Line]] = {}
    for line in every_line:
        by_appropriation.setdefault(line.appropriation, []).append(line)
        problems.extend(line_problems(f"budget line {line.id}", line.figures))
    for appropriation in await queries.appropriations():
        figures = await queries.appropriation_figures(
            appropriation, by_appropriation.get(appropriation.id, [])
        )
        problems.extend(
            appropriation_problems(
                f"appropriation {appropriation.year} (place {appropriation.district})", figures
            )
        )
    problems.extend(
        f"account {row['code']!r} may go negative (no debit limit)"
        for row in await execute(_UNFLAGGED)
    )
    problems.extend(
        f"tender {row['tender']}: budget hold {row['key']!r} debits {row['debit_code']},"
        f" not its line {budget_line_code(int(row['budget_line']))}"
        for row in await execute(_HOLDS_ELSEWHERE)
    )
    return problems
