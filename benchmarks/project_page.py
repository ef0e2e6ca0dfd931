"""Project transparency page latency: a project with 100 transfers vs one with 100,000.

    .venv/bin/python -m benchmarks.project_page [--requests 200] [--small 100] [--large 100000]

Creates the scratch database `project_bench` on the PostgreSQL at MARKET_BENCH_PG_URL
(default postgresql://postgres@127.0.0.1:5432/postgres), applies the migrations, and
COPY-loads two projects (tenders) into the same database: one whose ledger holds
`--small` transfers and one with `--large` (donations and sponsorships into the five
escrow accounts, and four tranches released to the organization), with the cached account
balances set to what the transfers add up to. Then it times requests through the whole
app (httpx over ASGITransport: middleware, session, queries, template) for both
projects in the same run: the full page (funding from cached balances, chart,
milestones, first ledger page), the htmx ledger page half-way down (keyset cursor),
the JSON API and the JSON transfer page. Prints the median and p95 of each and the
ratio large/small, and exits 1 when any median ratio is above 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse, urlunparse

from benchmarks.tender_list import COLUMNS, seed_department, tender_rows, time_cases

ADMIN_URL = os.environ.get("MARKET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "project_bench"
SOURCES = ("government", "corporate", "foundation", "public", "own")
LIMIT = 2.0


def db_url(name: str) -> str:
    return urlunparse(urlparse(ADMIN_URL)._replace(path="/" + name))


async def recreate() -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await conn.close()


async def make_tender(conn: object, n: int, user: int, org: int) -> int:
    (row,) = tender_rows(n, 1, user, org, random.Random(n))
    values = list(row)
    values[COLUMNS.index("status")] = "contracted"
    values[COLUMNS.index("ocid")] = f"ocds-bench-project-{n}"
    await conn.copy_records_to_table(  # type: ignore[attr-defined]
        "market_tender", records=[tuple(values)], columns=COLUMNS
    )
    return int(await conn.fetchval("SELECT max(id) FROM market_tender"))  # type: ignore[attr-defined]


async def account(conn: object, code: str) -> int:
    return int(
        await conn.fetchval(  # type: ignore[attr-defined]
            "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
            " credits_pending, credits_posted, created_at) VALUES ($1, 'CNY', 0, 0, 0, 0, 0, $2)"
            " ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id",
            code,
            datetime.now(UTC),
        )
    )


TRANSFER_COLUMNS = (
    "key", "debit_account", "credit_account", "amount", "currency", "kind", "reason",
    "reference", "tender_id", "source", "created_at",
)  # fmt: skip


async def load_project(conn: object, tender: int, count: int, payee_org: int) -> float:
    """`count` posted transfers of the tender: funding into escrow by source and four
    releases (tranches) to the organization; cached balances set to match."""
    rng = random.Random(tender)
    escrow = {s: await account(conn, f"tender:{tender}:escrow:{s}") for s in SOURCES}
    externals = [await account(conn, c) for c in ("external:sandbox", "external:bank")]
    payable = await account(conn, f"org:{payee_org}:payable")
    debits: dict[int, int] = {}
    credits: dict[int, int] = {}
    held = dict.fromkeys(SOURCES, 0)
    rows = []
    # The same four tranches in every project, spread over its ledger: pages then
    # differ only in how many transfers lie behind them.
    releases = [count * k // 5 for k in range(1, 5)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(count):
        at = start + timedelta(seconds=n * 7)
        source = SOURCES[n % len(SOURCES)]
        if n in releases and held[source] > 1000:
            amount, debit, credit = held[source] // 2, escrow[source], payable
            reason, reference = "release", f"tranche:{releases.index(n) + 1}"
            held[source] -= amount
        else:
            amount = rng.randrange(1_00, 5_000_00)
            debit, credit = externals[n % 2], escrow[source]
            reason = "donation" if source == "public" else "sponsorship"
            reference = f"{reason}:{n}"
            held[source] += amount
        debits[debit] = debits.get(debit, 0) + amount
        credits[credit] = credits.get(credit, 0) + amount
        rows.append((f"bench:{tender}:{n}", debit, credit, amount, "CNY", "single", reason,
                     reference, tender, source, at))  # fmt: skip
        if len(rows) == 20_000:
            await conn.copy_records_to_table(  # type: ignore[attr-defined]
                "ledger_transfer", records=rows, columns=TRANSFER_COLUMNS
            )
            rows = []
    if rows:
        await conn.copy_records_to_table(  # type: ignore[attr-defined]
            "ledger_transfer", records=rows, columns=TRANSFER_COLUMNS
        )
    for account_id in set(debits) | set(credits):
        await conn.execute(  # type: ignore[attr-defined]
            "UPDATE ledger_account SET debits_posted = debits_posted + $2,"
            " credits_posted = credits_posted + $3 WHERE id = $1",
            account_id,
            debits.get(account_id, 0),
            credits.get(account_id, 0),
        )
    return time.perf_counter() - started


async def measure(client: object, tender: int, requests: int) -> dict[str, tuple[float, float]]:
    """name → (median ms, p95 ms) over `requests` requests after a warm-up."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    # A cursor half-way down the ledger, found by walking the JSON pages.
    first = (await client.get(f"/api/v1/projects/{tender}/transfers?limit=500")).json()
    total = int(
        (await client.get(f"/api/v1/projects/{tender}")).json()["totals"]["received"]["amount"]
    )
    assert total > 0
    ids = [item["id"] for item in first["items"]]
    middle = (max(ids) + min(ids)) // 2 if first["next_cursor"] is None else None
    if middle is None:
        import asyncpg

        conn = await asyncpg.connect(db_url(BENCH_DB))
        lo, hi = await conn.fetchrow(
            "SELECT min(id), max(id) FROM ledger_transfer WHERE tender_id = $1", tender
        )
        await conn.close()
        middle = (lo + hi) // 2
    cases = {
        "project page (full HTML)": (f"/projects/{tender}", {}),
        "ledger page half-way (htmx)": (
            f"/projects/{tender}?before={middle}",
            {"HX-Request": "true"},
        ),
        "JSON /api/v1/projects/{id}": (f"/api/v1/projects/{tender}", {}),
        "JSON transfers page": (f"/api/v1/projects/{tender}/transfers?before={middle}", {}),
    }
    return await time_cases(client, cases, requests)


