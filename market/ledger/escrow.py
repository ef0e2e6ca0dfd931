# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Escrow operations the other apps call: fund, hold, post, void, release, return-all.

Each tender has one escrow account per funding source (`tender:{id}:escrow:{source}`).
Every operation is one transaction and appends one audit event. Multi-transfer
operations (release, return-all) are idempotent as a whole: the same key and body
return the original transfers; the same key with another body is refused.

Account codes (DESIGN §4) are spelled in `market.ledger.codes` and `rules.escrow_code`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from market.audit import append_audit, canonical_json
from market.db import atomic
from market.ledger import codes as account_codes
from market.ledger import rules
from market.ledger.rules import (
    SOURCES,
    ExceedsCredits,
    IdempotencyConflict,
    InvalidTransfer,
    Kind,
    TransferRequest,
    escrow_code,
)
from market.ledger.services import (
    TransferResult,
    create_transfers,
    ensure_accounts,
    get_transfer,
    lock_accounts,
)
from market.money import Money, allocate
from market.sql import execute, marks

# Where a source's remainder goes on cancellation: one account, or several with
# weights (e.g. each donor's donated amount) split by largest remainder.
Destination = str | Sequence[tuple[str, int]]


def _money(amount: object) -> Money:
    if not isinstance(amount, Money):
        raise InvalidTransfer("amount must be Money", field="amount")
    return amount


async def fund(
    key: str,
    *,
    tender_id: int,
    source: str,
    from_code: str,
    amount: Money,
    actor: str,
    reason: str = "funding",
    reference: str = "",
) -> TransferResult:
    """Post money into a tender's escrow for one source (donation, sponsorship, match)."""
    money = _money(amount)
    return await _one_transfer(
        key,
        kind="single",
        debit=from_code,
        credit=escrow_code(tender_id, source),
        money=money,
        reason=reason,
        reference=reference,
        tender_id=tender_id,
        source=source,
        actor=actor,
        action="escrow.fund",
    )


async def hold(
    key: str,
    *,
    debit: str,
    credit: str,
    amount: Money,
    actor: str,
    reason: str,
    reference: str = "",
    tender_id: int | None = None,
    source: str | None = None,
) -> TransferResult:
    """A pending transfer: reserves `amount` on both accounts; limits checked now."""
    return await _one_transfer(
        key,
        kind="pending",
        debit=debit,
        credit=credit,
        money=_money(amount),
        reason=reason,
        reference=reference,
        tender_id=tender_id,
        source=source,
        actor=actor,
        action="escrow.hold",
    )


async def _one_transfer(
    key: str,
    *,
    kind: Kind,
    debit: str,
    credit: str,
    money: Money,
    reason: str,
    reference: str,
    tender_id: int | None,
    source: str | None,
    actor: str,
    action: str,
) -> TransferResult:
    """One transfer between two accounts, opening them first if they are new."""
    async with atomic():
        await ensure_accounts([debit, credit], money.currency)
        (result,) = await create_transfers(
            [
                TransferRequest(
                    key=key,
                    kind=kind,
                    amount=money.amount,
                    debit=debit,
                    credit=credit,
                    currency=money.currency,
                    reason=reason,
                    reference=reference,
                    tender_id=tender_id,
                    source=source,
                )
            ],
            actor=actor,
            action=action,
        )
    return result


async def post(
    key: str, *, pending_key: str, actor: str, amount: Money | None = None, reference: str = ""
) -> TransferResult:
    """Post a hold in full (amount None) or in part; the remainder returns to the debit."""
    req = TransferRequest(
        key=key,
        kind="post",
        amount=None if amount is None else _money(amount).amount,
        currency=None if amount is None else amount.currency,
        pending_key=pending_key,
        reference=reference,
    )
    (result,) = await create_transfers([req], actor=actor, action="escrow.post")
    return result


async def void(key: str, *, pending_key: str, actor: str, reference: str = "") -> TransferResult:
    """Cancel a hold: the whole amount returns."""
    req = TransferRequest(
        key=key, kind="void", amount=None, pending_key=pending_key, reference=reference
    )
    (result,) = await create_transfers([req], actor=actor, action="escrow.void")
    return result


# --- multi-transfer operations ---------------------------------------------------------


async def _replay(key: str, kind: str, body: str) -> list[TransferResult] | None:
    """Under the tender's locks: the stored result of an earlier identical operation."""
    rows = await execute("SELECT kind, body, result FROM ledger_operation WHERE key = {}", key)
    if not rows:
        return None
    if rows[0]["kind"] != kind or rows[0]["body"] != body:
        raise IdempotencyConflict(
            f"operation {key!r} exists with a different body; nothing written"
        )
    return [await get_transfer(k) for k in json.loads(rows[0]["result"])]


async def _record(key: str, kind: str, body: str, results: Sequence[TransferResult]) -> None:
    from market import clock

    await execute(
        "INSERT INTO ledger_operation (key, kind, body, result, created_at)"
        " VALUES ({}, {}, {}, {}, {})",
        key,
        kind,
        body,
        canonical_json([r.key for r in results]),
        clock.now(),
    )


