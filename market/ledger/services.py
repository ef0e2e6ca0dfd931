# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Ledger services: accounts and transfers, each call one all-or-nothing transaction.

`create_transfers` is the one write path. It validates every request (pure), reads
the pending transfers it resolves, locks the touched account rows in id order
(PostgreSQL `FOR UPDATE`; SQLite `BEGIN IMMEDIATE`), then — under the locks —
looks up the ids already used, applies the rules to the locked snapshots and
writes transfers and cached balances together. Idempotency (TigerBeetle):
same id + same body → the original result; same id + different body →
IdempotencyConflict, nothing written; an id that failed for lack of funds keeps
failing (TransferAlreadyFailed) even after the account is funded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from market import clock
from market.audit import append_audit, canonical_json
from market.db import atomic, in_transaction, is_postgres
from market.errors import Conflict
from market.ledger import rules
from market.ledger.rules import (
    AccountNotFound,
    Balance,
    InvalidTransfer,
    LedgerError,
    PendingState,
    Transfer,
    TransferAlreadyFailed,
    TransferRequest,
)
from market.money import Money
from market.sql import Row, fetch, for_update, is_unique_violation, marks

_BALANCE_COLUMNS = (
    "id, code, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted"
)
_TRANSFER_SELECT = (
    "SELECT t.id, t.key, t.kind, t.amount, d.code AS debit, c.code AS credit, t.currency,"
    " p.key AS pending_key, t.reason, t.reference, t.tender_id, t.source, t.created_at"
    " FROM ledger_transfer t"
    " JOIN ledger_account d ON d.id = t.debit_account"
    " JOIN ledger_account c ON c.id = t.credit_account"
    " LEFT JOIN ledger_transfer p ON p.id = t.pending"
)


@dataclass(frozen=True, slots=True)
class TransferResult:
    """A stored transfer. `created` is False when an identical earlier call made it."""

    id: int
    transfer: Transfer
    created: bool

    @property
    def key(self) -> str:
        return self.transfer.key

    @property
    def money(self) -> Money:
        return Money(self.transfer.amount, self.transfer.currency)


@dataclass(frozen=True, slots=True)
class AccountBalance:
    code: str
    currency: str
    flags: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def posted(self) -> Money:
        """credits_posted − debits_posted."""
        return Money(self.credits_posted - self.debits_posted, self.currency)

    @property
    def available(self) -> Money:
        """What the account can still send: posted balance less outgoing holds."""
        return Money(self.credits_posted - self.debits_posted - self.debits_pending, self.currency)


def _transfer(row: Row) -> Transfer:
    return Transfer(
        key=row["key"],
        kind=row["kind"],
        amount=int(row["amount"]),
        debit=row["debit"],
        credit=row["credit"],
        currency=row["currency"],
        pending_key=row["pending_key"],
        reason=row["reason"],
        reference=row["reference"],
        tender_id=row["tender_id"],
        source=row["source"],
    )


def _balance(row: Row) -> Balance:
    return Balance(
        id=int(row["id"]),
        code=row["code"],
        currency=row["currency"],
        flags=int(row["flags"]),
        debits_pending=int(row["debits_pending"]),
        debits_posted=int(row["debits_posted"]),
        credits_pending=int(row["credits_pending"]),
        credits_posted=int(row["credits_posted"]),
    )


# --- accounts --------------------------------------------------------------------------


async def ensure_accounts(codes: Iterable[str], currency: str) -> None:
    """Create missing accounts with the default flags for their code (idempotent)."""
    wanted = sorted(set(codes))
    if not wanted:
        return
    for code in wanted:
        rules.validate_account(code, currency, int(rules.default_flags(code)))
    now = clock.now()
    values = ", ".join(["({}, {}, {}, 0, 0, 0, 0, {})"] * len(wanted))
    args: list[Any] = []
    for code in wanted:
        args += [code, currency, int(rules.default_flags(code)), now]
    await fetch(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        f" credits_pending, credits_posted, created_at) VALUES {values}"
        " ON CONFLICT (code) DO NOTHING",
        *args,
    )


async def open_account(
    code: str, currency: str = "CNY", flags: rules.Flags | None = None
) -> AccountBalance:
    """Create an account, or return it if it exists with the same currency and flags."""
    chosen = int(rules.default_flags(code) if flags is None else flags)
    rules.validate_account(code, currency, chosen)
    async with atomic():
        await fetch(
            "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
            " credits_pending, credits_posted, created_at) VALUES ({}, {}, {}, 0, 0, 0, 0, {})"
            " ON CONFLICT (code) DO NOTHING",
            code,
            currency,
            chosen,
            clock.now(),
        )
        account = await get_account(code)
    if account.currency != currency or account.flags != chosen:
        raise Conflict(f"account {code!r} exists with currency {account.currency}")
    return account


