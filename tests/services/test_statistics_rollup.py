"""The funds statistics rollup equals a full scan of the ledger: before and after the
settled horizon, folded in several batches, folded twice, across a district new year,
and with folds racing on separate PostgreSQL connections (no double count), and it
never moves past a transfer whose transaction is still open."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from market import clock
from market.db import atomic
from market.ledger import escrow
from market.ledger.accounts import ensure_accounts
from market.ledger.rules import SOURCES, escrow_code
from market.money import Money
from market.sql import execute
from opendata.statistics import queries as statistics
from opendata.statistics import rollup

_keys = itertools.count(1)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def accounts(*tenders: int) -> None:
    codes = [escrow_code(t, s) for t in tenders for s in SOURCES]
    await ensure_accounts(["external:bank", "org:1:payable", *codes], "CNY")


async def fund(tender: int, source: str, amount: int, bank: str = "external:bank") -> int:
    result = await escrow.fund(
        f"rollup-test:{next(_keys)}",
        tender_id=tender,
        source=source,
        from_code=bank,
        amount=cny(amount),
        actor="test",
    )
    rows = await execute("SELECT id FROM ledger_transfer WHERE key = {}", result.key)
    return int(rows[0]["id"])


async def release(tender: int, amount: int) -> None:
    await escrow.release(
        f"rollup-test:{next(_keys)}", tender_id=tender, org_id=1, amount=cny(amount), actor="t"
    )


async def give_back(tender: int) -> None:
    await escrow.return_all(
        f"rollup-test:{next(_keys)}",
        tender_id=tender,
        destinations=dict.fromkeys(SOURCES, "external:bank"),
        actor="t",
    )


async def max_id() -> int:
    rows = await execute("SELECT MAX(id) AS id FROM ledger_transfer")
    return int(rows[0]["id"] or 0)


async def assert_equals_scan() -> list[statistics.YearFunds]:
    """Rollup + tail (without folding), then the request path (folding), both equal to
    the full scan; returns the scan so the caller can check it is not trivial."""
    scan = await statistics.funds_by_year_scan("CNY")
    assert statistics._year_funds(await rollup.funds_rows("CNY")) == scan
    assert rollup.totals(await rollup.funds_rows("CNY")) == rollup.totals(
        await rollup.scan_rows("CNY")
    )
    return scan


async def folded_rows() -> dict[tuple[int, str, str], int]:
    rows = await execute("SELECT year, flow, source, amount FROM stats_funds_rollup")
    return {(int(r["year"]), r["flow"], r["source"]): int(r["amount"]) for r in rows}


async def test_only_settled_transfers_are_folded(frozen_clock):
    await accounts(1)
    start = clock.now()
    early = [await fund(1, "public", 100_00), await fund(1, "government", 250_00)]
    await release(1, 50_00)
    last_early = await max_id()
    frozen_clock.advance(minutes=5)
    late = await fund(1, "corporate", 70_00)
    assert min(early) < last_early < late

    # 5 minutes on: nothing is settled, everything is the live tail.
    result = await rollup.advance(None)
    assert (result.end, result.steps, result.caught_up) == (0, 0, True)
    assert await rollup.watermark() == 0 and await folded_rows() == {}
    scan = await assert_equals_scan()
    assert sum(scan[0].received.values()) == 420_00 and sum(scan[0].released.values()) == 50_00

    # 12 minutes on: the first three transfers are settled, the late one is not.
    frozen_clock.set(start + timedelta(minutes=12))
    result = await rollup.advance(None)
    assert (result.start, result.end, result.steps) == (0, last_early, 1)
    assert await rollup.watermark() == last_early
    folded = await folded_rows()
    assert sum(v for (_, flow, _), v in folded.items() if flow == "received") == 350_00
    assert sum(v for (_, flow, _), v in folded.items() if flow == "released") == 50_00
    assert await assert_equals_scan() == scan

    # Half an hour on: everything is folded, the tail is empty.
    frozen_clock.set(start + timedelta(minutes=30))
    assert (await rollup.advance(None)).end == late
    assert rollup.totals(await rollup.funds_rows("CNY")) == await folded_rows()
    assert await assert_equals_scan() == scan
    assert await statistics.funds_by_year("CNY") == scan


async def test_a_long_gap_is_folded_in_several_bounded_batches(frozen_clock):
    await accounts(1, 2)
    for i, source in enumerate(SOURCES * 3):
        await fund(1 + i % 2, source, 1_000_00 + i)
    await release(1, 900_00)  # one transfer per source with money
    await give_back(2)
    total = await max_id()
    scan = await assert_equals_scan()
    flows = {f: sum(sum(getattr(y, f).values()) for y in scan) for f in statistics.FLOWS}
    assert flows["released"] == 900_00 and flows["returned"] > 0
    assert flows["received"] == sum(1_000_00 + i for i in range(15))
    frozen_clock.advance(hours=1)

    # The tail (everything) is longer than a batch, and the figures are still right.
    seen = [0]
    while True:
        result = await rollup.advance(max_steps=1, batch=2)
        if result.steps == 0:
            assert result.caught_up
            break
        assert result.steps == 1 and not result.caught_up
        assert result.start == seen[-1] < result.end
        seen.append(result.end)
        assert await assert_equals_scan() == scan
    count = int((await execute("SELECT COUNT(*) AS n FROM ledger_transfer"))[0]["n"])
    assert seen[-1] == total and len(seen) - 1 == (count + 1) // 2  # two rows a batch
    # The request path folds at most REQUEST_BATCHES batches: bounded work.
    await rollup.rebuild()
    assert await rollup.watermark() == 0 and await folded_rows() == {}
    result = await rollup.advance(max_steps=3, batch=2)
    assert result.steps == 3 and result.end < total and not result.caught_up
    assert await assert_equals_scan() == scan


async def test_folding_twice_changes_nothing(frozen_clock):
    await accounts(1)
    for source in SOURCES:
        await fund(1, source, 300_00)
    await release(1, 1_000_00)
    frozen_clock.advance(hours=1)
    first = await rollup.advance(None)
    assert first.steps == 1 and first.end == await max_id()
    rows = await folded_rows()
    assert sum(v for (_, flow, _), v in rows.items() if flow == "received") == 1_500_00
    second = await rollup.advance(None)
    assert (second.start, second.end, second.steps, second.caught_up) == (
        first.end,
        first.end,
        0,
        True,
    )
    assert await rollup.fold_step() == (first.end, first.end)
    assert await folded_rows() == rows
    await assert_equals_scan()


async def test_district_new_year_is_respected_in_rollup_and_tail(frozen_clock):
    await accounts(1)
    # 15:59:59 UTC on 31 December is 23:59:59 in the district; a second later it is 2026.
    frozen_clock.set(datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC))
    await fund(1, "public", 1_00)
    frozen_clock.set(datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC))
    await fund(1, "public", 20_00)
    frozen_clock.set(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    await fund(1, "foundation", 300_00)

    # All tail: the tail query buckets across the boundary by itself.
    scan = await assert_equals_scan()
    years = {y.year: y for y in scan}
    assert years[2025].received["public"] == 1_00
    assert years[2026].received["public"] == 20_00
    assert years[2026].received["foundation"] == 300_00

    # The first two fold (settled), the third stays in the tail.
    result = await rollup.advance(None)
    assert result.steps == 1
    assert await folded_rows() == {
        (2025, "received", "public"): 1_00,
        (2026, "received", "public"): 20_00,
    }
    assert await assert_equals_scan() == scan
    frozen_clock.advance(hours=1)
    await rollup.advance(None)
    assert (await folded_rows())[(2026, "received", "foundation")] == 300_00
    assert await statistics.funds_by_year("CNY") == scan


async def test_currencies_are_kept_apart(frozen_clock):
    await accounts(1)
    await ensure_accounts(["external:bank:usd", escrow_code(9, "public")], "USD")
    await fund(1, "public", 10_00)
    await escrow.fund(
        "rollup-test:usd",
        tender_id=9,
        source="public",
        from_code="external:bank:usd",
        amount=Money(7_00, "USD"),
        actor="t",
    )
    frozen_clock.advance(hours=1)
    await rollup.advance(None)
    usd = await statistics.funds_by_year("USD")
    assert usd == await statistics.funds_by_year_scan("USD")
    assert usd[0].received["public"] == 7_00
    assert (await statistics.funds_by_year("CNY"))[0].received["public"] == 10_00
    assert await rollup.check() == []


# --- PostgreSQL: real separate connections -------------------------------------------


@pytest.mark.postgres_only
async def test_concurrent_folds_never_double_count(fresh_db, frozen_clock):
    await accounts(1, 2, 3)
    for i in range(60):
        await fund(1 + i % 3, SOURCES[i % 5], 100_00 + i)
    await release(1, 500_00)
    await give_back(3)
    total = await max_id()
    frozen_clock.advance(hours=1)
    scan = await statistics.funds_by_year_scan("CNY")

    steps: list[tuple[int, int]] = []

    async def folder(wait: bool) -> None:
        while True:
            moved = await rollup.fold_step(batch=4, wait=wait)
            if moved is None:  # the other folder holds the lock (SKIP LOCKED)
                await asyncio.sleep(0)
                continue
            if moved[0] == moved[1]:
                return
            steps.append(moved)

    await asyncio.gather(folder(True), folder(True), folder(False), folder(False))
    # Every step started where the previous one ended: no range folded twice.
    ordered = sorted(steps)
    assert ordered[0][0] == 0 and ordered[-1][1] == total
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ordered))
    assert len({low for low, _ in steps}) == len(steps)
    assert await rollup.watermark() == total
    assert rollup.totals(await rollup.scan_rows("CNY")) == await folded_rows()
    assert statistics._year_funds(await rollup.funds_rows("CNY")) == scan
    assert await statistics.funds_by_year("CNY") == scan


@pytest.mark.postgres_only
async def test_an_open_transaction_holds_the_watermark_back(fresh_db, monkeypatch):
    """Real clock. The open transaction takes id k; a later transfer (k + 1) commits
    first. The fold must stop below k until k commits, then take both."""
    monkeypatch.setattr(rollup, "SETTLE", timedelta(0))
    monkeypatch.setattr(rollup, "OPEN_MARGIN", timedelta(seconds=1))
    await accounts(1, 2)
    await ensure_accounts(["external:bank2"], "CNY")
    before = await fund(1, "public", 1_00)
    await asyncio.sleep(1.5)  # `before` settles: older than the open transaction - 1 s
    inserted, release_it = asyncio.Event(), asyncio.Event()
    held: list[int] = []

    async def slow() -> None:
        # Any transaction holding a transfer id; a raw row, so that it holds no ledger
        # or audit-chain lock the service call below would wait for.
        async with atomic():
            rows = await execute(
                "INSERT INTO ledger_transfer (key, debit_account, credit_account, amount,"
                " currency, kind, reason, reference, tender_id, source, created_at)"
                " SELECT 'rollup-test:open', d.id, c.id, 2000, 'CNY', 'single', 'funding',"
                " '', 1, 'government', {} FROM ledger_account d, ledger_account c"
                " WHERE d.code = 'external:bank' AND c.code = {} RETURNING id",
                clock.now(),
                escrow_code(1, "government"),
            )
            held.append(int(rows[0]["id"]))
            inserted.set()
            await release_it.wait()

    task = asyncio.create_task(slow())
    try:
        await inserted.wait()
        # Other accounts: the open row's foreign keys share-lock the ones it points at.
        after = await fund(2, "corporate", 300_00, bank="external:bank2")
        assert before < held[0] < after
        await asyncio.sleep(0.05)
        # Without the pg_stat_activity guard the horizon would be now: `after` is visible
        # and settled, and the watermark would jump over the open transaction's id.
        result = await rollup.advance(None)
        assert result.end == before, "the watermark must stop below the open transaction"
    finally:
        release_it.set()
        await task
    await asyncio.sleep(0.05)
    assert (await rollup.advance(None)).end == after
    folded = await folded_rows()
    year = next(iter(folded))[0]
    assert folded[(year, "received", "government")] == 20_00
    assert rollup.totals(await rollup.scan_rows("CNY")) == folded


async def test_a_request_with_nothing_settled_opens_no_fold_transaction(frozen_clock, monkeypatch):
    await accounts(1)
    await fund(1, "public", 100_00)

    async def no_fold(*args, **kwargs):
        raise AssertionError("fold_step ran with nothing settled to fold")

    with monkeypatch.context() as patched:
        patched.setattr(rollup, "fold_step", no_fold)
        assert (await rollup.advance()).steps == 0  # one minute old: not settled
        scan = await assert_equals_scan()
        assert await statistics.funds_by_year("CNY") == scan
    frozen_clock.advance(minutes=11)
    result = await rollup.advance()
    assert result.steps == 1 and result.end == await max_id()
