# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What went into a tender's escrow, transfer by transfer: the weights of a settlement.

Whoever settles a tender's escrow (the donors app: failure and surplus) splits each
source's remainder among those who put money in, pro-rata to what each put in. These
reads give it that from the ledger itself — never from a list of paid objects read at
another moment — so a caller that holds the escrow accounts' locks sees exactly the
money behind the balances it splits. App-agnostic: transfers by key and account code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from market.ledger.rules import SOURCES, escrow_code
from market.sql import execute, marks


@dataclass(frozen=True, slots=True)
class Inflow:
    """One posted transfer into a tender's escrow: `key` is the transfer's own key (a
    post's: its own, with `pending_key` the hold it posted), `debit` where it came from."""

    id: int
    key: str
    pending_key: str | None
    source: str
    debit: str
    amount: int


async def escrow_inflows(tender_id: int) -> list[Inflow]:
    """Every single or post transfer credited to one of the tender's escrow accounts,
    oldest first (posted money only: open holds are not in it)."""
    codes = {escrow_code(tender_id, s): s for s in SOURCES}
    accounts = await execute(
        f"SELECT id, code FROM ledger_account WHERE code IN ({marks(len(codes))})", *codes
    )
    if not accounts:
        return []
    source_of = {int(a["id"]): codes[a["code"]] for a in accounts}
    rows = await execute(
        "SELECT t.id, t.key, t.credit_account, t.amount, d.code AS debit, p.key AS pending_key"
        " FROM ledger_transfer t JOIN ledger_account d ON d.id = t.debit_account"
        " LEFT JOIN ledger_transfer p ON p.id = t.pending"
        f" WHERE t.credit_account IN ({marks(len(source_of))}) AND t.kind IN ('single', 'post')"
        " ORDER BY t.id",
        *source_of,
    )
    return [
        Inflow(
            id=int(r["id"]),
            key=str(r["key"]),
            pending_key=r["pending_key"],
            source=source_of[int(r["credit_account"])],
            debit=str(r["debit"]),
            amount=int(r["amount"]),
        )
        for r in rows
    ]


async def unresolved_pendings(keys: Iterable[str]) -> set[str]:
    """Those of `keys` that name a pending transfer not yet posted or voided."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    rows = await execute(
        "SELECT t.key FROM ledger_transfer t WHERE t.kind = 'pending'"
        f" AND t.key IN ({marks(len(wanted))})"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.pending = t.id)",
        *wanted,
    )
    return {str(r["key"]) for r in rows}
