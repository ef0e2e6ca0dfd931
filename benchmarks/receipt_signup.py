"""Receipt PDF and sign-up latency beside a trivial page, in one run, through the app.

    .venv/bin/python -m benchmarks.receipt_signup [--requests 200] [--pdfs 60] [--signups 40]
                                                  [--postgres]

Set-up (not timed): a scratch database (SQLite in a temp dir, or with `--postgres` the
PostgreSQL database `receipt_bench` at MARKET_BENCH_PG_URL), migrated; a tender that
accepts donations; one sandbox donation made through the donate form, whose page
links the PDF receipt. The receipt font is warmed up as `market serve` does at
start-up. Then it times requests through the whole app (httpx over ASGITransport:
middleware, session, CSRF, queries, rendering):

- `GET /healthz`, the reference for what a trivial request costs on this machine now;
- `GET /donations/{id}/receipt.pdf?ref=…`, the receipt as PDF (Chinese font subset);
- `POST /signup` as a new visitor: a fresh cookie jar, the form page fetched for its
  CSRF token as a browser does (not timed), then the POST with a new e-mail (timed:
  argon2id hashing in a worker thread, the insert, the session).

After each sign-up it also times one bare argon2id hash with the production
parameters (same moment, same load), to show how much of a sign-up is the hash.
Prints median and p95 of each and exits 1 when the receipt PDF median is 300 ms or
more, or the sign-up median 150 ms or more.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import sys
import tempfile
import time

from benchmarks.ledger_pgbench import db_url, recreate
from benchmarks.tender_list import time_cases

PG_DB = "receipt_bench"
PDF_LIMIT_MS = 300.0
SIGNUP_LIMIT_MS = 150.0
TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _setup_env(postgres: bool) -> None:
    os.environ["MARKET_ENV"] = "test"  # plain-HTTP cookies for the in-process client
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789abcdef")
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ.setdefault("MARKET_BID_KEY", "11" * 32)
    if postgres:
        os.environ["DATABASE_URL"] = db_url(PG_DB)
    else:
        scratch = tempfile.mkdtemp(prefix="receipt-bench-")
        os.environ["MARKET_VAR_DIR"] = scratch
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"


def _summary(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


async def csrf_token(client: object, path: str) -> str:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    page = await client.get(path)
    page.raise_for_status()
    match = TOKEN_RE.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def receipt_pdf_path(client: object) -> str:
    """A paid sandbox donation made through the donate form; its PDF receipt's path."""
    import httpx

    from tests.donation_builders import make_tender

    assert isinstance(client, httpx.AsyncClient)
    tender = await make_tender()
    token = await csrf_token(client, f"/tenders/{tender}/donate")
    data = {"amount": "120.50", "provider": "sandbox", "display_name": "张三",
            "on_failure": "refund", "_csrf_token": token}  # fmt: skip
    response = await client.post(f"/tenders/{tender}/donate", data=data)
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    match = re.search(r"/donations/\d+/receipt\.pdf\?ref=[A-Z0-9-]+", page.text)
    assert match, "no PDF link on the donation page"
    return match.group(0)


async def time_signups(
    client: object, count: int
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Sign-ups by new visitors, each followed by one bare argon2id hash with the
    production parameters (no HTTP), so both see the same load on the machine: median
    and p95 (ms) of each, and the median per-sign-up difference (what is not the hash).
    Three warm-up rounds first."""
    import httpx

    from market import accounts

    assert isinstance(client, httpx.AsyncClient)
    hasher = accounts.production_hasher()
    signups, hashes = [], []
    for n in range(count + 3):
        client.cookies.clear()
        token = await csrf_token(client, "/signup")
        data = {"email": f"bench-{time.time_ns()}-{n}@example.org", "display_name": "测试用户",
                "password": "correct horse battery staple", "_csrf_token": token}  # fmt: skip
        started = time.perf_counter()
        response = await client.post("/signup", data=data)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 303, response.text
        started = time.perf_counter()
        hasher.hash("correct horse battery staple")
        hashed = (time.perf_counter() - started) * 1000
        if n >= 3:
            signups.append(elapsed)
            hashes.append(hashed)
    rest = statistics.median(s - h for s, h in zip(signups, hashes, strict=True))
    return _summary(signups), _summary(hashes), rest


async def main(requests: int, pdfs: int, signups: int, postgres: bool) -> int:
    if postgres:
        await recreate(PG_DB)
    _setup_env(postgres)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import httpx

    from composition.app import create_app
    from donors import receipts
    from market.db import close_pool, start_pool
    from market.migrate import migrate

    if receipts.cjk_font() is None:
        print("no CJK font installed (make fonts): the PDF receipt cannot be measured")
        return 1
    await migrate()
    await start_pool()
    receipts.warm_up()  # what `market serve` starts in the background
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            pdf_path = await receipt_pdf_path(client)
            figures = await time_cases(client, {"GET /healthz (reference)": ("/healthz", {})},
                                       requests)  # fmt: skip
            figures |= await time_cases(client, {"GET receipt PDF": (pdf_path, {})}, pdfs)
            signup_figures, hash_figures, rest = await time_signups(client, signups)
            figures["POST /signup (new visitor)"] = signup_figures
            figures["argon2id hash alone (no HTTP)"] = hash_figures
    finally:
        await close_pool()
    engine = "PostgreSQL" if postgres else "SQLite"
    print(f"\nmedian (p95) per request through the app, {engine}, {os.cpu_count()} CPUs")
    for name, (median, p95) in figures.items():
        print(f"{name:<34} {median:8.2f} ms ({p95:7.2f})")
    pdf, signup = figures["GET receipt PDF"][0], figures["POST /signup (new visitor)"][0]
    ok = pdf < PDF_LIMIT_MS and signup < SIGNUP_LIMIT_MS
    print(
        f"\nreceipt PDF median {pdf:.1f} ms (limit {PDF_LIMIT_MS:.0f}),"
        f" sign-up median {signup:.1f} ms (limit {SIGNUP_LIMIT_MS:.0f}): "
        + ("OK" if ok else "TOO SLOW")
    )
    hashing = figures["argon2id hash alone (no HTTP)"][0]
    print(
        f"the argon2id hash alone (t=3, 64 MiB, p=4) takes {hashing:.1f} ms here; a sign-up"
        f" takes {rest:.1f} ms more than the hash after it (median difference: form, CSRF,"
        " insert, session, redirect)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="trivial requests")
    parser.add_argument("--pdfs", type=int, default=60, help="receipt PDFs")
    parser.add_argument("--signups", type=int, default=40, help="sign-ups")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.requests, args.pdfs, args.signups, args.postgres)))
