"""A contracted project with every kind of supporter, built through the real services
(tests of project updates): a donor with an account (English), a guest donor who left
an address (and one who did not, and one whose card was declined), a sponsor company
with two members, and a pledge sponsor whose match went to a donation here; plus the
contracted organization's member, the department and an outsider organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from donors import contributions, donations
from market import clock
from market.money import Money
from market.sql import execute
from market.tables import Tender
from tests.bid_builders import Bidder, Scenario, contracted, make_bidder, tender_with_bids
from tests.builders import make_member, make_user
from tests.donation_builders import make_pledge, make_sponsor

GUEST = "Guest.Donor@Example.org"


@dataclass
class Supported:
    scenario: Scenario
    tender_id: int
    contract_id: int
    winner: Bidder
    donor: int  # an account donor (English)
    sponsor_members: tuple[int, int]  # the sponsoring company's two members
    pledge_members: tuple[int, ...]  # the pledge sponsor's member(s)
    outsider: Bidder  # a verified social organization that did not win


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def supported_project(fc: clock.FrozenClock) -> Supported:
    scenario = await tender_with_bids(fc)
    tid = scenario.tender_id
    fc.set(scenario.deadline - timedelta(days=3))
    pledge = await make_pledge(tender_ids=frozenset({tid}), per_donation_cap=100_00)
    donor = await make_user("donor-en@example.org", locale="en")
    await donations.start_donation(
        tender_id=tid, amount=cny(200_00), provider="sandbox", donor_id=donor
    )
    await donations.start_donation(
        tender_id=tid, amount=cny(50_00), provider="sandbox", email=GUEST, lang="en"
    )
    await donations.start_donation(tender_id=tid, amount=cny(30_00), provider="sandbox")
    await donations.start_donation(
        tender_id=tid,
        amount=cny(40_00),
        provider="sandbox",
        email="declined@example.org",
        sandbox_outcome="decline",
    )
    user, company = await make_sponsor()
    colleague = await make_user()
    await make_member(colleague, company)
    await contributions.contribute(
        kind="sponsorship", tender_id=tid, organization_id=company, organization_kind="company",
        user_id=user, amount=cny(5_000_00), provider="sandbox",
    )  # fmt: skip
    pledge_sponsor = await execute(
        'SELECT m."user" AS uid FROM donors_pledge p JOIN market_membership m'
        " ON m.organization = p.sponsor WHERE p.id = {}",
        pledge,
    )
    contract_id = await contracted(fc, scenario)
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    return Supported(
        scenario,
        tid,
        contract_id,
        winner,
        donor,
        (user, colleague),
        tuple(int(r["uid"]) for r in pledge_sponsor),
        await make_bidder("未中标机构"),
    )


async def make_sandbox(tender_id: int) -> None:
    """Turn a tender into a sandbox (training) one: off the open data from now on."""
    await Tender.update({Tender.acceleration: 60}).where(Tender.id == tender_id)
