# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Public donations: validate, reserve the match, pay, confirm or release.

The match a donor is shown is the match they get: it is reserved when the donation
is created — a pending ledger transfer from `pledge:{id}` into the tender's escrow
for the pledge's source — under a row lock on the pledge, so the pledge's total cap
and balance hold under any concurrency (and the ledger refuses an overdraft in any
case). Paying posts the donation and the match together; a failed payment voids
the reservation and gives the pledge its room back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from donors import matching, payments
from donors import rules as donation_rules
from donors.config import donation_limits, public_unpaid_limit
from donors.late import release_match
from donors.pledges import lock_eligible_pledges
from donors.providers import Started, available_providers
from donors.tender_facts import TenderInfo, tender_info
from market import clock, metrics
from market.accounts import EMAIL_RE
from market.audit import append_with, new_event
from market.db import atomic, before_commit, is_postgres
from market.errors import DomainError, NotFound, ValidationFailed
from market.ledger.accounts import ensure_accounts
from market.ledger.at_commit import create_transfers_at_commit
from market.ledger.codes import pledge_code
from market.ledger.rules import STICKY_FAILURES, Transfer, TransferRequest, escrow_code
from market.ledger.services import create_transfers
from market.money import Money
from market.sql import Row, execute, for_update
from market.tenders.readmodels import lock_tender_funding

CLOSED_MESSAGE = "This project does not accept money now."


class MatchMoved(Exception):
    """The pledge chosen for a match has no room for it any more at commit (another
    donation took it first): the donation is written again, its match taken under the
    pledge's row lock."""


class UnpaidLimitError(DomainError):
    """One client holds as many unpaid donations as the public route allows."""

    status_code = 429


@dataclass(frozen=True, slots=True)
class DonationStarted:
    donation_id: int
    payment_id: int
    provider: str
    status: str  # the donation's status after the provider answered
    reference_code: str
    match: Money  # reserved (zero when none)
    started: Started


async def start_donation(
    *,
    tender_id: int,
    amount: Money,
    provider: str,
    donor_id: int | None = None,
    display_name: str = "",
    message: str = "",
    anonymous: bool = False,
    on_failure: str = "refund",
    email: str = "",
    payment_method: str = "",
    sandbox_outcome: str = "approve",
    client_key: str = "",
    lang: str = "",
) -> DonationStarted:
    """Check everything that could stop the donation from being paid, then — under the
    tender's funding gate, so no settlement runs beside it — write it, reserve its
    match and create its payment in one transaction, and start the payment. With a
    `client_key` (the public route), refuse when that client already holds
    `public_unpaid_limit()` donations awaiting payment."""
    info = await tender_info(tender_id)
    _check(info, amount, provider, on_failure, display_name, message, email, sandbox_outcome)
    fields = {"display_name": display_name, "message": message, "anonymous": anonymous,
              "email": email, "on_failure": on_failure, "client_key": client_key,
              "lang": lang, "provider": provider}  # fmt: skip
    try:  # the match claimed at commit; taken under the pledge's lock if it moved meanwhile
        donation_id, match, payment = await _write(
            tender_id, donor_id, amount, info, fields, claim_at_commit=True
        )
    except (MatchMoved, *STICKY_FAILURES):
        donation_id, match, payment = await _write(
            tender_id, donor_id, amount, info, fields, claim_at_commit=False
        )
    metrics.count_donation("started")
    started = await payments.start_payment(
        payment, payment_method=payment_method, sandbox_outcome=sandbox_outcome
    )
    status = (await get_donation(donation_id))["status"]
    return DonationStarted(
        donation_id=donation_id,
        payment_id=int(payment["id"]),
        provider=provider,
        status=status,
        reference_code=payment["reference_code"],
        match=match,
        started=started,
    )


def _check(
    info: TenderInfo,
    amount: Money,
    provider: str,
    on_failure: str,
    display_name: str,
    message: str,
    email: str,
    sandbox_outcome: str,
) -> None:
    """Every refusal that needs no lock, before anything is written or reserved."""
    donation_rules.check_donation(
        amount=amount.amount,
        currency=amount.currency,
        tender_currency=info.currency,
        tender_status=info.status,
        provider=provider,
        on_failure=on_failure,
        limits=donation_limits(),
        display_name=display_name,
        message=message,
        sandbox=info.sandbox,
    )
    if provider not in available_providers():
        raise ValidationFailed({"provider": "This way to pay is not available now."})
    if email.strip() and not EMAIL_RE.match(email.strip()):
        raise ValidationFailed({"email": "Enter a valid e-mail address."})
    if sandbox_outcome not in ("approve", "decline"):
        raise ValidationFailed({"sandbox_outcome": "Choose how the sandbox card answers."})


