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

On PostgreSQL a batch of single/pending transfers first takes an optimistic path
that skips the look-up of used and failed ids: the write refuses them itself
(ON CONFLICT DO NOTHING / NOT EXISTS) and any refusal rolls back and reruns the
full path, so every answer other than "created" comes from the full path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from market.audit import new_event
from market.db import atomic, in_transaction, is_postgres
from market.errors import Conflict
from market.ledger import rules
from market.ledger.accounts import (
    AccountBalance,
    ensure_accounts,
    get_account,
    lock_accounts,
    open_account,
)
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
from market.ledger.writes import FullPath, reject, write_transfers
from market.money import Money
from market.sql import Row, execute, is_unique_violation, marks

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


# --- transfers -------------------------------------------------------------------------


async def _load(keys: Sequence[str]) -> dict[str, tuple[int, Transfer]]:
    if not keys:
        return {}
    rows = await execute(f"{_TRANSFER_SELECT} WHERE t.key IN ({marks(len(keys))})", *keys)
    return {row["key"]: (int(row["id"]), _transfer(row)) for row in rows}


# Ids already used, ids that failed, pending transfers already resolved (`_seen`).
Seen = tuple[dict[str, tuple[int, Transfer]], dict[str, Row], dict[int, str]]


async def _seen(keys: Sequence[str], pending_ids: Sequence[int]) -> Seen:
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
    for row in await execute(sql, *args):
        if row["origin"] == "transfer":
            existing[row["key"]] = (int(row["id"]), _transfer(row))
        elif row["origin"] == "rejection":
            failed[row["key"]] = {"code": row["kind"], "message": row["message"]}
        else:
            resolved[int(row["id"])] = row["kind"]
    return existing, failed, resolved


async def look_ahead(
    keys: Sequence[str], pending_keys: Sequence[str], codes: Sequence[str]
) -> tuple[dict[str, tuple[int, Transfer]], Seen, set[str]]:
    """In one round trip, before any lock (`market.ledger.at_commit`): the pending
    transfers named (`_load`), what `_seen` tells of the ids and those pendings, and
    which of the account codes exist."""
    m = marks
    sql = (
        f"{_TRANSFER_SELECT.replace('SELECT ', 'SELECT NULL AS message, ', 1)}"
        f" WHERE t.key IN ({m(len(keys) + len(pending_keys))})"
        " UNION ALL SELECT message, NULL, key, code, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
        f" NULL, NULL, NULL FROM ledger_rejection WHERE key IN ({m(len(keys))})"
    )
    args: list[Any] = [*keys, *pending_keys, *keys]
    if pending_keys:
        sql += (
            " UNION ALL SELECT NULL, pending, NULL, kind, NULL, NULL, NULL, NULL, NULL, NULL,"
            " NULL, NULL, NULL, NULL FROM ledger_transfer WHERE pending IN"
            f" (SELECT id FROM ledger_transfer WHERE key IN ({m(len(pending_keys))}))"
        )
        args += pending_keys
    if codes:
        sql += (
            " UNION ALL SELECT NULL, NULL, code, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
            f" NULL, NULL, NULL, NULL FROM ledger_account WHERE code IN ({m(len(codes))})"
        )
        args += codes
    found: dict[str, tuple[int, Transfer]] = {}
    failed: dict[str, Row] = {}
    resolved: dict[int, str] = {}
    accounts: set[str] = set()
    for row in await execute(sql, *args):
        if row["message"] is not None:  # a rejection (its message is never NULL)
            failed[row["key"]] = {"code": row["kind"], "message": row["message"]}
        elif row["amount"] is not None:
            found[row["key"]] = (int(row["id"]), _transfer(row))
        elif row["id"] is not None:
            resolved[int(row["id"])] = row["kind"]
        else:
            accounts.add(row["key"])
    wanted = set(pending_keys)
    pendings = {k: v for k, v in found.items() if k in wanted}
    existing = {k: v for k, v in found.items() if k not in wanted}
    return pendings, (existing, failed, resolved), accounts


async def create_transfers(
    requests: Sequence[TransferRequest],
    *,
    actor: str = "system",
    audit: bool = True,
    action: str = "ledger.transfer",
) -> list[TransferResult]:
    """Create transfers atomically (all or none), in order. See the module docstring."""
    _checked(requests)
    # On PostgreSQL, single/pending batches first try the optimistic path: no look-up
    # of used or failed ids; the write itself refuses a used id (ON CONFLICT DO NOTHING)
    # or a failed one (NOT EXISTS) and any refusal falls back to the full path, so
    # every answer other than "created" comes from the full path. One round trip less.
    optimistic = is_postgres() and all(r.kind in ("single", "pending") for r in requests)
    conflicts = 0
    while True:
        try:
            async with atomic():
                outcome = await _create_locked(
                    requests, actor=actor, audit=audit, action=action, optimistic=optimistic
                )
        except FullPath:
            optimistic = False
            continue
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            # A concurrent call with the same id committed between our look-up and our
            # insert. Outside a caller's transaction, look again: it is now an
            # idempotent retry (or a conflict) like any other.
            conflicts += 1
            if conflicts > 1 or in_transaction():
                raise Conflict("a concurrent request used the same transfer id; retry") from exc
            optimistic = False
            continue
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome


