# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Match pledges: created by a sponsor, prepaid into `pledge:{id}`, matched from,
and at expiry the unused balance returned to the sponsor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from donors import payments
from donors import rules as donation_rules
from donors.matching import PledgeState, PledgeTerms, TenderFacts, check_terms, is_eligible
from donors.providers import Started
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import DomainError, NotFound, PermissionDenied
from market.ledger.accounts import ensure_accounts, get_account
from market.ledger.codes import pledge_code
from market.ledger.rules import Transfer, TransferRequest
from market.ledger.services import create_transfers
from market.sql import Row, execute, for_update, marks

SPONSOR_SOURCES = {"company": "corporate", "foundation": "foundation"}


def _split(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in (text or "").split(",") if part.strip())


def terms_of(row: Row) -> PledgeTerms:
    return PledgeTerms(
        pledge_id=int(row["id"]),
        currency=row["currency"],
        ratio_sponsor=int(row["ratio_sponsor"]),
        ratio_donor=int(row["ratio_donor"]),
        per_donation_cap=int(row["per_donation_cap"]),
        total_cap=int(row["total_cap"]),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        categories=_split(row["categories"]),
        areas=_split(row["areas"]),
        tender_ids=frozenset(int(t) for t in _split(row["tender_ids"]) if t.isdigit()),
    )


async def lock_eligible_pledges(
    facts: TenderFacts, currency: str, *, lock: bool
) -> tuple[list[PledgeState], dict[int, str]]:
    """Active pledges that would match a donation to this tender now, with what they
    have committed and hold, and each one's funding source. With `lock`, their rows
    are locked in id order (the serialization point of matching)."""
    now = clock.now()
    rows = await execute(
        "SELECT * FROM donors_pledge WHERE status = 'active' AND currency = {}"
        " AND valid_from <= {} AND valid_until > {} ORDER BY id",
        currency,
        now,
        now,
    )
    eligible = [r for r in rows if is_eligible(terms_of(r), facts, now)]
    if eligible and lock:
        ids = [int(r["id"]) for r in eligible]
        eligible = list(
            await execute(
                f"SELECT * FROM donors_pledge WHERE id IN ({marks(len(ids))})"
                " AND status = 'active' ORDER BY id" + for_update(),
                *ids,
            )
        )
    states: list[PledgeState] = []
    sources: dict[int, str] = {}
    for row in eligible:
        account = await get_account(pledge_code(int(row["id"])))
        states.append(PledgeState(terms_of(row), int(row["matched"]), account.available.amount))
        sources[int(row["id"])] = row["source"]
    return states, sources


