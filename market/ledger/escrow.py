"""Escrow operations the other apps call: fund, hold, post, void, release, return-all.

Each tender has one escrow account per funding source (`tender:{id}:escrow:{source}`).
Every operation is one transaction and appends one audit event. Multi-transfer
operations (release, return-all) are idempotent as a whole: the same key and body
return the original transfers; the same key with another body is refused.

Account codes (DESIGN §4) are spelled in `market.ledger.codes` and `rules.escrow_code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from market.audit import append_audit, canonical_json
from market.db import atomic
from market.ledger import codes as account_codes
from market.ledger import rules
from market.ledger.operations import (
    Destination,
    normalise_destinations,
    open_pendings,
    record_operation,
    replay_operation,
)
from market.ledger.rules import (
    SOURCES,
    Balance,
    ExceedsCredits,
    InvalidTransfer,
    Kind,
    TransferRequest,
    escrow_code,
)
from market.ledger.services import (
    TransferResult,
    create_transfers,
    ensure_accounts,
    lock_accounts,
)
from market.money import Money, allocate


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


def _release_requests(
    key: str,
    tender_id: int,
    codes: list[str],
    parts: list[int],
    payable: str,
    money: Money,
    reference: str,
) -> list[TransferRequest]:
    """One transfer per source with a part of the tranche, escrow → payable."""
    return [
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


async def release(
    key: str,
    *,
    tender_id: int,
    org_id: int,
    amount: Money,
    actor: str,
    reference: str = "",
    sandbox: bool = False,
) -> list[TransferResult]:
    """Pay a tranche from escrow to `org:{org_id}:payable` (a sandbox tender's to
    `org:{org_id}:sandbox_payable`), split across the sources pro-rata to what each has
    available (largest remainder: parts add up exactly and no source gives more than
    it has). One transfer per contributing source."""
    money = _money(amount)
    if money.amount <= 0:
        raise InvalidTransfer("amount must be greater than zero", field="amount")
    codes = [escrow_code(tender_id, s) for s in SOURCES]
    payable = account_codes.payable_code(org_id, sandbox=sandbox)
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
        replay = await replay_operation(key, "release", body)
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
        requests = _release_requests(key, tender_id, codes, parts, payable, money, reference)
        results = await create_transfers(requests, actor=actor, audit=False)
        await record_operation(key, "release", body, results)
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


async def _void_all(key: str, pendings: list[str], actor: str) -> list[TransferResult]:
    """Void every open hold (no transfer, and no call, when there is none)."""
    return (
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


def _return_requests(
    key: str,
    tender_id: int,
    routes: dict[str, list[tuple[str, int]]],
    codes: dict[str, str],
    balances: Mapping[str, Balance],
    currency: str,
    reference: str,
) -> list[TransferRequest]:
    """Each source's remainder split across its destinations by weight (largest
    remainder); a source holding money with no destination is refused."""
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
    return requests


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
    routes = normalise_destinations(destinations)
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
        replay = await replay_operation(key, "return_all", body)
        if replay is not None:
            return ReturnResult(
                [r for r in replay if r.transfer.kind == "void"],
                [r for r in replay if r.transfer.kind != "void"],
            )
        pendings = await open_pendings([balances[c].id for c in codes.values()])
        voided = await _void_all(key, pendings, actor)
        balances = await lock_accounts(codes.values())
        requests = _return_requests(key, tender_id, routes, codes, balances, currency, reference)
        returned = await create_transfers(requests, actor=actor, audit=False) if requests else []
        await record_operation(key, "return_all", body, [*voided, *returned])
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
