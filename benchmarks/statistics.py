"""District statistics over a large ledger: `/statistics` with the funds rollup.

    .venv/bin/python -m benchmarks.statistics [--small 1000] [--transfers 1000000]
                                              [--orgs 5000] [--runs 7] [--tail 200]

Set-up (not timed): a scratch PostgreSQL database `statistics_bench` migrated with the
app's migrations; `--orgs` verified social organizations spread over six years and
categories; 2,000 tenders with their five escrow accounts; posted transfers written
with INSERT … SELECT generate_series (80 % into escrow, 15 % releases to organizations,
5 % returns) with `created_at` spread over 2020-2025, plus `--tail` transfers created
now (not settled yet: they stay in the rollup's live tail). The ledger's cached
balances are not maintained (the statistics read transfers, never balances).

The same run measures two sizes of the same database: first with `--small` transfers,
then after appending up to `--transfers`. At each size: the catch-up fold (what
`market stats fold` does after a bulk import), the first request, then the median of
`--runs` requests of `GET /statistics` through the whole app (httpx over
ASGITransport: middleware, queries, charts, template), and the old full scan
(`funds_by_year_scan`) for comparison; the rollup's figures are checked against the
scan. Prints the large/small ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics as stats
import time
from datetime import UTC, datetime, timedelta

from benchmarks.ledger_pgbench import db_url, recreate

DB = "statistics_bench"
TENDERS = 2_000


def _setup_env() -> None:
    os.environ["DATABASE_URL"] = db_url(DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["MARKET_ENV"] = "test"


async def prepare(orgs: int) -> None:
    from market.migrate import migrate
    from market.sql import execute

    await migrate()
    await execute(
        "INSERT INTO market_organization (kind, name_zh, name_en, uscc, category, rating,"
        " status, area, description_zh, description_en, contact_email, created_at,"
        " submitted_at, decision_due_at, decided_at, decision_reason, version)"
        " SELECT 'social_org', 'org ' || g, '', lpad(g::text, 18, '0'),"
        " (ARRAY['software_services','science_technology','dispute_mediation',"
        "'coordination_management','charity','community_services'])[1 + g % 6], '',"
        " 'verified', '', '', '', '', now(), now(), now(),"
        " timestamptz '2021-01-01' + (g % 2190) * interval '1 day', '', 1"
        " FROM generate_series(1, {}) g",
        orgs,
    )
    await execute(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        " credits_pending, credits_posted, created_at)"
        " SELECT 'tender:' || t || ':escrow:' || s, 'CNY', 1, 0, 0, 0, 0, now()"
        " FROM generate_series(1, {}) t,"
        " unnest(ARRAY['government','corporate','foundation','public','own']) s",
        TENDERS,
    )
    await execute(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        " credits_pending, credits_posted, created_at)"
        " VALUES ('external:bank', 'CNY', 0, 0, 0, 0, 0, now()),"
        " ('org:1:payable', 'CNY', 1, 0, 0, 0, 0, now())"
    )


async def add_transfers(first: int, last: int, recent: datetime | None = None) -> None:
    """Transfers `bench:first` … `bench:last`, spread over 2020-2025 or all at `recent`."""
    from market.sql import execute

    created_at = OLD if recent is None else "CAST({} AS timestamptz)"
    when = [] if recent is None else [recent]
    # Accounts: escrow ids 1..5*TENDERS in (tender, source) order, then bank, payable.
    await execute(
        "INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency,"  # noqa: S608
        " kind, reason, reference, tender_id, source, created_at)"
        " SELECT 'bench:' || g,"
        " CASE WHEN g % 20 < 16 THEN {} ELSE 1 + (g % {}) END,"
        " CASE WHEN g % 20 < 16 THEN 1 + (g % {}) WHEN g % 20 < 19 THEN {} ELSE {} END,"
        " 100 + g % 100000, 'CNY', 'single',"
        " CASE WHEN g % 20 < 16 THEN 'donation' WHEN g % 20 < 19 THEN 'release' ELSE 'return' END,"
        " '', 1 + ((g % {}) / 5),"
        " (ARRAY['government','corporate','foundation','public','own'])[1 + (g % {}) % 5],"
        f" {created_at} FROM generate_series({{}}::int, {{}}::int) g",
        5 * TENDERS + 1,
        5 * TENDERS,
        5 * TENDERS,
        5 * TENDERS + 2,
        5 * TENDERS + 1,
        5 * TENDERS,
        5 * TENDERS,
        *when,
        first,
        last,
    )
    await execute("ANALYZE ledger_transfer")


OLD = "timestamptz '2020-01-01' + (g % 2190) * interval '1 day' + (g % 86400) * interval '1 s'"


async def measure(client, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from market.settings import get_settings
    from opendata.statistics import queries as statistics
    from opendata.statistics import rollup

    currency = get_settings().default_currency
    started = time.perf_counter()
    folded = await rollup.advance(None)
    fold_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    first = await client.get("/statistics")
    first_ms = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, first.status_code
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get("/statistics")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    started = time.perf_counter()
    scan = await statistics.funds_by_year_scan(currency)
    scan_ms = (time.perf_counter() - started) * 1000
    if await statistics.funds_by_year(currency) != scan:
        raise SystemExit("MISMATCH: rollup + tail differ from the full scan")
    tail = await rollup.funds_rows(currency)
    return {
        "fold_ms": fold_ms,
        "fold_steps": folded.steps,
        "first_ms": first_ms,
        "median_ms": stats.median(timings),
        "best_ms": min(timings),
        "scan_ms": scan_ms,
        "years": len(scan),
        "rows": len(tail),
    }


def _line(label: str, transfers: int, m: dict[str, float]) -> str:
    return (
        f"{label:>5} {transfers:>10,} transfers: fold {m['fold_ms']:8.0f} ms"
        f" ({int(m['fold_steps'])} steps), first request {m['first_ms']:6.0f} ms,"
        f" /statistics median {m['median_ms']:6.1f} ms (best {m['best_ms']:.1f});"
        f" old full scan of funds alone {m['scan_ms']:7.0f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    await recreate(DB)
    _setup_env()
    from composition.app import create_app
    from market import clock
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        started = time.perf_counter()
        await prepare(args.orgs)
        await add_transfers(1, args.small)
        await add_transfers(args.small + 1, args.small + args.tail, clock.now())
        took = time.perf_counter() - started
        print(f"set-up ({args.small:,} + {args.tail} recent transfers): {took:.1f} s")
        app = create_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            small = await measure(client, args.runs)
            # An hour later: the first tail has settled; the new rows come after it, and
            # new recent rows after them (ids grow with time, as in the ledger).
            clock.set_clock(lambda: datetime.now(UTC) + timedelta(hours=1))
            started = time.perf_counter()
            first_large = args.small + args.tail + 1
            await add_transfers(first_large, args.transfers)
            await add_transfers(args.transfers + 1, args.transfers + args.tail, clock.now())
            print(f"appended up to {args.transfers:,}: {time.perf_counter() - started:.1f} s")
            large = await measure(client, args.runs)
        print(_line("small", args.small + args.tail, small))
        print(_line("large", args.transfers + args.tail, large))
        print(
            f"ratio large/small of the /statistics median: "
            f"{large['median_ms'] / small['median_ms']:.2f}"
            f" (funds figures equal the full scan at both sizes)"
        )
    finally:
        await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--tail", type=int, default=200, help="recent, unsettled transfers")
    parser.add_argument("--orgs", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
