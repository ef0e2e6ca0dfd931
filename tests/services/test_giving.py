"""The 360Giving package: sponsorships, matches and paid tranches as valid grants."""

from __future__ import annotations

from market.sql import execute
from opendata import giving
from tests.bid_builders import contracted
from tests.opendata_builders import fen, funded_process, pay_first_tranche, uscc_of
from tests.opendata_schemas import giving_errors


async def test_sponsorship_match_and_tranche_are_grants_in_a_valid_package(frozen_clock):
    scenario, sponsor_org, matcher_org = await funded_process(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    first = await pay_first_tranche(scenario, contract_id)

    package = await giving.grants_package()
    assert giving_errors(package) == []
    grants = {g["id"]: g for g in package["grants"]}
    contribution = (
        await execute(
            "SELECT id, amount FROM donors_contribution WHERE tender = {}", scenario.tender_id
        )
    )[0]
    donation = (
        await execute(
            "SELECT id, match_amount FROM donors_donation WHERE tender = {}", scenario.tender_id
        )
    )[0]
    sponsorship = grants[f"360G-pgm001-sponsorship-{contribution['id']}"]
    match = grants[f"360G-pgm001-match-{donation['id']}"]
    tranche = grants[f"360G-pgm001-tranche-{first['id']}"]

    assert fen(sponsorship["amountAwarded"]) == contribution["amount"] == 30_000_00
    assert sponsorship["fundingOrganization"][0]["id"] == f"CN-USCI-{await uscc_of(sponsor_org)}"
    assert fen(match["amountAwarded"]) == donation["match_amount"] > 0
    assert match["fundingOrganization"][0]["id"] == f"CN-USCI-{await uscc_of(matcher_org)}"
    winner = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner_id = f"CN-USCI-{await uscc_of(winner['organization'])}"
    escrow_id = f"360G-pgm001-escrow-{scenario.tender_id}"
    for grant in (sponsorship, match):  # given before the contract: a re-grant to the escrow
        assert grant["recipientOrganization"][0]["id"] == escrow_id
        assert grant["regrantType"] == "FRG040"
    assert tranche["recipientOrganization"][0]["id"] == winner_id  # the organization paid
    assert "regrantType" not in tranche
    for grant in (sponsorship, match, tranche):
        assert grant["currency"] == "CNY"
        assert grant["relatedActivity"] == [f"ocds-pgm001-{scenario.tender_id}"]

    # The tranche: its disbursements are the ledger's release transfers, to the fen.
    transfers = await execute(
        "SELECT key, amount, source FROM ledger_transfer WHERE reason = 'release'"
        " AND reference = {}",
        f"milestone:{first['id']}",
    )
    assert {t["id"]: fen(t["value"]) for t in tranche["disbursementTransaction"]} == {
        r["key"]: int(r["amount"]) for r in transfers
    }
    assert fen(tranche["amountAwarded"]) == fen(tranche["amountDisbursed"]) == first["amount"]
    department = f"CN-USCI-{await uscc_of(scenario.department.id)}"
    assert tranche["fundingOrganization"][0]["id"] == department
    funded_by = {o["id"] for o in tranche["fundingOrganization"]}
    sources = {str(r["source"]) for r in transfers}
    if "foundation" in sources:
        assert f"CN-USCI-{await uscc_of(sponsor_org)}" in funded_by
    if sources - {"government"}:  # pooled money was paid from the escrow fund
        assert escrow_id in funded_by
    providers = {t["provider"] for t in tranche["disbursementTransaction"]}
    assert providers <= {department, escrow_id}


async def test_without_grants_the_package_is_an_honest_empty_state():
    package = await giving.grants_package()
    assert package["grants"] == []
    assert package["version"] == "1.4" and package["license"]
