# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Read models for pages: per-tender funding by source and keyset-paged statements.

Both stay fast at millions of transfers: funding reads the five cached escrow
balances (unique index on code) plus the few `return` transfers of the tender
(partial index on tender_id, reason); statements walk the (account, id) indexes
backwards from a cursor and never count or offset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.ledger.rules import SOURCES, escrow_code
from market.money import Money
from market.sql import Row, execute, marks
from market.timestamps import timestamp


@dataclass(frozen=True, slots=True)
class SourceFunding:
    source: str
    received: Money  # everything posted into this source's escrow
    released: Money  # paid out to organizations (reason "release")
    refunded: Money  # returned on cancellation (reason "return")
    held: Money  # in escrow now: received − released − refunded
    pending_out: Money  # of `held`, reserved by open holds (e.g. a milestone)
    pending_in: Money  # promised by open holds into escrow (e.g. the department budget)

    @property
    def available(self) -> Money:
        return self.held - self.pending_out


@dataclass(frozen=True, slots=True)
class TenderFunding:
    tender_id: int
    currency: str
    sources: dict[str, SourceFunding]

    def total(self, field: str) -> Money:
        total = Money.zero(self.currency)
        for funding in self.sources.values():
            total = total + getattr(funding, field)
        return total


async def tender_funding(tender_id: int, currency: str = "CNY") -> TenderFunding:
    codes = [escrow_code(tender_id, s) for s in SOURCES]
    rows = await execute(
        "SELECT code, debits_pending, debits_posted, credits_pending, credits_posted"
        f" FROM ledger_account WHERE code IN ({marks(len(codes))})",
        *codes,
    )
    accounts = {row["code"]: row for row in rows}
    returned_rows = await execute(
        "SELECT source, SUM(amount) AS total FROM ledger_transfer"
        " WHERE tender_id = {} AND reason = 'return' AND kind IN ('single', 'post')"
        " GROUP BY source",
        tender_id,
    )
    returned = {row["source"]: int(row["total"]) for row in returned_rows}
    sources: dict[str, SourceFunding] = {}
    for source, code in zip(SOURCES, codes, strict=True):
        row = accounts.get(code)
        dp, dpo, cp, cpo = (
            (
                int(row["debits_pending"]),
                int(row["debits_posted"]),
                int(row["credits_pending"]),
                int(row["credits_posted"]),
            )
            if row
            else (0, 0, 0, 0)
        )
        refunded = returned.get(source, 0)

        def m(amount: int) -> Money:
            return Money(amount, currency)

        sources[source] = SourceFunding(
            source=source,
            received=m(cpo),
            released=m(dpo - refunded),
            refunded=m(refunded),
            held=m(cpo - dpo),
            pending_out=m(dp),
            pending_in=m(cp),
        )
    return TenderFunding(tender_id, currency, sources)


@dataclass(frozen=True, slots=True)
class StatementLine:
    id: int
    key: str
    created_at: datetime
    kind: str
    direction: str  # "debit" | "credit" (from the statement account's side)
    amount: Money
    counterparty: str
    reason: str
    reference: str
    pending_key: str | None


@dataclass(frozen=True, slots=True)
class StatementPage:
    lines: list[StatementLine]
    next_cursor: int | None  # pass as `before` for the next (older) page


_LINE = (
    "SELECT t.id, t.key, t.created_at, t.kind, t.amount, t.currency, t.reason, t.reference,"
    " t.debit_account, t.credit_account, t.pending"
    " FROM ledger_transfer t WHERE t.{side} = {{}} AND t.id < {{}}"
    " ORDER BY t.id DESC LIMIT {{}}"
)


async def _counterparty_codes(page: Sequence[Row], account_id: int) -> dict[int, str]:
    """Account id → code of the other side of each line."""
    other_ids = {
        int(r["credit_account"] if int(r["debit_account"]) == account_id else r["debit_account"])
        for r in page
    }
    codes: dict[int, str] = {}
    if other_ids:
        codes = {
            int(r["id"]): r["code"]
            for r in await execute(
                f"SELECT id, code FROM ledger_account WHERE id IN ({marks(len(other_ids))})",
                *sorted(other_ids),
            )
        }
    return codes


async def _pending_keys(page: Sequence[Row]) -> dict[int, str]:
    """Pending transfer id → key, for the lines that post or void a hold."""
    pending_ids = sorted({int(r["pending"]) for r in page if r["pending"] is not None})
    pending_keys: dict[int, str] = {}
    if pending_ids:
        pending_keys = {
            int(r["id"]): r["key"]
            for r in await execute(
                f"SELECT id, key FROM ledger_transfer WHERE id IN ({marks(len(pending_ids))})",
                *pending_ids,
            )
        }
    return pending_keys