async def main(requests: int, small: int, large: int) -> int:
    await recreate()
    os.environ["DATABASE_URL"] = db_url(BENCH_DB)
    os.environ["MARKET_ENV"] = "test"
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789abcdef")
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    import logging

    import asyncpg
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from composition.app import create_app
    from market.db import close_pool, start_pool
    from market.migrate import migrate

    await migrate()
    conn = await asyncpg.connect(db_url(BENCH_DB))
    user, org = await seed_department(conn)
    small_tender = await make_tender(conn, 4, user, org)
    large_tender = await make_tender(conn, 12, user, org)
    seconds = await load_project(conn, small_tender, small, org)
    print(f"project {small_tender}: loaded {small:,} transfers in {seconds:.1f} s")
    seconds = await load_project(conn, large_tender, large, org)
    print(f"project {large_tender}: loaded {large:,} transfers in {seconds:.1f} s")
    await conn.execute("ANALYZE")
    await conn.close()
    await start_pool()
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        before = await measure(client, small_tender, requests)
        after = await measure(client, large_tender, requests)
    await close_pool()
    print(f"\nmedian (p95) latency per request, {requests} requests each, PostgreSQL")
    print(f"{'request':<30} {small:>9,} transfers {large:>9,} transfers   ratio")
    worst = 0.0
    for name in before:
        (m1, p1), (m2, p2) = before[name], after[name]
        worst = max(worst, m2 / m1)
        print(f"{name:<30} {m1:7.2f} ms ({p1:5.1f}) {m2:9.2f} ms ({p2:5.1f})   {m2 / m1:5.2f}x")
    verdict = "OK" if worst <= LIMIT else "TOO SLOW"
    print(f"\nworst median ratio {worst:.2f}x (limit {LIMIT:.0f}x): {verdict}")
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.requests, args.small, args.large)))
