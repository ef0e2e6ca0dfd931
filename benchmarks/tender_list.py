"""Public tender list latency with 1,000 vs 100,000 tenders in the database.

    .venv/bin/python -m benchmarks.tender_list [--requests 300] [--large 100000]

Creates the scratch database `tender_bench` on the PostgreSQL at MARKET_BENCH_PG_URL
(default postgresql://postgres@127.0.0.1:5432/postgres), applies the migrations,
bulk-loads 1,000 published tenders with COPY (spread over 5 years, every public
status, six categories, 40 areas), ANALYZEs, and times requests through the whole
app (httpx over ASGITransport: middleware, session, query, template): the full list
page, the htmx fragment with filters (status + category + budget range), a page
deep in the keyset (the cursor of row ~900), and the JSON API. Then it loads more
tenders up to 100,000 and measures the same requests again. Prints the median and
p95 of each and the ratio large/small; a ratio near 1 means the page cost does not
grow with the table (keyset pagination over partial indexes, no COUNT/OFFSET).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse, urlunparse

ADMIN_URL = os.environ.get("MARKET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "tender_bench"
CATEGORIES = (
    "software_services",
    "science_technology",
    "dispute_mediation",
    "coordination_management",
    "charity",
    "community_services",
)
STATUSES = ("published", "tendering", "evaluation", "awarded", "contracted", "completed",
            "cancelled", "unsuccessful")  # fmt: skip
AREAS = [f"街道{n:02d}" for n in range(40)]
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 5 * 365 * 24 * 3600


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


async def seed_department(conn: object) -> tuple[int, int]:
    now = datetime.now(UTC)
    user = await conn.fetchval(  # type: ignore[attr-defined]
        "INSERT INTO market_user (email, display_name, password_hash, platform_role, locale,"
        " active, created_at) VALUES ('bench@example.org', 'Bench', 'x', '', '', true, $1)"
        " RETURNING id",
        now,
    )
    org = await conn.fetchval(  # type: ignore[attr-defined]
        "INSERT INTO market_organization (kind, name_zh, name_en, uscc, category, rating, status,"
        " area, description_zh, description_en, contact_email, created_at, submitted_at,"
        " decision_due_at, decision_reason, version) VALUES ('department', '明湖区民政局',"
        " 'Civil Affairs Bureau', '11330199MB00000191', '', '', 'verified', '', '', '', '',"
        " $1, $1, $1, '', 1) RETURNING id",
        now,
    )
    return int(user), int(org)


COLUMNS = (
    "ocid", "department", "created_by", "title_zh", "title_en", "description_zh",
    "description_en", "category", "area_level", "area", "currency", "budget", "goal_corporate",
    "goal_foundation", "goal_public", "goal_own", "min_bids", "criteria", "enquiry_end",
    "bid_deadline", "opening_at", "status", "published_at", "status_changed_at",
    "amendment_count", "cancel_reason", "budget_hold_key", "qa_salt", "version", "created_at",
    "updated_at",
)  # fmt: skip


def tender_rows(first: int, count: int, user: int, org: int, rng: random.Random) -> list[tuple]:
    rows = []
    criteria = '[{"is_price":true,"key":"price","name":"Price","weight":30},' \
        '{"is_price":false,"key":"c1","name":"Plan","weight":70}]'  # fmt: skip
    for n in range(first, first + count):
        published = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        enquiry = published + timedelta(days=7)
        deadline = published + timedelta(days=21)
        rows.append((
            f"ocds-bench-{n}", org, user, f"社区服务项目 {n}", f"Community service tender {n}",
            "为辖区居民提供公共服务。" * 5, "Public services for residents. " * 5,
            CATEGORIES[n % len(CATEGORIES)], "street", AREAS[n % len(AREAS)], "CNY",
            rng.randrange(10_000, 2_000_000) * 100, 0, 0, 0, 0, 2, criteria, enquiry, deadline,
            deadline + timedelta(hours=1), STATUSES[n % len(STATUSES)], published, published,
            0, "", "", "00" * 16, 1, published, published,
        ))  # fmt: skip
    return rows


async def load(conn: object, first: int, count: int, user: int, org: int) -> float:
    rng = random.Random(first)
    started = time.perf_counter()
    for offset in range(0, count, 20_000):
        batch = tender_rows(first + offset, min(20_000, count - offset), user, org, rng)
        await conn.copy_records_to_table(  # type: ignore[attr-defined]
            "market_tender", records=batch, columns=COLUMNS
        )
    await conn.execute("ANALYZE market_tender")  # type: ignore[attr-defined]
    return time.perf_counter() - started


async def time_cases(
    client: object, cases: dict[str, tuple[str, dict[str, str]]], requests: int
) -> dict[str, tuple[float, float]]:
    """Median and p95 (ms) of `requests` GETs per case, after 20 warm-up requests."""
    results = {}
    for name, (path, headers) in cases.items():
        for _ in range(20):
            (await client.get(path, headers=headers)).raise_for_status()
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        timings.sort()
        results[name] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1])
    return results


async def measure(client: object, requests: int) -> dict[str, tuple[float, float]]:
    """name → (median ms, p95 ms) over `requests` requests after a warm-up."""
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    deep = (await client.get("/api/v1/tenders?limit=100")).json()
    cursor = deep["next_cursor"]
    for _ in range(8):  # walk ~900 rows deep
        cursor = (await client.get(f"/api/v1/tenders?limit=100&after={cursor}")).json()[
            "next_cursor"
        ]
    cases = {
        "list page (full HTML)": ("/tenders", {}),
        "filtered fragment (htmx)": (
            "/tenders?status=tendering&category=software_services&budget_min=100000"
            "&budget_max=1500000",
            {"HX-Request": "true"},
        ),
        "page ~900 rows deep": (f"/tenders?after={cursor}", {"HX-Request": "true"}),
        "JSON API /api/v1/tenders": ("/api/v1/tenders", {}),
    }
    return await time_cases(client, cases, requests)


async def main(requests: int, small: int, large: int) -> None:
    await recreate()
    os.environ["DATABASE_URL"] = db_url(BENCH_DB)
    os.environ["MARKET_ENV"] = "test"  # no dev ticker, no Secure-cookie exemptions needed
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789abcdef")
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    import asyncpg
    import httpx

    from composition.app import create_app
    from market.db import close_pool, start_pool
    from market.migrate import migrate

    await migrate()
    conn = await asyncpg.connect(db_url(BENCH_DB))
    user, org = await seed_department(conn)
    seconds = await load(conn, 0, small, user, org)
    print(f"loaded {small:,} tenders in {seconds:.1f} s")
    await start_pool()
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        before = await measure(client, requests)
        seconds = await load(conn, small, large - small, user, org)
        print(f"loaded {large - small:,} more tenders in {seconds:.1f} s")
        after = await measure(client, requests)
    await conn.close()
    await close_pool()
    print(f"\nmedian (p95) latency per request, {requests} requests each, PostgreSQL")
    print(f"{'request':<28} {small:>10,} tenders {large:>10,} tenders   ratio")
    for name in before:
        (m1, p1), (m2, p2) = before[name], after[name]
        print(f"{name:<28} {m1:7.2f} ms ({p1:5.1f}) {m2:7.2f} ms ({p2:5.1f})   {m2 / m1:5.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.small, args.large))
