"""An organization's public track record after a real lifecycle: sealed bids stay
out of it, milestones are judged against their due dates in the district's calendar,
and funds received by source are exactly the ledger's releases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bids import milestones
from bids.tables import Complaint
from donors import donations
from market import clock
from market.errors import NotFound
from market.ledger.readmodels import tender_funding
from market.ledger.rules import SOURCES
from market.money import Money
from market.sql import execute
from opendata.statistics import track_record
from opendata.statistics.rules import DISTRICT_ZONE
from tests.bid_builders import Scenario, add_approver, contracted, tender_with_bids
from tests.builders import make_org, make_user
from tests.donation_builders import make_pledge


def local_morning(day) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(10, 0), tzinfo=DISTRICT_ZONE).astimezone(UTC)


async def completed_with_one_late_milestone(frozen_clock) -> tuple[Scenario, int, int]:  # type: ignore[no-untyped-def]
    """Donation + match, contract of two milestones: the first approved on its due
    day, the second three days after its due day. Returns (scenario, contract, winner org)."""
    scenario = await tender_with_bids(frozen_clock)
    await make_pledge(ratio=(1, 1), per_donation_cap=500_00)
    await donations.start_donation(
        tender_id=scenario.tender_id, amount=Money(3_000_00, "CNY"), provider="sandbox"
    )
    contract_id = await contracted(frozen_clock, scenario)
    approver = await add_approver(scenario)
    winner_org = int(
        (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0][
            "organization"
        ]
    )
    winner = next(b for b in scenario.bidders if b.org_id == winner_org)
    rows = await execute(
        "SELECT id, due FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    for row, late_days in zip(rows, (0, 3), strict=True):
        due = (
            row["due"]
            if not isinstance(row["due"], str)
            else datetime.fromisoformat(row["due"]).date()
        )
        frozen_clock.set(local_morning(due + timedelta(days=late_days)) - timedelta(hours=1))
        await milestones.submit_evidence(
            user_id=winner.user_id, milestone_id=row["id"], note="Done"
        )
        frozen_clock.set(local_morning(due + timedelta(days=late_days)))
        await milestones.approve_milestone(user_id=approver, milestone_id=row["id"])
    return scenario, contract_id, winner_org


async def test_sealed_bids_are_not_in_the_record_before_opening(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    for bidder in scenario.bidders:
        record = await track_record.organization_record(bidder.org_id)
        assert record.bids_opened == 0
        assert record.contracts_won == 0
        page = await track_record.organization_contracts(bidder.org_id)
        assert page.lines == []


async def test_completed_contract_counts_on_time_and_late_milestones(frozen_clock):
    scenario, _contract_id, winner_org = await completed_with_one_late_milestone(frozen_clock)
    record = await track_record.organization_record(winner_org)
    assert record.contracts_won == record.contracts_completed == 1
    assert record.contracts_active == record.contracts_terminated == 0
    assert record.contracted == [Money(15_000_000, "CNY")]
    assert record.bids_opened == 1
    m = record.milestones
    assert (m.total, m.approved, m.on_time, m.late, m.not_met, m.open) == (2, 2, 1, 1, 0, 0)
    assert m.on_time_percent == 50
    loser = next(b for b in scenario.bidders if b.org_id != winner_org)
    other = await track_record.organization_record(loser.org_id)
    assert other.bids_opened == 1 and other.contracts_won == 0 and other.funds == []


async def test_funds_received_by_source_equal_the_ledger(frozen_clock):
    scenario, _contract_id, winner_org = await completed_with_one_late_milestone(frozen_clock)
    record = await track_record.organization_record(winner_org)
    received = {f.source: f.amount.amount for f in record.funds}
    # Straight from the transfers into the organization's payable account …
    rows = await execute(
        "SELECT t.source, SUM(t.amount) AS total FROM ledger_transfer t"
        " JOIN ledger_account a ON a.id = t.credit_account WHERE a.code = {} GROUP BY t.source",
        f"org:{winner_org}:payable",
    )
    assert received == {r["source"]: int(r["total"]) for r in rows}
    # … and from the tender's escrow read model: every released fen went to the winner.
    funding = await tender_funding(scenario.tender_id)
    assert received == {
        s: funding.sources[s].released.amount for s in SOURCES if funding.sources[s].released.amount
    }
    assert set(received) == {"government", "public", "corporate"}
    assert received["public"] == 3_000_00 and received["corporate"] == 500_00
    assert record.funds_total == [Money(15_000_000, "CNY")]
    account = await execute(
        "SELECT credits_posted FROM ledger_account WHERE code = {}", f"org:{winner_org}:payable"
    )
    assert sum(received.values()) == int(account[0]["credits_posted"])


async def test_contract_list_is_keyset_paged(frozen_clock):
    _, contract_id, winner_org = await completed_with_one_late_milestone(frozen_clock)
    page = await track_record.organization_contracts(winner_org, limit=1)
    assert [line.id for line in page.lines] == [contract_id]
    assert page.next_before is None
    line = page.lines[0]
    assert (line.milestones, line.approved, line.released) == (2, 2, Money(15_000_000, "CNY"))
    assert (await track_record.organization_contracts(winner_org, before=contract_id)).lines == []


async def test_resolved_complaints_are_counted_for_both_sides(frozen_clock):
    scenario, contract_id, winner_org = await completed_with_one_late_milestone(frozen_clock)
    award = (await execute("SELECT award FROM bids_contract WHERE id = {}", contract_id))[0][
        "award"
    ]
    loser = next(b for b in scenario.bidders if b.org_id != winner_org)
    for status in ("upheld", "dismissed", "dismissed", "filed"):
        await Complaint.insert(
            Complaint(
                tender=scenario.tender_id,
                award=award,
                organization=loser.org_id,
                filed_by=loser.user_id,
                text="The price was abnormally low.",
                status=status,
                filed_at=clock.now(),
            )
        )
    winner = await track_record.organization_record(winner_org)
    assert (winner.complaints_against.upheld, winner.complaints_against.dismissed) == (1, 2)
    assert (winner.complaints_filed.upheld, winner.complaints_filed.dismissed) == (0, 0)
    filer = await track_record.organization_record(loser.org_id)
    assert (filer.complaints_filed.upheld, filer.complaints_filed.dismissed) == (1, 2)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("social_org", "pending"),
        ("social_org", "rejected"),
        ("department", "verified"),
        ("company", "verified"),
    ],
)
async def test_no_public_record_for_unlisted_organizations(kind, status):
    org = await make_org(kind=kind, status=status, category="" if kind != "social_org" else None)
    with pytest.raises(NotFound):
        await track_record.organization_record(org)
    with pytest.raises(NotFound):
        await track_record.organization_contracts(org)


async def test_an_unknown_organization_has_no_record():
    with pytest.raises(NotFound):
        await track_record.organization_record(987_654)


async def test_a_suspended_organization_keeps_its_public_record():
    user = await make_user()
    org = await make_org(status="suspended", admin=user, rating="3A")
    record = await track_record.organization_record(org)
    assert record.org["status"] == "suspended" and record.org["rating"] == "3A"
    assert "contact_email" not in record.org