async def create_pledge(
    *,
    sponsor_id: int,
    user_id: int,
    sponsor_kind: str,
    ratio_sponsor: int,
    ratio_donor: int,
    per_donation_cap: int,
    total_cap: int,
    valid_from: datetime,
    valid_until: datetime,
    categories: frozenset[str] = frozenset(),
    areas: frozenset[str] = frozenset(),
    tender_ids: frozenset[int] = frozenset(),
    provider: str = "bank_transfer",
    currency: str = "CNY",
    note: str = "",
    sandbox_outcome: str = "approve",
) -> tuple[int, Row, Started]:
    """The pledge (awaiting its prepayment) and the payment for its total cap."""
    if sponsor_kind not in SPONSOR_SOURCES:
        raise PermissionDenied("Only companies and foundations can pledge matching funds.")
    if provider not in ("bank_transfer", "sandbox"):
        raise donation_rules.ValidationFailed.single(
            "provider", "Pledges are prepaid by bank transfer (or the sandbox)."
        )
    terms = PledgeTerms(
        pledge_id=0,
        currency=currency,
        ratio_sponsor=ratio_sponsor,
        ratio_donor=ratio_donor,
        per_donation_cap=per_donation_cap,
        total_cap=total_cap,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    check_terms(terms)
    async with atomic():
        pledge_id = await _insert_pledge(
            sponsor_id, user_id, SPONSOR_SOURCES[sponsor_kind], terms, categories, areas,
            tender_ids, note,
        )  # fmt: skip
        await ensure_accounts([pledge_code(pledge_id)], currency)
        payment = await payments.create_payment(
            kind="pledge",
            object_id=pledge_id,
            provider_name=provider,
            amount=total_cap,
            currency=currency,
        )
        await _audit_created(user_id, pledge_id, sponsor_id, terms)
    started = await payments.start_payment(payment, sandbox_outcome=sandbox_outcome)
    return pledge_id, payment, started


async def _insert_pledge(
    sponsor_id: int,
    user_id: int,
    source: str,
    terms: PledgeTerms,
    categories: frozenset[str],
    areas: frozenset[str],
    tender_ids: frozenset[int],
    note: str,
) -> int:
    """The pledge row, awaiting its prepayment; returns its id."""
    rows = await execute(
        "INSERT INTO donors_pledge (sponsor, created_by, source, currency, ratio_sponsor,"
        " ratio_donor, per_donation_cap, total_cap, matched, valid_from, valid_until,"
        " categories, areas, tender_ids, status, note, created_at, funded_at, expired_at,"
        " returned) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 0, {}, {}, {}, {}, {},"
        " 'awaiting_funds', {}, {}, NULL, NULL, 0) RETURNING id",
        sponsor_id,
        user_id,
        source,
        terms.currency,
        terms.ratio_sponsor,
        terms.ratio_donor,
        terms.per_donation_cap,
        terms.total_cap,
        terms.valid_from,
        terms.valid_until,
        ",".join(sorted(categories)),
        ",".join(sorted(areas)),
        ",".join(str(t) for t in sorted(tender_ids)),
        note.strip()[:1000],
        clock.now(),
    )
    return int(rows[0]["id"])


async def _audit_created(user_id: int, pledge_id: int, sponsor_id: int, terms: PledgeTerms) -> None:
    await append_audit(
        actor_of(user_id),
        "pledge.create",
        "pledge",
        pledge_id,
        {
            "sponsor": sponsor_id,
            "ratio": f"{terms.ratio_sponsor}:{terms.ratio_donor}",
            "per_donation_cap": terms.per_donation_cap,
            "total_cap": terms.total_cap,
        },
    )


async def get_pledge(pledge_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_pledge WHERE id = {}", pledge_id)
    if not rows:
        raise NotFound("No such pledge.")
    return rows[0]


async def _lock_pledge(pledge_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_pledge WHERE id = {}" + for_update(), pledge_id)
    if not rows:
        raise NotFound("No such pledge.")
    return rows[0]


async def on_paid(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    pledge = await _lock_pledge(int(payment["object_id"]))
    money_in = donation_rules.payment_in(
        payment,
        credit=pledge_code(int(pledge["id"])),
        reason="pledge_funding",
        reference=f"pledge:{pledge['id']}",
    )
    await ensure_accounts([money_in.debit, money_in.credit], payment["currency"])
    results = await create_transfers([money_in], audit=False)
    await execute(
        "UPDATE donors_pledge SET status = 'active', funded_at = {} WHERE id = {}",
        clock.now(),
        pledge["id"],
    )
    return [r.transfer for r in results], {"pledge": int(pledge["id"])}


async def on_failed(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    await execute(
        "UPDATE donors_pledge SET status = 'cancelled' WHERE id = {} AND status = 'awaiting_funds'",
        payment["object_id"],
    )
    return [], {"pledge": int(payment["object_id"])}


async def expire_pledges(now: datetime | None = None) -> list[tuple[int, int]]:
    """Pledges past their window: mark expired and return the unused balance to the
    sponsor. Safe to run again and concurrently (later runs return what reservations
    released since). Returns (pledge id, amount returned) for each return made."""
    at = now or clock.now()
    rows = await execute(
        "SELECT id FROM donors_pledge WHERE status IN ('active', 'expired')"
        " AND valid_until <= {} ORDER BY id",
        at,
    )
    done: list[tuple[int, int]] = []
    for row in rows:
        amount = await _expire_one(int(row["id"]), at)
        if amount:
            done.append((int(row["id"]), amount))
    return done


async def _expire_one(pledge_id: int, at: datetime) -> int:
    async with atomic():
        pledge = await _lock_pledge(pledge_id)
        if pledge["status"] not in ("active", "expired"):
            return 0
        available = (await get_account(pledge_code(pledge_id))).available.amount
        payment = await payments.payment_for("pledge", pledge_id)
        provider = payment["provider"] if payment else "bank_transfer"
        await return_to_sponsor(
            pledge, available, key=f"pledge:{pledge_id}:return:{int(pledge['returned'])}",
            provider=provider,
        )  # fmt: skip
        await execute(
            "UPDATE donors_pledge SET status = 'expired', expired_at = COALESCE(expired_at, {})"
            " WHERE id = {}",
            at,
            pledge_id,
        )
        if available > 0 or pledge["status"] == "active":
            await append_audit(
                "system",
                "pledge.expire",
                "pledge",
                pledge_id,
                {"returned": available, "currency": pledge["currency"]},
            )
    return available


def sponsor_account(provider: str | None) -> str:
    """The external account a pledge's money goes back to the sponsor through."""
    return donation_rules.EXTERNAL_ACCOUNT[provider or "bank_transfer"]


async def return_to_sponsor(pledge: Row, amount: int, *, key: str, provider: str | None) -> None:
    """Inside the caller's transaction, the pledge row locked: `amount` of its balance
    back to the sponsor (`pledge:{id}` → the external account it was paid from), added
    to `returned`. Nothing when `amount` is 0."""
    if amount <= 0:
        return
    external = sponsor_account(provider)
    await ensure_accounts([external], pledge["currency"])
    await create_transfers(
        [
            TransferRequest(
                key=key,
                kind="single",
                amount=amount,
                debit=pledge_code(int(pledge["id"])),
                credit=external,
                currency=pledge["currency"],
                reason="pledge_return",
                reference=f"pledge:{pledge['id']}",
            )
        ],
        audit=False,
    )
    await execute(
        "UPDATE donors_pledge SET returned = returned + {} WHERE id = {}", amount, pledge["id"]
    )


class MatchedCounterError(DomainError):
    """A pledge's `matched` counter would go below zero: it does not match the ledger."""


async def reduce_matched(pledge_id: int, amount: int) -> int:
    """Inside the caller's transaction, the pledge row locked: `matched` −= `amount`
    (a voided reservation, or matched money returned to the pledge). Refuses to take
    the counter below zero (the caller's whole transaction is then rolled back).
    Returns the counter after."""
    if amount < 0:
        raise ValueError("a pledge's matched counter is reduced by a non-negative amount")
    rows = await execute(
        "UPDATE donors_pledge SET matched = matched - {} WHERE id = {} AND matched >= {}"
        " RETURNING matched",
        amount,
        pledge_id,
        amount,
    )
    if not rows:
        raise MatchedCounterError(
            f"pledge {pledge_id}: matched would go below zero (reducing it by {amount})"
        )
    return int(rows[0]["matched"])


async def command(args: object) -> int:
    """`market pledges expire`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        done = await expire_pledges()
    finally:
        await close_pool()
    for pledge_id, amount in done:
        print(f"pledge {pledge_id}: returned {amount} minor units to the sponsor")
    print(f"{len(done)} pledge(s) returned")
    return 0
