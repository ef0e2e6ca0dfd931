"""The data migration for contracts terminated before the `terminated` tender status:
their tenders, left `contracted`, move to `terminated` with a revision; nothing else moves."""

from __future__ import annotations

import importlib

from market import clock
from market.sql import execute
from tests.bid_builders import contracted, tender_with_bids

MIGRATION = importlib.import_module("bids.piccolo_migrations.bids_2026_11_29t19_38_00_000000")


async def status_of(tender_id: int) -> str:
    rows = await execute("SELECT status FROM market_tender WHERE id = {}", tender_id)
    return str(rows[0]["status"])


async def test_tenders_left_contracted_by_a_terminated_contract_become_terminated(frozen_clock):
    legacy = await tender_with_bids(frozen_clock)
    legacy_contract = await contracted(frozen_clock, legacy)
    ongoing = await tender_with_bids(frozen_clock)
    await contracted(frozen_clock, ongoing)
    ended = clock.now()
    # What terminate_contract wrote before the kernel had the status: the contract only.
    await execute(
        "UPDATE bids_contract SET status = 'terminated', ended_at = {},"
        " termination_reason = {} WHERE id = {}",
        ended,
        "Provider withdrew",
        legacy_contract,
    )
    version = (await execute("SELECT version FROM market_tender WHERE id = {}", legacy.tender_id))[
        0
    ]["version"]
    assert await status_of(legacy.tender_id) == "contracted"

    await MIGRATION._terminated_tenders()

    row = (await execute("SELECT * FROM market_tender WHERE id = {}", legacy.tender_id))[0]
    assert (row["status"], row["cancel_reason"]) == ("terminated", "Provider withdrew")
    assert row["version"] == version + 1
    revisions = await execute(
        "SELECT actor, from_status, to_status, note FROM market_tender_revision"
        " WHERE tender = {} AND action = 'terminate'",
        legacy.tender_id,
    )
    assert [dict(r) for r in revisions] == [
        {
            "actor": "system:migration",
            "from_status": "contracted",
            "to_status": "terminated",
            "note": "Provider withdrew",
        }
    ]
    assert await status_of(ongoing.tender_id) == "contracted"  # its contract is in force

    await MIGRATION._terminated_tenders()  # again: nothing left to move
    again = await execute(
        "SELECT COUNT(*) AS n FROM market_tender_revision WHERE tender = {} AND action = {}",
        legacy.tender_id,
        "terminate",
    )
    assert int(again[0]["n"]) == 1
