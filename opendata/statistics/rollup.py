"""The funds statistics rollup: an incremental read model over the append-only ledger.

`stats_funds_rollup` holds, per (currency, district year, flow, source), the money moved
by every ledger transfer with an id up to the watermark (`stats_watermark`, row
'funds'). Figures for a request are the rollup plus a live GROUP BY over the tail
(`market_v_ledger_transfer.id > watermark`, a primary-key range scan through the
kernel's read-contract view, market/read_views.py), read in one snapshot, so they always
equal a full scan of the view (`scan_rows`, kept as the reference for tests and
`market stats fold --check`).

Folding is exact because transfers are append-only: the ledger migration's trigger
refuses UPDATE (and DELETE on PostgreSQL), so a row, once folded, never changes.
The one hazard is commit order: PostgreSQL hands out ids at INSERT, and a transaction
holding a small id can commit after one holding a larger id. Moving the watermark past
an id whose row is not visible yet would skip that row forever. So a fold only goes up
to the *settled horizon*:

- it considers the next `batch` visible rows after the watermark, in id order, and
  moves the watermark to the last visible id before the first one whose
  `created_at` is at or after the horizon (not to "that id - 1": an id in between
  that is not visible may belong to a transaction still open);
- the horizon is `clock.now() - SETTLE` (10 minutes), moved further back on
  PostgreSQL by the age of the oldest open transaction of any client in this
  database (`pg_stat_activity`), plus a minute.

ASSUMPTION: a transfer is committed (or rolled back) within 10 minutes of the
`created_at` the ledger gave it (the ledger writes `clock.now()` in the transfer's
own short transaction; no ledger transaction stays open 10 minutes). On PostgreSQL
the `pg_stat_activity` check enforces this for transactions still open now, so a
session sitting idle in a transaction for an hour only holds the watermark back. A
row that is not visible below a visible settled row would have to break the
assumption: its id was handed out earlier, so its `created_at` is older still.
SQLite has a single writer, so commit order is id order there anyway.

Concurrency: a fold runs in one transaction that first locks the watermark row
(PostgreSQL `SELECT … FOR UPDATE`, `SKIP LOCKED` on the request path so a page never
queues behind another fold; SQLite's IMMEDIATE transactions in `atomic()` serialize
writers), reads the watermark under the lock, adds the batch's totals with an upsert,
and moves the watermark, so two folders can never add the same rows twice.

Work is bounded: a fold step reads at most `batch` rows (50,000), and a request folds
at most `REQUEST_BATCHES` steps; the tail query stays correct however long the tail
is. `market stats fold` catches up entirely (after a bulk import, or from cron).
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from market import clock
from market.db import atomic, engine, in_transaction, is_postgres
from market.sql import Row, execute
from market.timestamps import timestamp
from opendata.statistics import rules

NAME = "funds"
SETTLE = timedelta(minutes=10)
OPEN_MARGIN = timedelta(minutes=1)
BATCH = 50_000
REQUEST_BATCHES = 4

# Transfers that move tender money: into an escrow account, or out of it to an
# organization (release) or back to the source (return). Holds are not money moved.
FLOW_SQL = (
    "CASE WHEN a.code LIKE 'tender:%' THEN 'received'"
    " WHEN t.reason = 'release' THEN 'released' ELSE 'returned' END"
)
FUNDS_FROM = (
    " FROM market_v_ledger_transfer t JOIN market_v_ledger_account a ON a.id = t.credit_account"
    " WHERE t.tender_id IS NOT NULL AND t.kind IN ('single', 'post')"
    " AND (a.code LIKE 'tender:%' OR t.reason IN ('release', 'return'))"
)

FundsRow = tuple[int, str, str, int]  # (year, flow, source, minor units)


@dataclass(frozen=True, slots=True)
class FoldResult:
    start: int  # watermark before
    end: int  # watermark after
    steps: int  # fold transactions that moved the watermark
    caught_up: bool  # stopped at the horizon or the end of the log, not at a limit


def year_case(column: str, starts: list[tuple[int, datetime]]) -> tuple[str, list[Any]]:
    """`CASE WHEN col >= start(yN) THEN yN … ELSE y0 END` and its parameters."""
    if len(starts) <= 1:
        return (str(starts[0][0]) if starts else "0"), []
    parts, args = ["CASE"], []
    for year, at in reversed(starts[1:]):
        parts.append(f"WHEN {column} >= {{}} THEN {year}")
        args.append(at)
    parts.append(f"ELSE {starts[0][0]} END")
    return " ".join(parts), args


def _rows(rows: list[Row]) -> list[FundsRow]:
    return [(int(r["year"]), r["flow"], r["source"], int(r["total"])) for r in rows]


async def scan_rows(currency: str) -> list[FundsRow]:
    """The reference: one full scan of `market_v_ledger_transfer` (year span, totals)."""
    where = FUNDS_FROM + " AND t.currency = {}"
    span = await execute(
        "SELECT MIN(t.created_at) AS first, MAX(t.created_at) AS last" + where, currency
    )
    if not span or span[0]["first"] is None:
        return []
    starts = rules.year_starts(timestamp(span[0]["first"]), timestamp(span[0]["last"]))
    case, args = year_case("t.created_at", starts)
    rows = await execute(
        f"SELECT {case} AS year, {FLOW_SQL} AS flow, t.source, SUM(t.amount) AS total"
        + where
        + " GROUP BY 1, 2, 3",
        *args,
        currency,
    )
    return _rows(rows)


async def watermark() -> int:
    rows = await execute("SELECT transfer_id FROM stats_watermark WHERE name = {}", NAME)
    return int(rows[0]["transfer_id"]) if rows else 0


@asynccontextmanager
async def _snapshot() -> AsyncIterator[None]:
    """Every read inside sees the same database state (rollup, watermark and tail)."""
    if in_transaction():  # the caller's transaction decides
        yield
        return
    db = engine()
    async with db.transaction():  # SQLite: a deferred read transaction is one snapshot
        if is_postgres():
            await execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


async def funds_rows(currency: str) -> list[FundsRow]:
    """Rollup + live tail: (year, flow, source, amount) rows; a (year, flow, source) may
    appear twice (once from each), callers add them up."""
    async with _snapshot():
        low = await watermark()
        folded = await execute(
            "SELECT year, flow, source, amount AS total FROM stats_funds_rollup"
            " WHERE currency = {}",
            currency,
        )
        span = await execute(
            "SELECT MIN(created_at) AS first, MAX(created_at) AS last"
            " FROM market_v_ledger_transfer WHERE id > {}",
            low,
        )
        if not span or span[0]["first"] is None:
            return _rows(folded)
        starts = rules.year_starts(timestamp(span[0]["first"]), timestamp(span[0]["last"]))
        case, args = year_case("t.created_at", starts)
        tail = await execute(
            f"SELECT {case} AS year, {FLOW_SQL} AS flow, t.source, SUM(t.amount) AS total"
            + FUNDS_FROM
            + " AND t.currency = {} AND t.id > {} GROUP BY 1, 2, 3",
            *args,
            currency,
            low,
        )
        return _rows(folded) + _rows(tail)


async def settled_horizon() -> datetime:
    """Transfers created before this instant are committed (see the module docstring)."""
    back = SETTLE
    if is_postgres():
        rows = await execute(
            "SELECT EXTRACT(EPOCH FROM MAX(clock_timestamp() - xact_start)) AS age"
            " FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND xact_start IS NOT NULL"
        )
        age = rows[0]["age"] if rows else None
        if age is not None:
            back = max(back, timedelta(seconds=float(age)) + OPEN_MARGIN)
    return clock.now() - back


def _lock(wait: bool) -> str:
    """The watermark row's lock on PostgreSQL (SQLite: BEGIN IMMEDIATE serializes)."""
    if not is_postgres():
        return ""
    return " FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED"


