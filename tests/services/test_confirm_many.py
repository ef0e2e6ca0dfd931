"""Donations confirmed together (`donors.confirm_many`, gathered by the webhook's group
commit) end exactly as they end one at a time — the same rows, transfers, balances and
audit events — and anything but the common case in a batch gets the answer it gets alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from donors import confirm_many, donations, rules, stripe_events
from donors.payments import PaymentMismatch
from market.db import atomic
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from market.tenders.readmodels import lock_tender_funding
from tests.builders import chained_and_verified, make_user
from tests.donation_builders import make_pledge, make_tender
from tests.stripe_builders import event, stripe_configured

__all__ = ["stripe_configured"]  # a fixture, used by name

# Matched in full, matched in part (the per-donation cap), matched with what is left
# of the pledge, and not matched (the pledge is used up).
AMOUNTS = (100_00, 700_00, 300_00, 50_00)


async def _project() -> tuple[int, int, list[donations.DonationStarted]]:
    """A tender with its own pledge (cap 500 per donation, 800 in all) and the four
    donations of AMOUNTS started with Stripe, awaiting their webhooks: a guest who left
    an e-mail address, a signed-in donor, and two anonymous guests."""
    tender = await make_tender()
    pledge = await make_pledge(
        per_donation_cap=500_00, total_cap=800_00, tender_ids=frozenset({tender})
    )
    donor = await make_user()
    who: list[dict[str, Any]] = [{"email": "guest@example.org", "lang": "en"}, {"donor_id": donor}]
    started = [
        await donations.start_donation(
            tender_id=tender,
            amount=Money(amount, "CNY"),
            provider="stripe",
            **(who[n] if n < len(who) else {}),
        )
        for n, amount in enumerate(AMOUNTS)
    ]
    return tender, pledge, started


def _forbid_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(parsed: object) -> str:
        raise AssertionError("the batch fell back to one event at a time")

    monkeypatch.setattr(stripe_events, "_apply", refuse)


async def _written(tender: int, pledge: int, started: list[donations.DonationStarted]) -> Any:
    """What confirming wrote for these donations, with their ids replaced by their
    place in the list (so two projects' writes compare equal)."""
    names = {
        rf"\btender:{tender}\b": "tender:T",
        rf'"tender_id": {tender}\b': '"tender_id": "T"',
        rf"\bpledge:{pledge}\b": "pledge:L",
    }
    for n, s in enumerate(started):
        names[rf"\bdonation:{s.donation_id}\b"] = f"donation:{n}"
        names[rf"\bpayment:{s.payment_id}\b"] = f"payment:{n}"

    def plain(text: str) -> str:
        for pattern, name in names.items():
            text = re.sub(pattern, name, text)
        return text

    out: list[Any] = []
    for n, s in enumerate(started):
        d = (await execute("SELECT * FROM donors_donation WHERE id = {}", s.donation_id))[0]
        p = (await execute("SELECT * FROM donors_payment WHERE id = {}", s.payment_id))[0]
        assert d["receipt_no"] == rules.receipt_number("donation", s.donation_id, d["paid_at"])
        (audit,) = await execute(
            "SELECT actor, action, object_type, change FROM audit_event"
            " WHERE action = 'donation.paid' AND object_id = {}",
            str(s.donation_id),
        )
        change = json.loads(audit["change"])
        assert (change["payment"], change["tender_id"]) == (s.payment_id, tender)
        change.update(payment=n, tender_id="T", event="E")
        out.append(
            {
                "donation": [d[k] for k in ("status", "match_status", "match_amount", "amount")],
                "payment": [p[k] for k in ("status", "bank_reference", "recorded_by", "amount")],
                "settled": p["settled_at"] is not None,
                "audit": [audit["actor"], audit["action"], audit["object_type"]],
                "change": plain(json.dumps(change, sort_keys=True)),
            }
        )
    rows = await execute(
        "SELECT t.key, t.kind, t.amount, t.reason, t.reference, t.source, a.code AS debit,"
        " c.code AS credit FROM ledger_transfer t JOIN ledger_account a ON a.id = t.debit_account"
        " JOIN ledger_account c ON c.id = t.credit_account WHERE t.tender_id = {}"
        " OR t.reference IN (SELECT 'donation:' || id FROM donors_donation WHERE tender = {})",
        tender,
        tender,
    )
    transfers = sorted(plain(json.dumps(dict(r), sort_keys=True)) for r in rows)
    told = await execute(
        "SELECT key, channel, kind, params, link FROM market_outbox WHERE key LIKE {}"
        " OR key LIKE {}",
        "donation.paid:%",
        "pledge.nearly_exhausted:%",
    )
    mine = {f"donation.paid:{s.donation_id}:" for s in started} | {f"exhausted:{pledge}|"}
    place = {s.donation_id: n for n, s in enumerate(started)}
    notices = sorted(
        json.dumps(_notice(r, place, tender, pledge), sort_keys=True)
        for r in told
        if any(m in r["key"] for m in mine)
    )
    (mark,) = await execute("SELECT event FROM ocds_funding_mark WHERE tender_id = {}", tender)
    (last,) = await execute(
        "SELECT MAX(id) AS id FROM audit_event WHERE action = 'donation.paid' AND object_id IN"
        " (SELECT CAST(id AS VARCHAR) FROM donors_donation WHERE tender = {})",
        tender,
    )
    assert mark["event"] == last["id"]  # the funding release names the last money event
    balances = await execute(
        "SELECT code, debits_pending, debits_posted, credits_pending, credits_posted"
        " FROM ledger_account WHERE code LIKE {} OR code = {} ORDER BY code",
        f"tender:{tender}:%",
        f"pledge:{pledge}",
    )
    return (
        out,
        transfers,
        [plain(json.dumps(dict(b), sort_keys=True)) for b in balances],
        notices,
    )


def _notice(row: Any, place: dict[int, int], tender: int, pledge: int) -> dict[str, Any]:
    """A notice with what differs between two projects named by role: the project's
    titles dropped, ids by place, a guest's receipt key (its reference code) hidden."""
    params = json.loads(row["params"])
    for k in ("title_zh", "title_en"):
        params.pop(k, None)
    params["tender"] = "T" if params.get("tender") == tender else params.get("tender")
    if "pledge" in params:
        params["pledge"] = "L" if params["pledge"] == pledge else params["pledge"]
    if "donation" in params:
        params["donation"] = place[params["donation"]]
    if "receipt_no" in params:
        params["receipt_no"] = bool(params["receipt_no"])
    link = re.sub(r"/donations/(\d+)/", lambda m: f"/donations/{place[int(m[1])]}/", row["link"])
    return {
        "channel": row["channel"],
        "kind": row["kind"],
        "params": params,
        "link": re.sub(r"ref=[\w-]+", "ref=R", link),
    }


async def test_a_batch_writes_exactly_what_one_at_a_time_writes(
    stripe_configured: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = await _project()
    together = await _project()
    for n, s in enumerate(alone[2]):
        body = event(s.payment_id, AMOUNTS[n], n=100 + n)
        assert await stripe_events.apply_stripe_event(body) == "paid"
    _forbid_one_at_a_time(monkeypatch)
    bodies = [event(s.payment_id, AMOUNTS[n], n=200 + n) for n, s in enumerate(together[2])]
    assert await stripe_events.apply_stripe_events(bodies) == ["paid"] * len(AMOUNTS)
    first, second = await _written(*alone), await _written(*together)
    assert first == second
    kinds = sorted(json.loads(n)["kind"] + "/" + json.loads(n)["channel"] for n in second[3])
    assert kinds == [
        "donation.receipt/email",  # the guest, at the address left
        "donation.receipt/email",  # the signed-in donor, by the kind's defaults
        "donation.receipt/inbox",
        *["pledge.matched/inbox"] * 3,  # the sponsor, once per donation it matched
        "pledge.nearly_exhausted/email",  # and once when less than a tenth is left
        "pledge.nearly_exhausted/inbox",
    ], kinds
    matches = [row["donation"][1:3] for row in second[0]]
    assert matches == [["posted", 100_00], ["posted", 500_00], ["posted", 200_00], ["none", 0]]
    # Redelivered together: every event is a duplicate, answered by the batch itself.
    assert await stripe_events.apply_stripe_events(bodies) == ["duplicate"] * len(AMOUNTS)
    assert await _written(*together) == second
    assert (await run_checks()).ok
    assert (await chained_and_verified()).ok


async def test_the_uncommon_in_a_batch_gets_its_own_answer_and_the_rest_are_paid(
    stripe_configured: None,
) -> None:
    _, _, started = await _project()
    a, b, c, d = started
    bodies = [
        event(a.payment_id, AMOUNTS[0], n=1),
        event(b.payment_id, AMOUNTS[1] + 1, n=2),  # not the amount asked for
        event(c.payment_id, AMOUNTS[2], n=3),
        event(c.payment_id, AMOUNTS[2], n=3),  # the same event twice in one batch
        b"{not json",
        event(d.payment_id, AMOUNTS[3], n=4, ok=False),
    ]
    outcomes = await stripe_events.apply_stripe_events(bodies)
    assert outcomes[0] == "paid" and outcomes[2] == "paid" and outcomes[3] == "duplicate"
    assert isinstance(outcomes[1], PaymentMismatch)
    assert "Malformed" in str(outcomes[4])
    assert outcomes[5] == "failed"
    statuses = [(await donations.get_donation(s.donation_id))["status"] for s in started]
    assert statuses == ["paid", "pending", "paid", "failed"]
    assert (await run_checks()).ok


async def test_a_batch_into_a_closed_project_takes_the_late_arrival_path(
    stripe_configured: None,
) -> None:
    tender, _, started = await _project()
    async with atomic():
        await lock_tender_funding(tender, exclusive=True)
        await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    bodies = [event(s.payment_id, AMOUNTS[n], n=10 + n) for n, s in enumerate(started[:2])]
    assert await stripe_events.apply_stripe_events(bodies) == ["late_arrival"] * 2
    assert (await run_checks()).ok


async def test_the_batch_refuses_what_it_does_not_handle_and_writes_nothing(
    stripe_configured: None,
) -> None:
    _, _, started = await _project()
    paid = [
        confirm_many.Paid(s.payment_id, AMOUNTS[n], "cny", f"pi_test_{s.payment_id}", ev)
        for n, s in enumerate(started)
        for ev in [stripe_events.Event(f"evt_x{n}", "payment_intent.succeeded")]
    ]
    wrong = [paid[0], confirm_many.Paid(started[1].payment_id, 1, "cny", "", paid[1].event)]
    for batch in ([], [paid[0], paid[0]], wrong, [*paid[:1], *paid[:1]]):
        with pytest.raises(confirm_many.Uncommon):
            await confirm_many.confirm_donations(batch)
    rows = await execute("SELECT COUNT(*) AS n FROM donors_webhook_event")
    assert int(rows[0]["n"]) == 0
    assert await confirm_many.confirm_donations(paid) == ["paid"] * len(paid)


async def test_two_events_for_one_payment_are_applied_in_the_order_they_arrived(
    stripe_configured: None,
) -> None:
    _, _, started = await _project()
    a, b = started[:2]
    bodies = [
        event(a.payment_id, AMOUNTS[0], n=51, ok=False),  # the card failed, then
        event(a.payment_id, AMOUNTS[0], n=52),  # a retry succeeded: paid, unmatched
        event(b.payment_id, AMOUNTS[1], n=53),
    ]
    assert await stripe_events.apply_stripe_events(bodies) == ["failed", "paid", "paid"]
    row = await donations.get_donation(a.donation_id)
    assert (row["status"], row["match_status"]) == ("paid", "released")
    assert (await run_checks()).ok
