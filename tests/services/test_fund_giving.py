"""Community funds in the 360Giving package: a fund's grant with the fund as funder (its
own org-id from the community's code), disbursed exactly what the ledger released; a
company's sponsorship of the fund as a re-grant to it — all valid against the schema."""

from __future__ import annotations

from funds import decisions, gifts, grants
from market.money import Money
from market.sql import execute
from opendata import giving
from tests.donation_builders import make_sponsor
from tests.fund_builders import (
    declare_and_score,
    give,
    make_fund,
    open_call,
    open_proposals,
    propose,
    vote_all,
)
from tests.opendata_builders import fen, uscc_of
from tests.opendata_schemas import giving_errors


async def test_a_funds_grant_and_sponsorship_are_valid_360giving_grants(frozen_clock):
    world = await make_fund()
    code = (await execute("SELECT code FROM market_place WHERE id = {}", world.place_id))[0]["code"]
    user, company = await make_sponsor("company")
    sponsored = await gifts.start_gift(
        fund_id=world.fund_id, amount=Money(20_000_00, "CNY"), provider="sandbox",
        donor_id=user, sponsor_id=company,
    )  # fmt: skip
    await give(world, 5_000_00, display_name="王阿姨")
    await open_call(frozen_clock, world, pot="20000.00", cap="12000.00")
    await propose(world, "9000.00")
    await open_proposals(frozen_clock, world)
    await declare_and_score(world, world.members, recused=world.members[2])
    await vote_all(world, {world.members[0]: ["yes"], world.members[1]: ["yes"]})
    [grant_id] = await decisions.decide(user_id=world.chair, tender_id=world.tender_id)
    [first, _] = await execute(
        "SELECT id, amount FROM funds_tranche WHERE grant_id = {} ORDER BY position", grant_id
    )
    grantee = world.bidders[0]
    await grants.submit_report(user_id=grantee.user_id, tranche_id=first["id"], report="开始")
    await grants.approve_tranche(user_id=world.members[1], tranche_id=first["id"])

    package = await giving.grants_package()
    assert giving_errors(package) == []
    by_id = {g["id"]: g for g in package["grants"]}
    fund_id = f"360G-pgm001-fund-{code}"
    grant = by_id[f"360G-pgm001-fundgrant-{grant_id}"]
    assert [f["id"] for f in grant["fundingOrganization"]] == [fund_id]
    assert grant["fundingOrganization"][0]["organisationType"] == "社区基金 Community fund"
    recipient = grant["recipientOrganization"][0]["id"]
    assert recipient == f"CN-USCI-{await uscc_of(grantee.org_id)}"
    assert fen(grant["amountAwarded"]) == 9_000_00
    released = await execute(
        "SELECT key, amount FROM ledger_transfer WHERE reason = 'release' AND reference = {}",
        f"fund_tranche:{first['id']}",
    )
    assert {t["id"]: fen(t["value"]) for t in grant["disbursementTransaction"]} == {
        r["key"]: int(r["amount"]) for r in released
    }
    assert fen(grant["amountDisbursed"]) == int(first["amount"]) == 4_500_00
    assert grant["relatedActivity"] == [f"ocds-pgm001-{world.tender_id}"]
    assert grant["beneficiaryLocation"][0]["description"] == "湖畔社区"

    sponsorship = by_id[f"360G-pgm001-fundgift-{sponsored.gift_id}"]
    assert sponsorship["recipientOrganization"][0]["id"] == fund_id
    assert sponsorship["regrantType"] == "FRG040"
    assert sponsorship["fundingOrganization"][0]["id"] == f"CN-USCI-{await uscc_of(company)}"
    assert fen(sponsorship["amountAwarded"]) == 20_000_00
    # a resident's gift is no organization's grant
    assert not [g for g in package["grants"] if "王阿姨" in str(g)]


async def test_a_calls_grants_are_its_awards_and_contracts_in_ocds(frozen_clock):
    from opendata.ocds import packages
    from tests.opendata_schemas import ocds_errors
    from tests.services.test_ocds_funding import tag_shows_its_content

    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(frozen_clock, world, pot="20000.00", cap="12000.00")
    await propose(world, "9000.00", "8000.00")
    await open_proposals(frozen_clock, world)
    await declare_and_score(world, world.members)
    ballots = {m: ["yes", "yes"] for m in world.members}
    await vote_all(world, ballots)
    await decisions.decide(user_id=world.chair, tender_id=world.tender_id)
    record = await packages.record_package(f"ocds-pgm001-{world.tender_id}")
    assert record is not None and ocds_errors(record, "record") == []
    releases = record["records"][0]["releases"]
    assert all(tag_shows_its_content(r) for r in releases)
    compiled = record["records"][0]["compiledRelease"]
    suppliers = {s["id"] for a in compiled["awards"] for s in a["suppliers"]}
    assert suppliers == {f"CN-USCI-{await uscc_of(b.org_id)}" for b in world.bidders}
    assert len(compiled["contracts"]) == 2
    [buyer] = [p for p in compiled["parties"] if "buyer" in p["roles"]]
    assert buyer["id"].startswith("FUND-") and "identifier" not in buyer
