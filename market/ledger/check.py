"""`market ledger check`: recompute everything from the transfers and verify the
invariants (reliability anchors L2, L3, L5, L9, L10, L11):

1. every transfer: amount > 0, known kind, both accounts in its currency, two
   different accounts; post/void name a pending transfer with the same accounts;
   a post never exceeds its pending amount (L4, L5, L9);
2. each pending transfer resolved at most once (L9);
3. cached balances = balances recomputed from transfers, per account (L3);
4. per currency, Σ debits = Σ credits for the posted and the pending columns (L2);
5. no account breaks its flags (L10);
6. per tender, released + refunded + held ≤ received, from the transfers' tender tags
   and the recomputed escrow balances (L11);
7. sandbox money stays apart: no transfer of a sandbox (training) tender touches an
   account real public money lives in (a department's budget, an organization's
   payable account, the treasury), and the sandbox accounts (departments' sandbox
   budgets, organizations' sandbox payables, the sandbox treasury) move only for
   sandbox tenders (market/tenders/lifecycle.py `hold_budget` says why);
8. the district's budget (market/budget/invariants.py): each appropriation funded by
   exactly its amount, Σ allocations within it, amount = allocated + unallocated; each
   line's allocated = held + released + returned + free; no line or appropriation
   account negative; every budget hold of a tender with a line debits that line;
9. the apps' own money invariants, registered by the composition root
   (`register_check`): what the ledger alone cannot know, such as a payment's refunds
   or a pledge's counters, checked against the transfers.

Reports the first offending account or transfer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from market.budget import invariants as budget_invariants
from market.ledger.codes import SANDBOX_TREASURY, TREASURY, budget_code, payable_code
from market.ledger.rules import Flags
from market.sql import Row, execute

_ESCROW = re.compile(r"^tender:(\d+):escrow:(\w+)$")

# An app's invariant: returns the problems it found (empty when it holds).
AppCheck = Callable[[], Awaitable[list[str]]]
_APP_CHECKS: dict[str, AppCheck] = {}


def register_check(name: str, check: AppCheck) -> None:
    """Called by the composition root (composition/wiring.py), never at import."""
    _APP_CHECKS[name] = check


@dataclass
class CheckReport:
    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)
    app_checks: list[str] = field(default_factory=list)  # the registered ones that ran

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            apps = f"; app invariants: {', '.join(self.app_checks)}" if self.app_checks else ""
            return (
                f"ledger OK: {self.accounts} accounts, {self.transfers} transfers; zero-sum, "
                "cache = recomputation, limits, pending resolution, per-tender totals,"
                " sandbox separation and the budget's lines and appropriations hold" + apps
            )
        return f"ledger check FAILED: {self.problems[0]} ({len(self.problems)} problem(s))"


_BAD_TRANSFERS = """
SELECT t.key, t.kind, t.amount, t.currency, d.currency AS dc, c.currency AS cc,
       t.debit_account, t.credit_account, p.kind AS pkind, p.amount AS pamount,
       p.debit_account AS pdebit, p.credit_account AS pcredit
FROM ledger_transfer t
JOIN ledger_account d ON d.id = t.debit_account
JOIN ledger_account c ON c.id = t.credit_account
LEFT JOIN ledger_transfer p ON p.id = t.pending
WHERE t.amount <= 0 OR t.kind NOT IN ('single', 'pending', 'post', 'void')
   OR t.currency <> d.currency OR t.currency <> c.currency
   OR t.debit_account = t.credit_account
   OR (t.kind IN ('post', 'void') AND (p.id IS NULL OR p.kind <> 'pending'
       OR p.debit_account <> t.debit_account OR p.credit_account <> t.credit_account
       OR t.amount > p.amount OR (t.kind = 'void' AND t.amount <> p.amount)))
   OR (t.kind IN ('single', 'pending') AND t.pending IS NOT NULL)