async def fold_step(batch: int = BATCH, *, wait: bool = False) -> tuple[int, int] | None:
    """Fold the next settled transfers (at most `batch` rows) into the rollup in one
    transaction. (watermark before, after); None when another fold holds the lock."""
    async with atomic():
        await execute(
            "INSERT INTO stats_watermark (name, transfer_id) VALUES ({}, 0)"
            " ON CONFLICT (name) DO NOTHING",
            NAME,
        )
        watermark_sql = "SELECT transfer_id FROM stats_watermark WHERE name = {}"
        rows = await execute(watermark_sql + _lock(wait), NAME)
        if not rows:
            return None
        low = int(rows[0]["transfer_id"])
        horizon = await settled_horizon()
        # The next `batch` visible rows; fold the ones before the first unsettled row, up
        # to the last *visible* id before it (an id in between that is not visible yet
        # may belong to a transaction still open: it must stay above the watermark).
        window = await execute(
            "WITH w AS (SELECT id, created_at FROM market_v_ledger_transfer WHERE id > {}"
            " ORDER BY id LIMIT {}),"
            " u AS (SELECT MIN(id) AS id FROM w WHERE created_at >= {})"
            " SELECT MAX(w.id) AS high, MIN(w.created_at) AS first_at,"
            " MAX(w.created_at) AS last_at FROM w, u WHERE u.id IS NULL OR w.id < u.id",
            low,
            batch,
            horizon,
        )
        if not window or window[0]["high"] is None:
            return low, low
        high = int(window[0]["high"])
        starts = rules.year_starts(
            timestamp(window[0]["first_at"]), timestamp(window[0]["last_at"])
        )
        case, args = year_case("t.created_at", starts)
        await execute(
            "INSERT INTO stats_funds_rollup (currency, year, flow, source, amount)"
            f" SELECT t.currency, {case}, {FLOW_SQL}, t.source, SUM(t.amount)"
            + FUNDS_FROM
            + " AND t.id > {} AND t.id <= {} GROUP BY 1, 2, 3, 4"
            " ON CONFLICT (currency, year, flow, source)"
            " DO UPDATE SET amount = stats_funds_rollup.amount + excluded.amount",
            *args,
            low,
            high,
        )
        await execute(
            "UPDATE stats_watermark SET transfer_id = {}, folded_at = {} WHERE name = {}",
            high,
            clock.now(),
            NAME,
        )
        return low, high


