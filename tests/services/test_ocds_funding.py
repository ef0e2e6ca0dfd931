"""The published budget follows the ledger: funding changes publish batched releases,
cancelled and unsuccessful processes show what the ledger shows, and every
budgetBreakdown.sourceParty has the sourceParty role. Driven through the real services."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from donors import donations, settlement
from market import clock
from market.audit import AuditRecord
from market.ledger.readmodels import tender_funding
from market.money import Money
from market.sql import execute
from market.tenders import services
from opendata.ocds import funding, packages
from tests.donation_builders import make_pledge
from tests.opendata_builders import fen, funded_process, releases_of
from tests.opendata_schemas import ocds_errors
from tests.tender_builders import make_department, make_tender

NOTHING = {"published": 0, "unchanged": 0, "waiting": 0}


async def ledger_budget(tender_id: int) -> dict[str, int]:
    """Per source, what the ledger says the project has: received less returned, plus
    what is promised into escrow (the department's budget hold)."""
    found = await tender_funding(tender_id)
    lines = {
        source: line.received.amount - line.refunded.amount + line.pending_in.amount
        for source, line in found.sources.items()
    }
    return {source: amount for source, amount in lines.items() if amount}


def published_budget(release: dict[str, Any]) -> dict[str, int]:
    budget = release["planning"]["budget"]
    lines = {b["id"]: fen(b["amount"]["amount"]) for b in budget["budgetBreakdown"]}
    assert fen(budget["amount"]["amount"]) == sum(lines.values())
    return lines


def assert_source_parties_have_the_role(release: dict[str, Any]) -> None:
    roles = {p["id"]: set(p["roles"]) for p in release["parties"]}
    for line in release["planning"]["budget"]["budgetBreakdown"]:
        assert "sourceParty" in roles[line["sourceParty"]["id"]], line


async def donate(tender_id: int, yuan: int) -> None:
    await donations.start_donation(
        tender_id=tender_id, amount=Money(yuan * 100, "CNY"), provider="sandbox"
    )


async def test_a_donation_surge_publishes_one_budget_release_per_process_per_minute(
    frozen_clock,
):
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    other = await make_tender(department, status="published")
    for _ in range(5):
        await donate(tender_id, 100)
    await donate(other, 50)
    now = clock.now()

    assert await funding.publish_dirty(now) == {**NOTHING, "published": 2}
    releases = await releases_of(tender_id)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"]]
    assert published_budget(releases[-1]) == await ledger_budget(tender_id)
    assert published_budget(releases[-1])["public"] == 500_00
    assert_source_parties_have_the_role(releases[-1])

    for _ in range(3):  # the surge goes on within the minute: no release yet
        await donate(tender_id, 10)
    assert await funding.publish_dirty(now + timedelta(seconds=30)) == {**NOTHING, "waiting": 1}
    assert len(await releases_of(tender_id)) == 2
    assert await funding.publish_dirty(now + timedelta(seconds=61)) == {**NOTHING, "published": 1}
    releases = await releases_of(tender_id)
    assert [r["tag"] for r in releases][-1] == ["tenderUpdate"]
    assert published_budget(releases[-1]) == await ledger_budget(tender_id)
    assert published_budget(releases[-1])["public"] == 530_00
    assert len({r["id"] for r in releases}) == len(releases)

    assert await funding.publish_dirty(now + timedelta(minutes=5)) == NOTHING  # all folded
    package = await packages.releases_package(ocid=f"ocds-pgm001-{tender_id}")
    assert ocds_errors(package, "release") == []


async def test_a_match_reserved_for_a_bank_transfer_reaches_the_budget(frozen_clock):
    """The match promised to a donation still awaiting its bank transfer is in the
    budget (promised into escrow): its reservation is audited, so the job folds it."""
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await make_pledge(tender_ids=frozenset({tender_id}))
    assert (await funding.publish_dirty(clock.now()))["published"] == 0
    started = await donations.start_donation(
        tender_id=tender_id, amount=Money(300_00, "CNY"), provider="bank_transfer"
    )
    assert started.status == "pending" and started.match.amount == 300_00
    assert (await funding.publish_dirty(clock.now()))["published"] == 1
    last = (await releases_of(tender_id))[-1]
    assert published_budget(last) == await ledger_budget(tender_id)
    assert published_budget(last)["corporate"] == 300_00  # promised, not yet posted


async def test_sponsorships_and_matches_reach_the_budget_through_the_job(frozen_clock):
    scenario, _, _ = await funded_process(frozen_clock)
    tender_id = scenario.tender_id
    before = await releases_of(tender_id)
    assert published_budget(before[-1]) != await ledger_budget(tender_id)  # not yet shown

    assert (await funding.publish_dirty(clock.now()))["published"] == 1
    last = (await releases_of(tender_id))[-1]
    assert last["tag"] == ["tenderUpdate"]
    assert published_budget(last) == await ledger_budget(tender_id)
    assert {"government", "foundation", "corporate", "public"} <= set(published_budget(last))
    assert_source_parties_have_the_role(last)


async def test_a_budget_already_shown_publishes_nothing(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await donate(tender_id, 100)
    # A state change publishes first and already shows the donation …
    await services.cancel_tender(user_id=department.user_id, tender_id=tender_id, reason="x")
    releases = await releases_of(tender_id)
    assert published_budget(releases[-1]) == await ledger_budget(tender_id)
    # … so the job finds nothing new to say.
    counts = await funding.publish_dirty(clock.now())
    assert counts == {**NOTHING, "unchanged": 1}
    assert len(await releases_of(tender_id)) == len(releases)


async def test_a_money_event_committing_after_the_fold_is_folded_whatever_its_id(frozen_clock):
    """Event ids are handed out at append, not in commit order: an event appended before
    the one the fold published (a lower id) may commit after it, and must still count."""
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await donate(tender_id, 100)
    now = clock.now()
    assert (await funding.publish_dirty(now))["published"] == 1
    assert await funding.publish_dirty(now + timedelta(minutes=2)) == NOTHING  # clean
    [mark] = await execute(
        "SELECT event FROM ocds_funding_mark WHERE tender_id = {}", int(tender_id)
    )
    late = AuditRecord(
        int(mark["event"]) - 1, now, "system", "escrow.fund", "tender", str(tender_id), "{}"
    )
    await funding.mark(late)
    assert await funding.publish_dirty(now + timedelta(minutes=2)) == {**NOTHING, "unchanged": 1}


async def test_a_cancelled_process_shows_the_voided_budget_and_then_the_refunds(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await donate(tender_id, 300)
    assert (await funding.publish_dirty(clock.now()))["published"] == 1
    assert "government" in published_budget((await releases_of(tender_id))[-1])

    await services.cancel_tender(user_id=department.user_id, tender_id=tender_id, reason="x")
    cancellation = (await releases_of(tender_id))[-1]
    assert cancellation["tag"] == ["tenderCancellation"]
    assert published_budget(cancellation) == await ledger_budget(tender_id) == {"public": 300_00}

    await settlement.settle_all()  # the donations go back to the donors
    later = clock.now() + timedelta(minutes=2)
    assert (await funding.publish_dirty(later))["published"] == 1
    last = (await releases_of(tender_id))[-1]
    assert last["tag"] == ["tenderUpdate"] and last["tender"]["status"] == "cancelled"
    assert published_budget(last) == await ledger_budget(tender_id) == {}  # nothing held
    record = await packages.record_package(f"ocds-pgm001-{tender_id}")
    assert record is not None and ocds_errors(record, "record") == []
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["planning"]["budget"]["amount"]["amount"] == 0


async def test_an_unsuccessful_process_no_longer_shows_the_government_budget(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="unsuccessful")  # too few bids
    releases = await releases_of(tender_id)
    assert "government" in published_budget(releases[0])
    last = releases[-1]
    assert last["tag"] == ["tenderUpdate"] and last["tender"]["status"] == "unsuccessful"
    assert published_budget(last) == await ledger_budget(tender_id) == {}


def tag_shows_its_content(release: dict[str, Any]) -> bool:
    """An award release has an award, a contract release a contract, an implementation
    release a transaction, a cancellation a cancelled tender."""
    tag = release["tag"][0]
    contracts = release.get("contracts", [])
    if tag == "award":
        return any(a["status"] == "active" and a["suppliers"] for a in release.get("awards", []))
    if tag in ("contract", "contractTermination"):
        return bool(contracts)
    if tag == "implementation":
        return any(c["implementation"]["transactions"] for c in contracts)
    if tag == "tenderCancellation":
        return release["tender"]["status"] == "cancelled"
    return "tender" in release


async def test_every_release_of_a_real_process_shows_what_its_tag_says(frozen_clock):
    from tests.bid_builders import contracted
    from tests.opendata_builders import pay_first_tranche

    scenario, _, _ = await funded_process(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    await pay_first_tranche(scenario, contract_id)
    await funding.publish_dirty(clock.now())
    department = await make_department()
    cancelled = await make_tender(department, status="cancelled")
    releases = [*await releases_of(scenario.tender_id), *await releases_of(cancelled)]
    tags = {r["tag"][0] for r in releases}
    assert {"award", "contract", "implementation", "tenderCancellation"} <= tags
    assert [r["id"] for r in releases if not tag_shows_its_content(r)] == []
    for release in releases:
        assert_source_parties_have_the_role(release)


async def test_after_the_job_every_demo_process_shows_the_ledgers_budget(demo_district):
    import json

    from market.sql import execute

    # the demo's history ran the job too: at most a minute's changes are left
    await funding.publish_dirty(clock.now() + funding.MIN_GAP)  # the worker's next run
    tender_ids = [
        int(r["tender_id"]) for r in await execute("SELECT DISTINCT tender_id FROM ocds_release")
    ]
    assert tender_ids
    wrong = []
    for tender_id in tender_ids:
        latest = await execute(
            "SELECT body FROM ocds_release WHERE tender_id = {} ORDER BY id DESC LIMIT 1",
            tender_id,
        )
        release = json.loads(latest[0]["body"])
        assert_source_parties_have_the_role(release)
        if published_budget(release) != await ledger_budget(tender_id):
            wrong.append(tender_id)
    assert wrong == []


@pytest.mark.postgres_only
async def test_the_job_runs_beside_a_donation_surge_and_ends_on_the_ledger(fresh_db: None):
    tender_id = await make_tender(await make_department(), status="published")
    start = clock.now()

    async def surge() -> None:
        await asyncio.gather(*(donate(tender_id, 20) for _ in range(40)))

    async def jobs() -> list[dict[str, int]]:
        runs = []
        for i in range(5):
            runs.append(await funding.publish_dirty(start + timedelta(seconds=10 * i)))
            await asyncio.sleep(0.01)
        return runs

    _, runs = await asyncio.gather(surge(), jobs())
    assert sum(r["published"] for r in runs) <= 1  # all within one minute
    await funding.publish_dirty(start + timedelta(minutes=2))
    latest = (await releases_of(tender_id))[-1]
    assert published_budget(latest) == await ledger_budget(tender_id)
    assert published_budget(latest)["public"] == 40 * 20_00