ORDER BY t.id LIMIT 1
"""

_TWICE = """
SELECT p.key, COUNT(*) AS n FROM ledger_transfer r JOIN ledger_transfer p ON p.id = r.pending
GROUP BY p.key HAVING COUNT(*) > 1 ORDER BY p.key LIMIT 1
"""

# Effects per account side: posted += amount for single/post; pending += amount for
# pending, −= the pending's amount for post/void.
_RECOMPUTE = """
SELECT a.id, a.code, a.currency, a.flags,
       a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
       COALESCE(d.pending, 0) AS r_debits_pending, COALESCE(d.posted, 0) AS r_debits_posted,
       COALESCE(c.pending, 0) AS r_credits_pending, COALESCE(c.posted, 0) AS r_credits_posted
FROM ledger_account a
LEFT JOIN (
  SELECT t.debit_account AS account,
         SUM(CASE WHEN t.kind IN ('single', 'post') THEN t.amount ELSE 0 END) AS posted,
         SUM(CASE WHEN t.kind = 'pending' THEN t.amount
                  WHEN t.kind IN ('post', 'void') THEN -p.amount ELSE 0 END) AS pending
  FROM ledger_transfer t LEFT JOIN ledger_transfer p ON p.id = t.pending
  GROUP BY t.debit_account
) d ON d.account = a.id
LEFT JOIN (
  SELECT t.credit_account AS account,
         SUM(CASE WHEN t.kind IN ('single', 'post') THEN t.amount ELSE 0 END) AS posted,
         SUM(CASE WHEN t.kind = 'pending' THEN t.amount
                  WHEN t.kind IN ('post', 'void') THEN -p.amount ELSE 0 END) AS pending
  FROM ledger_transfer t LEFT JOIN ledger_transfer p ON p.id = t.pending
  GROUP BY t.credit_account
) c ON c.account = a.id
ORDER BY a.id
"""

_TENDER_OUT = """
SELECT tender_id, reason, SUM(amount) AS total FROM ledger_transfer
WHERE tender_id IS NOT NULL AND reason IN ('release', 'return') AND kind IN ('single', 'post')
GROUP BY tender_id, reason
"""

_COLUMNS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


def _kernel_accounts(column: str, *, sandbox: bool) -> str:
    """SQL: the account code in `column` is one of the kernel's real-money accounts, or
    (`sandbox`) one of their sandbox twins (market/ledger/codes.py)."""
    budget, payable = budget_code(0, sandbox=sandbox), payable_code(0, sandbox=sandbox)
    treasury = SANDBOX_TREASURY if sandbox else TREASURY
    return (
        f"({column} LIKE '{budget.replace(':0:', ':%:')}'"
        f" OR {column} LIKE '{payable.replace(':0:', ':%:')}' OR {column} = '{treasury}')"
    )


# Built from the account codes' constants (no input): hence the noqa.
_SANDBOX_MIXED = f"""
SELECT t.key, t.tender_id, COALESCE(m.acceleration, 1) AS factor, d.code AS debit_code,
       c.code AS credit_code
FROM ledger_transfer t
JOIN ledger_account d ON d.id = t.debit_account
JOIN ledger_account c ON c.id = t.credit_account
LEFT JOIN market_tender m ON m.id = t.tender_id
WHERE (COALESCE(m.acceleration, 1) > 1 AND ({_kernel_accounts("d.code", sandbox=False)}
       OR {_kernel_accounts("c.code", sandbox=False)}))
   OR (COALESCE(m.acceleration, 1) = 1 AND ({_kernel_accounts("d.code", sandbox=True)}
       OR {_kernel_accounts("c.code", sandbox=True)}))
ORDER BY t.id LIMIT 1
"""  # noqa: S608


def _mixed_problem(row: Row) -> str:
    tender = row["tender_id"]
    what = f"{'sandbox' if int(row['factor']) > 1 else 'real'} tender {tender}" if tender else ""
    return (
        f"transfer {row['key']!r} ({what or 'no tender'}) mixes real and sandbox money:"
        f" {row['debit_code']} → {row['credit_code']}"
    )


def _check_account(row: Row, recomputed: list[int], problems: list[str]) -> None:
    """An account's cached columns against the recomputed ones, and its flags."""
    code = row["code"]
    cached = [int(row[c]) for c in _COLUMNS]
    if cached != recomputed:
        diff = ", ".join(
            f"{c} cached {a} ≠ {b}"
            for c, a, b in zip(_COLUMNS, cached, recomputed, strict=True)
            if a != b
        )
        problems.append(f"account {code!r}: {diff}")
    dp, dpo, cp, cpo = recomputed
    if min(recomputed) < 0:
        problems.append(f"account {code!r} has a negative balance column")
    flags = int(row["flags"])
    if flags & Flags.DEBITS_MUST_NOT_EXCEED_CREDITS and dp + dpo > cpo:
        problems.append(f"account {code!r} debits {dp + dpo} exceed credits {cpo}")
    if flags & Flags.CREDITS_MUST_NOT_EXCEED_DEBITS and cp + cpo > dpo:
        problems.append(f"account {code!r} credits {cp + cpo} exceed debits {dpo}")