async def _anything_settled(low: int) -> bool:
    """Whether the first transfer above the watermark may be folded: a read on the
    primary key. `settled_horizon()` is never later than `now - SETTLE`, so a transfer
    newer than that cannot be folded by `fold_step` either."""
    rows = await execute(
        "SELECT created_at FROM market_v_ledger_transfer WHERE id > {} ORDER BY id LIMIT 1", low
    )
    return bool(rows) and timestamp(rows[0]["created_at"]) < clock.now() - SETTLE


async def advance(
    max_steps: int | None = REQUEST_BATCHES, batch: int = BATCH, *, wait: bool = False
) -> FoldResult:
    """Fold step after step, each in its own transaction, until the horizon or the end
    of the log (or `max_steps`; None: no limit)."""
    start = end = await watermark()
    if not await _anything_settled(start):  # the common case: no write transaction at all
        return FoldResult(start, end, 0, True)
    steps = 0
    while max_steps is None or steps < max_steps:
        moved = await fold_step(batch, wait=wait)
        if moved is None:  # another fold is running: it will get there
            return FoldResult(start, end, steps, False)
        low, high = moved
        if high == low:
            return FoldResult(start, end, steps, True)
        steps += 1
        end = high
    return FoldResult(start, end, steps, False)


async def rebuild() -> None:
    """Forget the rollup (the next folds start again from the first transfer)."""
    async with atomic():
        await execute(
            "INSERT INTO stats_watermark (name, transfer_id) VALUES ({}, 0)"
            " ON CONFLICT (name) DO NOTHING",
            NAME,
        )
        watermark_sql = "SELECT transfer_id FROM stats_watermark WHERE name = {}"
        await execute(watermark_sql + _lock(True), NAME)
        await execute("DELETE FROM stats_funds_rollup")
        await execute(
            "UPDATE stats_watermark SET transfer_id = 0, folded_at = NULL WHERE name = {}", NAME
        )


async def check() -> list[str]:
    """Every currency's rollup + tail against the full scan; the differences, if any."""
    currencies = [
        r["currency"]
        for r in await execute("SELECT DISTINCT currency FROM market_v_ledger_transfer")
    ]
    problems = []
    for currency in sorted(currencies):
        expected = totals(await scan_rows(currency))
        got = totals(await funds_rows(currency))
        if got != expected:
            keys = sorted(set(got) | set(expected))
            diff = [
                (k, got.get(k, 0), expected.get(k, 0))
                for k in keys
                if got.get(k) != expected.get(k)
            ]
            problems.append(f"{currency}: (key, rollup, scan) {diff[:10]}")
    return problems


def totals(rows: list[FundsRow]) -> dict[tuple[int, str, str], int]:
    out: dict[tuple[int, str, str], int] = {}
    for year, flow, source, amount in rows:
        out[(year, flow, source)] = out.get((year, flow, source), 0) + amount
    return out


async def command(args: argparse.Namespace) -> int:
    """`market stats fold`: fold every settled transfer into the statistics rollup."""
    if args.batch < 1:
        print("--batch must be at least 1")
        return 2
    if args.rebuild:
        await rebuild()
    result = await advance(None, args.batch, wait=True)
    print(
        f"statistics rollup: watermark {result.start} → {result.end}"
        f" in {result.steps} step(s); settled horizon {(await settled_horizon()).isoformat()}"
    )
    if args.check:
        problems = await check()
        for problem in problems:
            print("MISMATCH", problem)
        if problems:
            return 1
        print("rollup + tail equal the full ledger scan")
    return 0
