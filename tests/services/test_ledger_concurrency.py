"""PostgreSQL, real separate connections: many writers on the same few accounts.

120 tasks fund and release through the same tender escrow while 25 tasks race to
post one pending transfer; a watcher takes snapshots all along. Exactly one post
wins, no limit is ever broken, every snapshot sums to zero, and afterwards
`market ledger check` and the audit chain pass.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from market.errors import DomainError
from market.ledger import escrow, rules
from market.ledger.check import run_checks
from market.ledger.rules import SOURCES, TransferRequest, escrow_code
from market.ledger.services import create_transfers, ensure_accounts, get_account
from market.money import Money
from market.sql import execute
from tests.builders import chained_and_verified

pytestmark = pytest.mark.postgres_only

SNAPSHOT = """
SELECT currency,
       SUM(credits_posted - debits_posted) AS posted,
       SUM(credits_pending - debits_pending) AS pending,
       SUM(CASE WHEN flags = 1 AND debits_posted + debits_pending > credits_posted
           THEN 1 ELSE 0 END) AS broken,
       SUM(CASE WHEN debits_pending < 0 OR credits_pending < 0 THEN 1 ELSE 0 END) AS negative
FROM ledger_account GROUP BY currency
"""


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def test_concurrent_funding_releases_and_racing_posts(fresh_db: None) -> None:
    codes = [escrow_code(1, s) for s in SOURCES]
    await ensure_accounts(["external:bank", *codes, "org:1:payable", "org:2:payable"], "CNY")
    for source in SOURCES:
        await escrow.fund(
            f"seed:{source}",
            tender_id=1,
            source=source,
            from_code="external:bank",
            amount=cny(10_000),
            actor="test",
        )
    await escrow.hold(
        "race",
        debit=codes[3],
        credit="org:1:payable",
        amount=cny(5_000),
        actor="test",
        reason="milestone",
        tender_id=1,
        source="public",
    )

    rng = random.Random(7)
    outcomes: dict[str, list[str]] = {"fund": [], "release": [], "post": []}
    stop = asyncio.Event()
    snapshots: list[tuple[str, int, int, int, int]] = []

    async def watcher() -> None:
        while not stop.is_set():
            for row in await execute(SNAPSHOT):
                snapshots.append(
                    (
                        row["currency"],
                        int(row["posted"]),
                        int(row["pending"]),
                        int(row["broken"]),
                        int(row["negative"]),
                    )
                )
            await asyncio.sleep(0)

    async def fund(i: int) -> None:
        await escrow.fund(
            f"fund:{i}",
            tender_id=1,
            source=rng.choice(SOURCES),
            from_code="external:bank",
            amount=cny(rng.randint(1, 3_000)),
            actor=f"donor:{i}",
        )
        outcomes["fund"].append("ok")

    async def release(i: int) -> None:
        try:
            await escrow.release(
                f"rel:{i}",
                tender_id=1,
                org_id=1 + i % 2,
                amount=cny(rng.randint(500, 6_000)),
                actor=f"dept:{i}",
            )
            outcomes["release"].append("ok")
        except rules.ExceedsCredits:
            outcomes["release"].append("refused")

    async def post(i: int) -> None:
        req = TransferRequest(
            key=f"post:{i}", kind="post", amount=None if i % 2 else 4_000, pending_key="race"
        )
        try:
            await create_transfers([req], actor=f"approver:{i}")
            outcomes["post"].append("ok")
        except DomainError as exc:
            outcomes["post"].append(type(exc).__name__)

    watch = asyncio.create_task(watcher())
    tasks = [fund(i) for i in range(60)] + [release(i) for i in range(60)]
    tasks += [post(i) for i in range(25)]
    rng.shuffle(tasks)
    await asyncio.gather(*tasks)
    stop.set()
    await watch

    assert outcomes["post"].count("ok") == 1
    assert set(outcomes["post"]) == {"ok", "PendingAlreadyResolved"}
    assert len(outcomes["fund"]) == 60 and len(outcomes["release"]) == 60
    assert outcomes["release"].count("ok") > 10
    assert len(snapshots) > 10
    for currency, posted, pending, broken, negative in snapshots:
        assert (currency, posted, pending, broken, negative) == ("CNY", 0, 0, 0, 0)
    report = await run_checks()
    assert report.ok, report.summary()
    chain = await chained_and_verified()
    assert chain.ok, chain.summary()
    payable = (await get_account("org:1:payable")).posted.amount
    payable += (await get_account("org:2:payable")).posted.amount
    released = await execute(
        "SELECT SUM(amount) AS s FROM ledger_transfer"
        " WHERE credit_account IN (SELECT id FROM ledger_account"
        " WHERE code LIKE 'org:%') AND kind IN ('single', 'post')"
    )
    assert payable == int(released[0]["s"])
