"""The donor's follow-your-yuan view read from the database: a donation is shown only
the tranches released after it was paid, and the read is a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from donors import donations, readmodels
from market.ledger import escrow
from market.ledger import readmodels as ledger_readmodels
from market.money import Money
from tests.builders import make_org, make_user
from tests.donation_builders import make_tender


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL the donor read models send (theirs and the ledger's read contract)."""
    seen: list[str] = []
    for module in (readmodels, ledger_readmodels):
        original = module.execute

        async def counted(sql: str, *args: Any, _original: Any = original) -> Any:
            seen.append(sql)
            return await _original(sql, *args)

        monkeypatch.setattr(module, "execute", counted)
    yield seen


async def donate(tender: int, donor: int, amount: int) -> int:
    started = await donations.start_donation(
        tender_id=tender, amount=Money(amount, "CNY"), provider="sandbox", donor_id=donor
    )
    return int(started.donation_id)


async def release(tender: int, org: int, n: int, amount: int) -> None:
    await escrow.release(
        f"milestone-{tender}-{n}",
        tender_id=tender,
        org_id=org,
        amount=Money(amount, "CNY"),
        actor="t",
        reference=f"milestone:{n}",
    )


async def test_a_later_donation_is_not_told_it_paid_an_earlier_tranche(frozen_clock, queries):
    donor = await make_user()
    org = await make_org()
    tender = await make_tender(status="contracted")
    early = await donate(tender, donor, 300_00)
    frozen_clock.advance(hours=1)
    await release(tender, org, 1, 200_00)  # only the early donation was in the escrow
    frozen_clock.advance(hours=1)
    late = await donate(tender, donor, 100_00)
    frozen_clock.advance(hours=1)
    await release(tender, org, 2, 100_00)  # early still held ¥100, late ¥100

    queries.clear()
    views = {v.id: v for v in await readmodels.my_donations(donor)}
    few = len(queries)
    assert [t.amount for t in views[early].tranches] == [200_00, 50_00]
    assert [t.amount for t in views[late].tranches] == [50_00]
    assert views[late].tranches[0].reference == "milestone:2"

    other = await make_tender(status="contracted")  # more donations, more tenders
    for amount in (10_00, 20_00, 30_00):
        await donate(other, donor, amount)
        await donate(tender, donor, amount)
    frozen_clock.advance(hours=1)
    await release(other, org, 3, 30_00)
    queries.clear()
    views = {v.id: v for v in await readmodels.my_donations(donor)}
    assert len(queries) == few  # the same queries, not one per donation
    assert sum(t.amount for v in views.values() for t in v.tranches) == 300_00 + 30_00
