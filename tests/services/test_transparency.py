"""The project read models equal the ledger: funding per source against sums over
ledger_transfer and `tender_funding`, tranches against the release transfers, the
transfer pages and the export against the tender's transfers; the ledger check holds."""

from __future__ import annotations

import pytest

from market.errors import NotFound
from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding, tender_transfers
from market.ledger.rules import SOURCES
from market.sql import execute
from opendata import transparency
from tests.tender_builders import make_department, make_tender
from tests.transparency_builders import (
    cancelled_project,
    funded_project,
    ledger_figures,
    transfer_count,
)

FIELDS = ("received", "released", "refunded", "held", "pending_in")


async def assert_project_equals_ledger(tender_id: int) -> transparency.Project:
    project = await transparency.project(tender_id, None)
    figures = await ledger_figures(tender_id)
    cached = await tender_funding(tender_id)
    for source in SOURCES:
        for name in FIELDS:
            shown = getattr(project.funding.sources[source], name).amount
            assert shown == figures[source][name], (source, name)
            assert shown == getattr(cached.sources[source], name).amount, (source, name)
    report = await run_checks()
    assert report.ok, report.problems
    return project


async def test_funded_project_shows_every_source_as_the_ledger_has_it(frozen_clock):
    built = await funded_project(frozen_clock)
    project = await assert_project_equals_ledger(built.tender_id)
    funding = project.funding
    # The donations, their matches (¥300 each, the cap) and the sponsorship arrived; the
    # department's budget covered the rest of the contract at signing.
    assert funding.sources["public"].received.amount == 500_00 + 1_234_56
    assert funding.sources["corporate"].received.amount == 20_000_00 + 2 * 300_00
    assert funding.total("received").amount == 15_000_000
    # One tranche is out: half the contract, split over the three sources that hold money.
    (contract,) = project.contracts
    first, second = contract.milestones
    assert first.status == "approved" and second.status == "scheduled"
    assert first.tranche is not None and second.tranche is None
    assert first.tranche.total == first.amount.amount == funding.total("released").amount
    parts = {p.source: p.amount for p in first.tranche.parts}
    assert set(parts) == {"government", "corporate", "public"}
    for source, amount in parts.items():
        assert amount == funding.sources[source].released.amount
    releases = await execute(
        "SELECT source, amount FROM ledger_transfer WHERE reason = 'release' AND reference = {}",
        f"milestone:{first.id}",
    )
    assert {r["source"]: int(r["amount"]) for r in releases} == parts
    assert first.evidence and first.evidence[0]["title"] == "Attendance sheet"
    assert len(first.evidence[0]["sha256"]) == 64
    assert project.other_tranches == []


async def test_cancelled_project_shows_what_went_back(frozen_clock):
    built = await cancelled_project()
    project = await assert_project_equals_ledger(built.tender_id)
    funding = project.funding
    assert funding.total("held").amount == 0
    assert funding.total("released").amount == 800_00
    assert funding.sources["public"].refunded.amount > 0
    assert funding.sources["corporate"].refunded.amount > 0
    assert funding.total("received").amount == (
        funding.total("released").amount + funding.total("refunded").amount
    )
    (other,) = project.other_tranches
    assert other.total == 800_00


async def test_transfer_pages_walk_every_transfer_once_newest_first(frozen_clock):
    built = await funded_project(frozen_clock)
    count, total = await transfer_count(built.tender_id)
    seen: list[int] = []
    amount = 0
    before = None
    while True:
        rows, before = await transparency.transfer_page(
            built.tender_id, None, before=before, limit=3
        )
        seen += [v.transfer.id for v in rows]
        amount += sum(v.transfer.amount.amount for v in rows)
        if before is None:
            break
    assert len(seen) == len(set(seen)) == count > 6
    assert seen == sorted(seen, reverse=True)
    assert amount == total
    exported = [v async for batch in await transparency.all_transfers(built.tender_id, None)
                for v in batch]  # fmt: skip
    assert [v.transfer.id for v in exported] == sorted(seen)


async def test_counterparties_are_named(frozen_clock):
    built = await funded_project(frozen_clock)
    rows, _ = await transparency.transfer_page(built.tender_id, None, before=None, limit=500)
    kinds = {(v.transfer.reason, v.debit.kind, v.credit.kind) for v in rows}
    assert ("release", "escrow", "organization") in kinds
    assert ("budget_hold", "department_budget", "escrow") in kinds
    assert ("match", "pledge", "escrow") in kinds
    payee = next(v.credit for v in rows if v.transfer.reason == "release")
    winner = await execute(
        "SELECT o.name_zh FROM bids_contract c JOIN market_organization o"
        " ON o.id = c.organization WHERE c.id = {}",
        built.contract_id,
    )
    assert payee.name_zh == winner[0]["name_zh"]
    sponsorship = next(v for v in rows if v.transfer.reason == "sponsorship")
    assert sponsorship.payer_zh == "测试企业"
    pledge = next(v.debit for v in rows if v.transfer.reason == "match")
    assert pledge.name_zh == "测试企业"


async def test_keyset_page_size_is_bounded_and_cursor_is_exclusive(frozen_clock):
    built = await funded_project(frozen_clock)
    page = await tender_transfers(built.tender_id, limit=2)
    assert len(page.transfers) == 2 and page.next_cursor == page.transfers[-1].id
    older = await tender_transfers(built.tender_id, limit=2, before=page.next_cursor)
    assert all(t.id < page.next_cursor for t in older.transfers)


async def test_a_draft_is_not_a_public_project(frozen_clock):
    department = await make_department()
    draft = await make_tender(department, status="draft")
    with pytest.raises(NotFound):
        await transparency.project(draft, None)
    with pytest.raises(NotFound):
        await transparency.transfer_page(draft, None, before=None)
    with pytest.raises(NotFound):
        await transparency.project(10**9, None)
