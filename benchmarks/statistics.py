"""District statistics over a large ledger: how long `/api/v1/statistics` takes.

    .venv/bin/python -m benchmarks.statistics [--transfers 1000000] [--orgs 5000] [--runs 5]

Set-up (not timed): a scratch PostgreSQL database `statistics_bench` migrated with the
app's migrations; `--orgs` verified social organizations spread over six years and
categories; 2,000 tenders with their five escrow accounts; `--transfers` posted
transfers written with one INSERT … SELECT generate_series (80 % into escrow, 15 %
releases to organizations, 5 % returns), spread over six years. The ledger's cached
balances are not maintained (the statistics read transfers, never balances).
Timed: `opendata.statistics.district_statistics()` end to end, best and median of
`--runs`, through the app's own connection pool.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics as stats
import time

from benchmarks.ledger_pgbench import db_url, recreate

DB = "statistics_bench"
TENDERS = 2_000


def _setup_env() -> None:
    os.environ["DATABASE_URL"] = db_url(DB)
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["MARKET_ENV"] = "test"


async def prepare(transfers: int, orgs: int) -> None:
    from market.migrate import migrate
    from market.sql import fetch

    await migrate()
    await fetch(
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
    await fetch(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        " credits_pending, credits_posted, created_at)"
        " SELECT 'tender:' || t || ':escrow:' || s, 'CNY', 1, 0, 0, 0, 0, now()"
        " FROM generate_series(1, {}) t,"
        " unnest(ARRAY['government','corporate','foundation','public','own']) s",
        TENDERS,
    )
    await fetch(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        " credits_pending, credits_posted, created_at)"
        " VALUES ('external:bank', 'CNY', 0, 0, 0, 0, 0, now()),"
        " ('org:1:payable', 'CNY', 1, 0, 0, 0, 0, now())"
    )
    # Accounts: escrow ids 1..5*TENDERS in (tender, source) order, then bank, payable.
    await fetch(
        "INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency,"
        " kind, reason, reference, tender_id, source, created_at)"
        " SELECT 'bench:' || g,"
        " CASE WHEN g % 20 < 16 THEN {} ELSE 1 + (g % {}) END,"
        " CASE WHEN g % 20 < 16 THEN 1 + (g % {}) WHEN g % 20 < 19 THEN {} ELSE {} END,"
        " 100 + g % 100000, 'CNY', 'single',"
        " CASE WHEN g % 20 < 16 THEN 'donation' WHEN g % 20 < 19 THEN 'release' ELSE 'return' END,"
        " '', 1 + ((g % {}) / 5),"
        " (ARRAY['government','corporate','foundation','public','own'])[1 + (g % {}) % 5],"
        " timestamptz '2021-01-01' + (g % 2190) * interval '1 day' + (g % 86400) * interval '1 s'"
        " FROM generate_series(1, {}) g",
        5 * TENDERS + 1,
        5 * TENDERS,
        5 * TENDERS,
        5 * TENDERS + 2,
        5 * TENDERS + 1,
        5 * TENDERS,
        5 * TENDERS,
        transfers,
    )
    await fetch("ANALYZE")


async def run(args: argparse.Namespace) -> None:
    await recreate(DB)
    _setup_env()
    from market.db import close_pool, start_pool
    from opendata.statistics import district_statistics

    await start_pool()
    try:
        started = time.perf_counter()
        await prepare(args.transfers, args.orgs)
        print(f"set-up: {time.perf_counter() - started:.1f} s")
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = await district_statistics()
            timings.append(time.perf_counter() - started)
        moved = sum(sum(v.values()) for v in result.funds_total.values())
        print(
            f"district_statistics over {args.transfers:,} transfers, {args.orgs:,} orgs:"
            f" best {min(timings) * 1000:.0f} ms, median {stats.median(timings) * 1000:.0f} ms"
            f" ({len(result.funds)} years, {moved:,} fen moved)"
        )
    finally:
        await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