async def _write(
    tender_id: int,
    donor_id: int | None,
    amount: Money,
    info: TenderInfo,
    fields: dict[str, Any],
    *,
    claim_at_commit: bool,
) -> tuple[int, Money, Row]:
    """One transaction: the donation, its payment and its match (see `_reserve_match`)."""
    now = clock.now()
    async with atomic():
        await _check_client(str(fields["client_key"]))
        await _check_open(tender_id)
        donation_id = await _insert_donation(tender_id, donor_id, amount, now, fields)
        payment = await payments.create_payment(
            kind="donation",
            object_id=donation_id,
            provider_name=str(fields["provider"]),
            amount=amount.amount,
            currency=amount.currency,
        )
        if claim_at_commit:
            match = await _claim_match_at_commit(donation_id, info.facts, amount, now)
        else:
            match = await _reserve_match(donation_id, info.facts, amount, now)
    return donation_id, match, payment


async def _check_client(client_key: str) -> None:
    """The public route's limit on unpaid reservations per client (serialized per
    client: an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    if not client_key:
        return
    if is_postgres():
        await execute("SELECT pg_advisory_xact_lock(hashtext({}))", "donate:" + client_key)
    rows = await execute(
        "SELECT COUNT(*) AS n FROM donors_donation WHERE client_key = {} AND status = 'pending'",
        client_key,
    )
    if int(rows[0]["n"]) >= public_unpaid_limit():
        raise UnpaidLimitError(
            "You already have %(limit)s donations waiting for payment. Pay or let one of"
            " them lapse before starting another.",
            limit=public_unpaid_limit(),
        )


async def _check_open(tender_id: int) -> None:
    """Under the funding gate (shared): the tender still takes money and is not settled."""
    tender = await lock_tender_funding(tender_id, exclusive=False)
    settled = await execute("SELECT id FROM donors_settlement WHERE tender = {}", tender_id)
    if settled or tender["status"] not in donation_rules.OPEN_STATUSES:
        raise donation_rules.TenderClosedForDonations(CLOSED_MESSAGE)


async def _insert_donation(
    tender_id: int, donor_id: int | None, amount: Money, now: datetime, fields: dict[str, Any]
) -> int:
    """The pending donation row (no match yet); returns its id."""
    rows = await execute(
        "INSERT INTO donors_donation (tender, donor, amount, currency, display_name, message,"
        " anonymous, email, on_failure, status, match_pledge, match_amount, match_status,"
        " receipt_no, refund_amount, refund_ref, created_at, client_key, lang) VALUES ({}, {},"
        " {}, {}, {}, {}, {}, {}, {}, 'pending', NULL, 0, 'none', NULL, 0, '', {}, {}, {})"
        " RETURNING id",
        tender_id,
        donor_id,
        amount.amount,
        amount.currency,
        str(fields["display_name"]).strip(),
        str(fields["message"]).strip(),
        bool(fields["anonymous"]),
        str(fields["email"]).strip()[:254],
        fields["on_failure"],
        now,
        str(fields["client_key"])[:64],
        str(fields["lang"])[:8],
    )
    return int(rows[0]["id"])


async def _reserve_match(
    donation_id: int, facts: matching.TenderFacts, amount: Money, now: Any
) -> Money:
    states, sources = await lock_eligible_pledges(facts, amount.currency, lock=True)
    chosen = matching.choose_match(states, facts, amount.amount, now)
    if chosen is None:
        return Money.zero(amount.currency)
    pledge_id, match = chosen
    source = sources[pledge_id]
    escrow = escrow_code(facts.tender_id, source)
    await ensure_accounts([escrow], amount.currency)
    await create_transfers(
        [_match_request(donation_id, pledge_id, match, source, amount.currency, facts.tender_id)],
        actor="system",  # audited: the reservation is promised into escrow, so the
        # project's published budget changes with it (opendata.ocds.funding)
    )
    await execute("UPDATE donors_pledge SET matched = matched + {} WHERE id = {}", match, pledge_id)
    await _record_match(donation_id, pledge_id, match)
    return Money(match, amount.currency)


async def _claim_match_at_commit(
    donation_id: int, facts: matching.TenderFacts, amount: Money, now: Any
) -> Money:
    """The match chosen from the pledges as they are now (unlocked), claimed last: right
    before the commit the pledge's row is locked by the UPDATE that takes its room
    (refused, `MatchMoved`, if the room is gone), then the pending transfer is written
    (refused by the ledger if the pledge's account cannot hold it). So a hot pledge
    stays locked for those statements and the commit only (lock order: pledge row →
    ledger accounts → funding mark). The audit row is the one `create_transfers` writes."""
    states, sources = await lock_eligible_pledges(facts, amount.currency, lock=False)
    chosen = matching.choose_match(states, facts, amount.amount, now)
    if chosen is None:
        return Money.zero(amount.currency)
    pledge_id, match = chosen

    async def claim() -> None:
        rows = await execute(
            "UPDATE donors_pledge SET matched = matched + {} WHERE id = {} AND status = 'active'"
            " AND matched + {} <= total_cap RETURNING id",
            match,
            pledge_id,
            match,
        )
        if not rows:
            raise MatchMoved(f"pledge {pledge_id} has no room for {match} any more")

    await before_commit(claim)  # before the ledger's write: the pledge row first
    request = _match_request(
        donation_id, pledge_id, match, sources[pledge_id], amount.currency, facts.tender_id
    )
    transfers = await create_transfers_at_commit(
        [request],
        ensure=[escrow_code(facts.tender_id, sources[pledge_id])],
        currency=amount.currency,
    )
    event = new_event(
        "system", "ledger.transfer", "transfer", request.key,
        {"transfers": [t.body() for t in transfers]},
    )  # fmt: skip
    await append_with(_RECORD_MATCH, [pledge_id, match, donation_id], event)
    return Money(match, amount.currency)


def _match_request(
    donation_id: int, pledge_id: int, match: int, source: str, currency: str, tender_id: int
) -> TransferRequest:
    """The match reserved: a pending transfer from the pledge into the tender's escrow
    for the pledge's source."""
    return TransferRequest(
        key=f"donation:{donation_id}:match",
        kind="pending",
        amount=match,
        debit=pledge_code(pledge_id),
        credit=escrow_code(tender_id, source),
        currency=currency,
        reason="match",
        reference=f"donation:{donation_id}",
        tender_id=tender_id,
        source=source,
    )


_RECORD_MATCH = (
    "UPDATE donors_donation SET match_pledge = {}, match_amount = {},"
    " match_status = 'reserved' WHERE id = {}"
)


async def _record_match(donation_id: int, pledge_id: int, match: int) -> None:
    await execute(_RECORD_MATCH, pledge_id, match, donation_id)


async def get_donation(donation_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_donation WHERE id = {}", donation_id)
    if not rows:
        raise NotFound("No such donation.")
    return rows[0]


async def _lock_donation(donation_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_donation WHERE id = {}" + for_update(), donation_id)
    if not rows:
        raise NotFound("No such donation.")
    return rows[0]


async def on_paid(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    donation = await _lock_donation(int(payment["object_id"]))
    donation_id = int(donation["id"])
    requests = donation_rules.donation_paid_requests(payment, donation)
    money_in = requests[0]
    matched = len(requests) > 1
    # The provider's account, the escrow and the pledge are every donation's rows: they
    # are written last, right before the commit (the payment's audit event lists them).
    transfers = await create_transfers_at_commit(
        requests,
        ensure=[c for c in (money_in.debit, money_in.credit) if c],
        currency=payment["currency"],
    )
    now = clock.now()
    await execute(
        "UPDATE donors_donation SET status = 'paid', paid_at = {}, receipt_no = {},"
        " match_status = {}, closed_at = NULL WHERE id = {}",
        now,
        donation_rules.receipt_number("donation", donation_id, now),
        "posted" if matched else donation["match_status"],
        donation_id,
    )
    return transfers, donation_rules.donation_paid_summary(donation, matched)


async def on_failed(payment: Row) -> tuple[list[Transfer], dict[str, Any]]:
    """The payment will not come: a match still reserved goes back to its pledge
    (`pledge.matched` reduced by exactly the reservation, the pending transfer voided)."""
    donation = await _lock_donation(int(payment["object_id"]))
    voids = await release_match(donation)
    transfers: list[Transfer] = []
    if voids:
        results = await create_transfers(voids, actor="system", audit=False)
        transfers = [r.transfer for r in results]
    await execute(
        "UPDATE donors_donation SET status = 'failed', closed_at = {},"
        " match_status = CASE WHEN match_status = 'reserved' THEN 'released'"
        " ELSE match_status END WHERE id = {}",
        clock.now(),
        int(donation["id"]),
    )
    released = int(donation["match_amount"]) if voids is not None else 0
    return transfers, {"released_match": released}