async def _lock_touched(
    requests: Sequence[TransferRequest], pendings: dict[str, tuple[int, Transfer]]
) -> dict[str, Balance]:
    """Lock every account the requests (or the pendings they resolve) touch."""
    codes: set[str] = set()
    for req in requests:
        if req.pending_key:
            if req.pending_key in pendings:
                _, p = pendings[req.pending_key]
                codes.update((p.debit, p.credit))
        elif req.debit and req.credit:
            codes.update((req.debit, req.credit))
    return await lock_accounts(codes)


def _seen_result(
    req: TransferRequest,
    existing: dict[str, tuple[int, Transfer]],
    failed: dict[str, Row],
) -> TransferResult | None:
    """The original result of an id already used (same body), or None for a new id;
    an id that already failed keeps failing."""
    if req.key in existing:
        tid, stored = existing[req.key]
        rules.same_body(req, stored)
        return TransferResult(tid, stored, created=False)
    if req.key in failed:
        row = failed[req.key]
        raise TransferAlreadyFailed(
            f"transfer {req.key!r} already failed ({row['code']}: {row['message']});"
            " use a new id to try again"
        )
    return None


def _applied(
    req: TransferRequest, pending: PendingState | None, balances: dict[str, Balance]
) -> Transfer:
    """The resolved transfer, applied to the locked balances (raises a LedgerError)."""
    transfer = rules.resolve(req, pending)
    for code in (transfer.debit, transfer.credit):
        if code not in balances:
            raise AccountNotFound(f"no ledger account {code!r}")
    rules.apply(
        transfer,
        balances[transfer.debit],
        balances[transfer.credit],
        pending.transfer.amount if pending else None,
    )
    return transfer


def _checked(requests: Sequence[TransferRequest]) -> None:
    if not requests:
        raise InvalidTransfer("no transfers given")
    for req in requests:
        rules.validate_request(req)
    if len({req.key for req in requests}) != len(requests):
        raise InvalidTransfer("the same transfer id appears twice in one request")


async def _create_locked(
    requests: Sequence[TransferRequest],
    *,
    actor: str,
    audit: bool,
    action: str,
    optimistic: bool = False,
    pendings: dict[str, tuple[int, Transfer]] | None = None,
    looked_up: Seen | None = None,
) -> list[TransferResult] | LedgerError:
    if pendings is None:
        pendings = await _load(sorted({r.pending_key for r in requests if r.pending_key}))
    balances = await _lock_touched(requests, pendings)
    if looked_up is None:
        keys, pending_ids = [r.key for r in requests], [pid for pid, _ in pendings.values()]
        looked_up = ({}, {}, {}) if optimistic else await _seen(keys, pending_ids)
    existing, failed, resolved = looked_up[0], dict(looked_up[1]), dict(looked_up[2])

    results: list[TransferResult | None] = []
    new: list[Transfer] = []
    for req in requests:
        seen = _seen_result(req, existing, failed)
        if seen is not None:
            results.append(seen)
            continue
        pending = None
        if req.pending_key and req.pending_key in pendings:
            pid, ptransfer = pendings[req.pending_key]
            pending = PendingState(ptransfer, resolved.get(pid))
        try:
            transfer = _applied(req, pending, balances)
        except LedgerError as exc:
            if optimistic:
                raise FullPath from exc
            if not isinstance(exc, rules.STICKY_FAILURES):
                raise
            await reject(req, exc)
            return exc
        if pending is not None:
            resolved[pendings[req.pending_key or ""][0]] = req.kind
        new.append(transfer)
        results.append(None)

    if new:
        event = (
            new_event(actor, action, "transfer", new[0].key, {"transfers": [t.body() for t in new]})
            if audit
            else None
        )
        ids = await write_transfers(new, balances, pendings, optimistic=optimistic, event=event)
        fresh = iter(zip(ids, new, strict=True))
        results = [r or TransferResult(*next(fresh), created=True) for r in results]
    return [r for r in results if r is not None]


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


__all__ = [
    "AccountBalance",
    "TransferResult",
    "create_transfers",
    "ensure_accounts",
    "get_account",
    "get_transfer",
    "lock_accounts",
    "open_account",
    "transfer",
]