async def account_statement(
    code: str, *, limit: int = 50, before: int | None = None
) -> StatementPage:
    """Newest first, `limit` lines older than the cursor `before` (a transfer id)."""
    limit = max(1, min(int(limit), 500))
    account = await execute("SELECT id FROM ledger_account WHERE code = {}", code)
    if not account:
        return StatementPage([], None)
    account_id = int(account[0]["id"])
    cursor = before if before is not None else 2**62
    rows = await execute(
        "SELECT * FROM (" + _LINE.format(side="debit_account") + ") AS d UNION ALL "
        "SELECT * FROM (" + _LINE.format(side="credit_account") + ") AS c "
        "ORDER BY id DESC LIMIT {}",
        account_id,
        cursor,
        limit + 1,
        account_id,
        cursor,
        limit + 1,
        limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    codes = await _counterparty_codes(page, account_id)
    pending_keys = await _pending_keys(page)
    lines = []
    for r in page:
        is_debit = int(r["debit_account"]) == account_id
        other = int(r["credit_account"] if is_debit else r["debit_account"])
        lines.append(
            StatementLine(
                id=int(r["id"]),
                key=r["key"],
                created_at=r["created_at"],
                kind=r["kind"],
                direction="debit" if is_debit else "credit",
                amount=Money(int(r["amount"]), r["currency"]),
                counterparty=codes.get(other, "?"),
                reason=r["reason"],
                reference=r["reference"],
                pending_key=pending_keys.get(int(r["pending"])) if r["pending"] else None,
            )
        )
    return StatementPage(lines, lines[-1].id if more and lines else None)


@dataclass(frozen=True, slots=True)
class TenderTransfer:
    """One transfer of a tender's ledger, accounts by code (both sides)."""

    id: int
    key: str
    created_at: datetime
    kind: str
    amount: Money
    debit: str
    credit: str
    reason: str
    reference: str
    source: str | None
    pending_key: str | None


@dataclass(frozen=True, slots=True)
class TenderTransferPage:
    transfers: list[TenderTransfer]
    next_cursor: int | None  # pass as `before` for the next (older) page


_TENDER_TRANSFERS = (
    "SELECT t.id, t.key, t.created_at, t.kind, t.amount, t.currency, t.reason, t.reference,"
    " t.source, d.code AS debit, c.code AS credit, p.key AS pending_key"
    " FROM ledger_transfer t"
    " JOIN ledger_account d ON d.id = t.debit_account"
    " JOIN ledger_account c ON c.id = t.credit_account"
    " LEFT JOIN ledger_transfer p ON p.id = t.pending"
    " WHERE t.tender_id = {{}} AND t.id {op} {{}} ORDER BY t.id {order} LIMIT {{}}"
)


def _tender_transfer(row: Mapping[str, Any]) -> TenderTransfer:
    return TenderTransfer(
        id=int(row["id"]),
        key=row["key"],
        created_at=timestamp(row["created_at"]),
        kind=row["kind"],
        amount=Money(int(row["amount"]), row["currency"]),
        debit=row["debit"],
        credit=row["credit"],
        reason=row["reason"],
        reference=row["reference"],
        source=row["source"],
        pending_key=row["pending_key"],
    )


async def tender_transfers(
    tender_id: int, *, limit: int = 50, before: int | None = None
) -> TenderTransferPage:
    """The tender's transfers, newest first, `limit` older than the cursor `before` (a
    transfer id): a keyset walk down the (tender_id, id) index, never COUNT or OFFSET."""
    limit = max(1, min(int(limit), 500))
    rows = await execute(
        _TENDER_TRANSFERS.format(op="<", order="DESC"),
        tender_id,
        before if before is not None else 2**62,
        limit + 1,
    )
    page = [_tender_transfer(r) for r in rows[:limit]]
    more = len(rows) > limit
    return TenderTransferPage(page, page[-1].id if more and page else None)


async def iter_tender_transfers(
    tender_id: int, *, batch: int = 1000
) -> AsyncIterator[list[TenderTransfer]]:
    """Every transfer of the tender, oldest first, in keyset batches (for streamed exports)."""
    after = 0
    while True:
        rows = await execute(_TENDER_TRANSFERS.format(op=">", order="ASC"), tender_id, after, batch)
        if not rows:
            return
        chunk = [_tender_transfer(r) for r in rows]
        yield chunk
        if len(rows) < batch:
            return
        after = chunk[-1].id


# --- reads other apps use (their SQL names no ledger table) -----------------------------


async def available_balances(codes: list[str]) -> dict[str, int]:
    """Code → credits posted − debits posted − debits pending, for those of `codes`
    that have an account (an absent account is left out)."""
    if not codes:
        return {}
    rows = await execute(
        "SELECT code, credits_posted - debits_posted - debits_pending AS available"
        f" FROM ledger_account WHERE code IN ({marks(len(codes))})",
        *codes,
    )
    return {str(row["code"]): int(row["available"]) for row in rows}


async def public_releases(tender_ids: Sequence[int]) -> dict[int, list[tuple[str, str, Any, int]]]:
    """Tender id → (key, reference, created_at as stored, amount) of every release
    posted from its public escrow, oldest first: one query for all the tenders."""
    ids = sorted(set(tender_ids))
    found: dict[int, list[tuple[str, str, Any, int]]] = {tender: [] for tender in ids}
    if not ids:
        return found
    rows = await execute(
        "SELECT tender_id, key, reference, created_at, amount FROM ledger_transfer"
        f" WHERE tender_id IN ({marks(len(ids))}) AND source = 'public' AND reason = 'release'"
        " AND kind IN ('single', 'post') ORDER BY id",
        *ids,
    )
    for r in rows:
        found[int(r["tender_id"])].append(
            (r["key"], r["reference"], r["created_at"], int(r["amount"]))
        )
    return found


async def pending_is_open(key: str) -> bool:
    """Whether the pending transfer `key` exists and is neither posted nor voided yet."""
    rows = await execute(
        "SELECT p.id FROM ledger_transfer p WHERE p.key = {} AND p.kind = 'pending'"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.pending = p.id)",
        key,
    )
    return bool(rows)