async def _check_tenders(escrow: dict[int, list[int]], problems: list[str]) -> None:
    """Per tender: what left escrow (released, refunded) and what it holds never exceed
    what it received, and its open holds never exceed its balance."""
    out: dict[int, dict[str, int]] = {}
    for row in await execute(_TENDER_OUT):
        out.setdefault(int(row["tender_id"]), {})[row["reason"]] = int(row["total"])
    for tender_id in sorted(set(escrow) | set(out)):
        received, debited, held, pending_out = escrow.get(tender_id, [0, 0, 0, 0])
        released = out.get(tender_id, {}).get("release", 0)
        refunded = out.get(tender_id, {}).get("return", 0)
        if released + refunded + held > received or released + refunded > debited:
            problems.append(
                f"tender {tender_id}: released {released} + refunded {refunded} + held {held}"
                f" > received {received}"
            )
        if pending_out > held:
            problems.append(f"tender {tender_id}: holds {pending_out} exceed escrow {held}")


async def run_checks(*, apps: bool = True) -> CheckReport:
    """Every check; `apps=False` leaves out the apps' registered invariants (a model of
    the ledger alone, with no app rows for them to check)."""
    report = CheckReport()
    report.transfers = int((await execute("SELECT COUNT(*) AS n FROM ledger_transfer"))[0]["n"])
    problems = report.problems

    bad = await execute(_BAD_TRANSFERS)
    if bad:
        problems.append(f"transfer {bad[0]['key']!r} is malformed (kind {bad[0]['kind']})")
    twice = await execute(_TWICE)
    if twice:
        problems.append(f"pending transfer {twice[0]['key']!r} was resolved {twice[0]['n']} times")

    rows = await execute(_RECOMPUTE)
    report.accounts = len(rows)
    sums: dict[str, list[int]] = {}
    escrow: dict[int, list[int]] = {}  # tender → [received, debited, held, pending_out]
    for row in rows:
        code = row["code"]
        recomputed = [int(row["r_" + c]) for c in _COLUMNS]
        _check_account(row, recomputed, problems)
        dp, dpo, cp, cpo = recomputed
        totals = sums.setdefault(row["currency"], [0, 0, 0, 0])
        for i, value in enumerate(recomputed):
            totals[i] += value
        match = _ESCROW.match(code)
        if match:
            t = escrow.setdefault(int(match.group(1)), [0, 0, 0, 0])
            t[0] += cpo
            t[1] += dpo
            t[2] += cpo - dpo
            t[3] += dp

    for currency, (dp, dpo, cp, cpo) in sorted(sums.items()):
        if dpo != cpo:
            problems.append(f"{currency}: posted debits {dpo} ≠ posted credits {cpo}")
        if dp != cp:
            problems.append(f"{currency}: pending debits {dp} ≠ pending credits {cp}")

    await _check_tenders(escrow, problems)
    problems.extend(_mixed_problem(row) for row in await execute(_SANDBOX_MIXED))
    problems.extend(f"budget: {problem}" for problem in await budget_invariants.check())
    for name, check in sorted(_APP_CHECKS.items() if apps else ()):
        report.app_checks.append(name)
        problems.extend(f"{name}: {problem}" for problem in await check())
    return report


async def command(args: object) -> int:
    """`market ledger check`: exit 0 with a one-line summary, 1 naming the first problem."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        report = await run_checks()
    finally:
        await close_pool()
    print(report.summary())
    return 0 if report.ok else 1
