"""Everything the demo district publishes validates, and the bulk export writes it."""

from __future__ import annotations

import json
from collections import Counter

from market.sql import execute
from market.timestamps import timestamp
from opendata import cli, giving
from opendata.ocds import packages
from opendata.ocds.rules import iso
from tests.opendata_builders import granted_to, ledger_gave
from tests.opendata_schemas import giving_errors, ocds_errors
from tests.services.test_ocds_funding import (
    assert_source_parties_have_the_role,
    tag_shows_its_content,
)


async def test_the_demo_publishes_valid_ocds_and_360giving(demo_district, tmp_path):
    rows = await execute("SELECT tag, tender_id, body FROM ocds_release ORDER BY id")
    tags = Counter(str(r["tag"]) for r in rows)
    assert tags["tender"] >= 3 and tags["award"] >= 1 and tags["implementation"] >= 1
    deadlines = {
        int(r["id"]): iso(timestamp(r["bid_deadline"]))
        for r in await execute("SELECT id, bid_deadline FROM market_tender")
    }
    early = 0
    for row in rows:  # nothing about bids in a release dated before the bid deadline
        body = json.loads(row["body"])
        if body["date"] < deadlines[int(row["tender_id"])]:
            early += 1
            assert "tenderers" not in body["tender"] and "numberOfTenderers" not in body["tender"]
            assert "awards" not in body and "contracts" not in body
    assert early >= 3

    # What each release's tag says, its content shows (an award release an award with a
    # supplier, a contract release a contract, an implementation release a
    # transaction), and every budget line's source party carries the sourceParty role.
    bodies = [json.loads(r["body"]) for r in rows]
    assert [b["id"] for b in bodies if not tag_shows_its_content(b)] == []
    for body in bodies:
        assert_source_parties_have_the_role(body)

    package = await packages.releases_package(limit=1000)
    assert len(package["releases"]) == len(rows)
    assert ocds_errors(package, "release") == []
    ocids = await packages.ocids()
    assert ocids
    for ocid in ocids:
        record = await packages.record_package(ocid)
        assert record is not None
        assert ocds_errors(record, "record") == [], ocid

    grants = await giving.grants_package()
    assert grants["grants"]
    assert giving_errors(grants) == []
    kinds = Counter(g["id"].split("-")[2] for g in grants["grants"])
    assert kinds["sponsorship"] and kinds["tranche"]
    # No fen counted twice: the grants to each organization add up to what the ledger
    # released to it, those to each project's escrow fund to what sponsors and pledges
    # put into it.
    assert granted_to(grants["grants"]) == await ledger_gave()

    index = await cli.export(tmp_path)
    assert index["releases"] == len(rows)
    assert len(index["records"]) == len(ocids)
    exported = json.loads((tmp_path / index["releasePackages"][0]).read_text("utf-8"))
    assert ocds_errors(exported, "release") == []
    first_record = json.loads((tmp_path / index["records"][0]).read_text("utf-8"))
    assert ocds_errors(first_record, "record") == []
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    again = await cli.export(tmp_path)  # idempotent: the same files, the same content
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json")) == files
    assert again["records"] == index["records"] and again["releases"] == index["releases"]
