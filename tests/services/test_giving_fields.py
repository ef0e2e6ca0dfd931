"""360Giving usefulness: every grant says when it changed, where its data comes from,
when the work runs (the contract's planned period; nothing before there is a
contract), what it is about, where its beneficiaries are (with division codes) and who
the recipient is; money given to a project goes to its escrow fund (a re-grant) before
the contract and after it, tranches to the organization paid — so the grants to each
recipient add up to what the ledger says reached it, no fen counted twice."""

from __future__ import annotations

import re
from typing import Any

from market import clock
from market.sql import execute
from opendata import giving, giving_rules
from tests.bid_builders import contracted
from tests.opendata_builders import (
    funded_process,
    granted_to,
    ledger_gave,
    pay_first_tranche,
    sponsor,
    uscc_of,
)
from tests.opendata_schemas import giving_errors
from tests.tender_builders import make_department, make_tender

CODE = re.compile(r"^330199([0-9]{3})?$")


def assert_useful(grant: dict[str, Any], *, contracted: bool = True) -> None:
    assert grant["dateModified"].endswith("Z")
    assert grant["dataSource"].endswith(f"/ocds/records/{grant['relatedActivity'][0]}.json")
    if contracted:
        assert grant["plannedDates"][0]["startDate"] and grant["plannedDates"][0]["endDate"]
    else:  # no planned period yet: nothing rather than something wrong
        assert grant["plannedDates"] == []
    assert grant["classifications"][0]["vocabulary"] == giving_rules.CATEGORY_VOCABULARY
    places = grant["beneficiaryLocation"]
    assert places[-1]["geoCode"] == giving_rules.DISTRICT_CODE
    assert all(CODE.match(p["geoCode"]) and p["countryCode"] == "CN" for p in places)
    recipient = grant["recipientOrganization"][0]
    assert recipient["organisationType"] and recipient["addressCountry"] == "CN"
    assert recipient["url"].startswith("http")


async def test_every_grant_carries_the_useful_fields_and_goes_to_who_got_the_money(
    frozen_clock,
):
    scenario, _, _ = await funded_process(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    await pay_first_tranche(scenario, contract_id)
    late_sponsor = await sponsor(scenario.tender_id, 5_000_00)  # after the contract was signed
    uncontracted = await make_tender(await make_department(), status="published")
    await sponsor(uncontracted, 2_000_00, "foundation")  # to a project with no contract yet
    package = await giving.grants_package()
    assert giving_errors(package) == []
    for grant in package["grants"]:
        assert_useful(grant, contracted=grant["relatedActivity"] != [f"ocds-pgm001-{uncontracted}"])
    winner = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner_id = f"CN-USCI-{await uscc_of(winner['organization'])}"
    late = [
        g
        for g in package["grants"]
        if g["fundingOrganization"][0]["id"] == f"CN-USCI-{await uscc_of(late_sponsor)}"
    ]
    # into the escrow fund, like the money given before the contract: the organization
    # gets it in a tranche, which is the grant to the organization
    escrow_id = f"360G-pgm001-escrow-{scenario.tender_id}"
    assert len(late) == 1 and late[0]["recipientOrganization"][0]["id"] == escrow_id
    assert late[0]["regrantType"] == giving_rules.REGRANT_TYPE
    assert granted_to(package["grants"]) == await ledger_gave()
    tranche = next(g for g in package["grants"] if "-tranche-" in g["id"])
    recipient = tranche["recipientOrganization"][0]
    assert recipient["id"] == winner_id and recipient["location"]
    contract = (await execute("SELECT starts FROM bids_contract WHERE id = {}", contract_id))[0]
    assert tranche["plannedDates"][0]["startDate"].startswith(str(contract["starts"])[:10])
    assert tranche["dateModified"] <= clock.now().isoformat().replace("+00:00", "Z")


def test_street_and_district_codes_are_well_formed_and_those_of_the_demo_district():
    from market.demo_data import DIVISION, STREETS

    assert giving_rules.DISTRICT_CODE == DIVISION
    assert set(giving_rules.STREET_CODES) == set(STREETS)
    for code in giving_rules.STREET_CODES.values():
        assert CODE.match(code) and len(code) == 9 and 1 <= int(code[6:]) <= 99
    places = giving_rules.locations("湖滨街道·柳岸社区")
    assert [p["geoCode"] for p in places] == ["330199001", "330199"]
    assert places[0]["description"] == "柳岸社区"
    assert [p["geoCode"] for p in giving_rules.locations("")] == ["330199"]
    assert [p["geoCode"] for p in giving_rules.locations("别处")] == ["330199"]