async def release(
    key: str,
    *,
    tender_id: int,
    org_id: int,
    amount: Money,
    actor: str,
    reference: str = "",
) -> list[TransferResult]:
    """Pay a tranche from escrow to `org:{org_id}:payable`, split across the sources
    pro-rata to what each has available (largest remainder: parts add up exactly and
    no source gives more than it has). One transfer per contributing source."""
    money = _money(amount)
    if money.amount <= 0:
        raise InvalidTransfer("amount must be greater than zero", field="amount")
    codes = [escrow_code(tender_id, s) for s in SOURCES]
    payable = account_codes.payable_code(org_id)
    body = canonical_json(
        {
            "tender_id": tender_id,
            "org_id": org_id,
            "amount": money.amount,
            "currency": money.currency,
            "reference": reference,
        }
    )
    async with atomic():
        await ensure_accounts([*codes, payable], money.currency)
        balances = await lock_accounts([*codes, payable])
        replay = await _replay(key, "release", body)
        if replay is not None:
            return replay
        available = [max(balances[c].available, 0) for c in codes]
        if money.amount > sum(available):
            raise ExceedsCredits(
                f"tender {tender_id} escrow has {sum(available)} available, "
                f"{money.amount} requested",
                field="amount",
            )
        parts = allocate(money.amount, available)
        requests = [
            TransferRequest(
                key=f"{key}:{source}",
                kind="single",
                amount=part,
                debit=code,
                credit=payable,
                currency=money.currency,
                reason="release",
                reference=reference,
                tender_id=tender_id,
                source=source,
            )
            for source, code, part in zip(SOURCES, codes, parts, strict=True)
            if part > 0
        ]
        results = await create_transfers(requests, actor=actor, audit=False)
        await _record(key, "release", body, results)
        await append_audit(
            actor,
            "escrow.release",
            "tender",
            tender_id,
            {
                "key": key,
                "org_id": org_id,
                "amount": money.amount,
                "currency": money.currency,
                "parts": {r.transfer.source: r.transfer.amount for r in results},
            },
        )
    return results


@dataclass(frozen=True, slots=True)
class ReturnResult:
    voided: list[TransferResult]
    returned: list[TransferResult]


def _normalise(destinations: Mapping[str, Destination]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for source, dest in destinations.items():
        if source not in SOURCES:
            raise InvalidTransfer(f"unknown funding source {source!r}")
        parts = [(dest, 1)] if isinstance(dest, str) else [(c, w) for c, w in dest]
        if not parts or any(type(w) is not int or w < 0 for _, w in parts):
            raise InvalidTransfer(f"destinations for {source} need non-negative integer weights")
        out[source] = parts
    return out


async def _open_pendings(account_ids: Sequence[int]) -> list[str]:
    """Unresolved pending transfers into or out of these accounts, oldest first."""
    m = marks(len(account_ids))
    rows = await execute(
        "SELECT t.key FROM ledger_transfer t WHERE t.kind = 'pending'"
        f" AND (t.debit_account IN ({m}) OR t.credit_account IN ({m}))"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.pending = t.id)"
        " ORDER BY t.id",
        *account_ids,
        *account_ids,
    )
    return [row["key"] for row in rows]


async def return_all(
    key: str,
    *,
    tender_id: int,
    destinations: Mapping[str, Destination],
    actor: str,
    currency: str = "CNY",
    reference: str = "",
) -> ReturnResult:
    """On cancellation: void every open hold into or out of the tender's escrow, then
    move each source's remainder to its destination(s). A source holding money with no
    destination given is refused (nothing is written)."""
    routes = _normalise(destinations)
    codes = {s: escrow_code(tender_id, s) for s in SOURCES}
    dest_codes = sorted({c for parts in routes.values() for c, _ in parts})
    body = canonical_json(
        {
            "tender_id": tender_id,
            "currency": currency,
            "reference": reference,
            "destinations": {s: [list(p) for p in parts] for s, parts in sorted(routes.items())},
        }
    )
    async with atomic():
        await ensure_accounts([*codes.values(), *dest_codes], currency)
        balances = await lock_accounts([*codes.values(), *dest_codes])
        replay = await _replay(key, "return_all", body)
        if replay is not None:
            return ReturnResult(
                [r for r in replay if r.transfer.kind == "void"],
                [r for r in replay if r.transfer.kind != "void"],
            )
        pendings = await _open_pendings([balances[c].id for c in codes.values()])
        voided = (
            await create_transfers(
                [
                    TransferRequest(key=f"{key}:void:{p}", kind="void", amount=None, pending_key=p)
                    for p in pendings
                ],
                actor=actor,
                audit=False,
            )
            if pendings
            else []
        )
        balances = await lock_accounts(codes.values())
        requests: list[TransferRequest] = []
        for source in SOURCES:
            available = balances[codes[source]].available
            if available <= 0:
                continue
            if source not in routes:
                raise InvalidTransfer(f"no destination given for the {source} remainder")
            parts = routes[source]
            split = allocate(available, [w for _, w in parts])
            for i, ((dest, _), part) in enumerate(zip(parts, split, strict=True)):
                if part > 0:
                    requests.append(
                        TransferRequest(
                            key=f"{key}:{source}:{i}",
                            kind="single",
                            amount=part,
                            debit=codes[source],
                            credit=dest,
                            currency=currency,
                            reason="return",
                            reference=reference,
                            tender_id=tender_id,
                            source=source,
                        )
                    )
        returned = await create_transfers(requests, actor=actor, audit=False) if requests else []
        await _record(key, "return_all", body, [*voided, *returned])
        await append_audit(
            actor,
            "escrow.return_all",
            "tender",
            tender_id,
            {
                "key": key,
                "voided": [r.key for r in voided],
                "returned": {r.key: r.transfer.amount for r in returned},
            },
        )
    return ReturnResult(voided, returned)


__all__ = [
    "Destination",
    "ReturnResult",
    "fund",
    "hold",
    "post",
    "release",
    "return_all",
    "rules",
    "void",
]