async def get_account(code: str) -> AccountBalance:
    rows = await fetch(f"SELECT {_BALANCE_COLUMNS} FROM ledger_account WHERE code = {{}}", code)
    if not rows:
        raise AccountNotFound(f"no ledger account {code!r}")
    row = rows[0]
    return AccountBalance(
        code=row["code"],
        currency=row["currency"],
        flags=int(row["flags"]),
        debits_pending=int(row["debits_pending"]),
        debits_posted=int(row["debits_posted"]),
        credits_pending=int(row["credits_pending"]),
        credits_posted=int(row["credits_posted"]),
    )


async def lock_accounts(codes: Iterable[str]) -> dict[str, Balance]:
    """Lock the accounts' rows in id order (stable: no deadlocks) and snapshot them."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await fetch(
        f"SELECT {_BALANCE_COLUMNS} FROM ledger_account WHERE code IN ({marks(len(wanted))})"
        " ORDER BY id" + for_update(),
        *wanted,
    )
    return {row["code"]: _balance(row) for row in rows}


# --- transfers -------------------------------------------------------------------------


async def _load(keys: Sequence[str]) -> dict[str, tuple[int, Transfer]]:
    if not keys:
        return {}
    rows = await fetch(f"{_TRANSFER_SELECT} WHERE t.key IN ({marks(len(keys))})", *keys)
    return {row["key"]: (int(row["id"]), _transfer(row)) for row in rows}


async def _seen(
    keys: Sequence[str], pending_ids: Sequence[int]
) -> tuple[dict[str, tuple[int, Transfer]], dict[str, Row], dict[int, str]]:
    """Under the locks, in one round trip: ids already used, ids that failed, and
    pending transfers already resolved."""
    m = marks(len(keys))
    sql = (
        "SELECT 'transfer' AS origin, t.id, t.key, t.kind, t.amount, d.code AS debit,"
        " c.code AS credit, t.currency, p.key AS pending_key, t.reason, t.reference,"
        " t.tender_id, t.source, NULL AS message"
        " FROM ledger_transfer t"
        " JOIN ledger_account d ON d.id = t.debit_account"
        " JOIN ledger_account c ON c.id = t.credit_account"
        " LEFT JOIN ledger_transfer p ON p.id = t.pending"
        f" WHERE t.key IN ({m})"
        " UNION ALL SELECT 'rejection', NULL, key, code, NULL, NULL, NULL, NULL, NULL, NULL,"
        f" NULL, NULL, NULL, message FROM ledger_rejection WHERE key IN ({m})"
    )
    args: list[Any] = [*keys, *keys]
    if pending_ids:
        sql += (
            " UNION ALL SELECT 'resolution', pending, NULL, kind, NULL, NULL, NULL, NULL, NULL,"
            " NULL, NULL, NULL, NULL, NULL FROM ledger_transfer"
            f" WHERE pending IN ({marks(len(pending_ids))})"
        )
        args += pending_ids
    existing: dict[str, tuple[int, Transfer]] = {}
    failed: dict[str, Row] = {}
    resolved: dict[int, str] = {}
    for row in await fetch(sql, *args):
        if row["origin"] == "transfer":
            existing[row["key"]] = (int(row["id"]), _transfer(row))
        elif row["origin"] == "rejection":
            failed[row["key"]] = {"code": row["kind"], "message": row["message"]}
        else:
            resolved[int(row["id"])] = row["kind"]
    return existing, failed, resolved


async def create_transfers(
    requests: Sequence[TransferRequest],
    *,
    actor: str = "system",
    audit: bool = True,
    action: str = "ledger.transfer",
) -> list[TransferResult]:
    """Create transfers atomically (all or none), in order. See the module docstring."""
    if not requests:
        raise InvalidTransfer("no transfers given")
    for req in requests:
        rules.validate_request(req)
    if len({req.key for req in requests}) != len(requests):
        raise InvalidTransfer("the same transfer id appears twice in one request")
    for attempt in (1, 2):
        try:
            async with atomic():
                outcome = await _create_locked(requests, actor=actor, audit=audit, action=action)
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            # A concurrent call with the same id committed between our look-up and our
            # insert. Outside a caller's transaction, look again: it is now an
            # idempotent retry (or a conflict) like any other.
            if attempt == 2 or in_transaction():
                raise Conflict("a concurrent request used the same transfer id; retry") from exc
            continue
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome
    raise AssertionError("unreachable")


async def _create_locked(
    requests: Sequence[TransferRequest], *, actor: str, audit: bool, action: str
) -> list[TransferResult] | LedgerError:
    pending_keys = sorted({r.pending_key for r in requests if r.pending_key})
    pendings = await _load(pending_keys)
    codes: set[str] = set()
    for req in requests:
        if req.pending_key:
            if req.pending_key in pendings:
                _, p = pendings[req.pending_key]
                codes.update((p.debit, p.credit))
        elif req.debit and req.credit:
            codes.update((req.debit, req.credit))
    balances = await lock_accounts(codes)
    existing, failed, resolved = await _seen(
        [r.key for r in requests], [pid for pid, _ in pendings.values()]
    )

    results: list[TransferResult | None] = []
    new: list[Transfer] = []
    for req in requests:
        if req.key in existing:
            tid, stored = existing[req.key]
            rules.same_body(req, stored)
            results.append(TransferResult(tid, stored, created=False))
            continue
        if req.key in failed:
            row = failed[req.key]
            raise TransferAlreadyFailed(
                f"transfer {req.key!r} already failed ({row['code']}: {row['message']});"
                " use a new id to try again"
            )
        pending = None
        if req.pending_key and req.pending_key in pendings:
            pid, ptransfer = pendings[req.pending_key]
            pending = PendingState(ptransfer, resolved.get(pid))
        transfer = rules.resolve(req, pending)
        for code in (transfer.debit, transfer.credit):
            if code not in balances:
                raise AccountNotFound(f"no ledger account {code!r}")
        try:
            rules.apply(
                transfer,
                balances[transfer.debit],
                balances[transfer.credit],
                pending.transfer.amount if pending else None,
            )
        except rules.STICKY_FAILURES as exc:
            await _reject(req, exc)
            return exc
        if pending is not None:
            resolved[pendings[req.pending_key or ""][0]] = req.kind
        new.append(transfer)
        results.append(None)

    if new:
        ids = await _write(new, balances, pendings)
        fresh = iter(zip(ids, new, strict=True))
        results = [r or TransferResult(*next(fresh), created=True) for r in results]
        if audit:
            await append_audit(
                actor,
                action,
                "transfer",
                new[0].key,
                {"transfers": [t.body() for t in new]},
            )
    return [r for r in results if r is not None]


async def _reject(req: TransferRequest, exc: LedgerError) -> None:
    body = dataclasses.asdict(req)
    await fetch(
        "INSERT INTO ledger_rejection (key, code, message, body, created_at)"
        " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
        req.key,
        exc.code,
        exc.message,
        canonical_json(body),
        clock.now(),
    )


def _insert_sql(
    new: Sequence[Transfer],
    balances: dict[str, Balance],
    pendings: dict[str, tuple[int, Transfer]],
) -> tuple[str, list[Any]]:
    now = clock.now()
    args: list[Any] = []
    for t in new:
        pending_id = pendings[t.pending_key][0] if t.pending_key else None
        args += [
            t.key,
            balances[t.debit].id,
            balances[t.credit].id,
            t.amount,
            t.currency,
            t.kind,
            pending_id,
            t.reason,
            t.reference,
            t.tender_id,
            t.source,
            now,
        ]
    values = ", ".join(["(" + marks(12) + ")"] * len(new))
    sql = (
        "INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency, kind,"
        f" pending, reason, reference, tender_id, source, created_at) VALUES {values}"
        " RETURNING id, key"
    )
    return sql, args


def _balances_sql(touched: Sequence[Balance]) -> tuple[str, list[Any]]:
    """One UPDATE for all touched rows; values are absolute (the rows are locked)."""
    sets, args = [], []
    for column in ("debits_pending", "debits_posted", "credits_pending", "credits_posted"):
        cases = " ".join(["WHEN {} THEN CAST({} AS BIGINT)"] * len(touched))
        sets.append(f"{column} = CASE id {cases} END")
        for b in touched:
            args += [b.id, getattr(b, column)]
    args += [b.id for b in touched]
    sql = f"UPDATE ledger_account SET {', '.join(sets)} WHERE id IN ({marks(len(touched))})"
    return sql, args


async def _write(
    new: Sequence[Transfer],
    balances: dict[str, Balance],
    pendings: dict[str, tuple[int, Transfer]],
) -> list[int]:
    """Insert the transfers and write the touched balances: one statement on PostgreSQL
    (the UPDATE as a data-modifying CTE), two on SQLite."""
    insert, insert_args = _insert_sql(new, balances, pendings)
    update, update_args = _balances_sql([b for b in balances.values() if b.touched])
    if is_postgres():
        rows = await fetch(
            f"WITH balances AS ({update} RETURNING id) {insert}", *update_args, *insert_args
        )
    else:
        await fetch(update, *update_args)
        rows = await fetch(insert, *insert_args)
    by_key = {row["key"]: int(row["id"]) for row in rows}
    return [by_key[t.key] for t in new]


async def get_transfer(key: str) -> TransferResult:
    found = await _load([key])
    if key not in found:
        raise rules.PendingNotFound(f"no transfer {key!r}")
    tid, transfer = found[key]
    return TransferResult(tid, transfer, created=False)


async def transfer(
    key: str,
    *,
    debit: str,
    credit: str,
    amount: Money,
    reason: str,
    reference: str = "",
    tender_id: int | None = None,
    source: str | None = None,
    kind: rules.Kind = "single",
    actor: str = "system",
    audit: bool = True,
) -> TransferResult:
    """One single (posted) or pending transfer — the raw path the benchmark measures."""
    if not isinstance(amount, Money):
        raise InvalidTransfer("amount must be Money", field="amount")
    req = TransferRequest(
        key=key,
        kind=kind,
        amount=amount.amount,
        debit=debit,
        credit=credit,
        currency=amount.currency,
        reason=reason,
        reference=reference,
        tender_id=tender_id,
        source=source,
    )
    (result,) = await create_transfers([req], actor=actor, audit=audit)
    return result
