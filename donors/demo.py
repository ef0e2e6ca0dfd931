"""Demo funding for the Minghu district: match pledges, donations and sponsorships
spread over the demo tenders (all through the services, paid in the sandbox), so
every funding, donor and sponsor page shows real numbers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from donors import contributions, donations, payments, pledges
from donors.rules import OPEN_STATUSES
from market import clock
from market.money import Money
from market.tenders.readmodels import tenders_in_status

NAMES = ["王女士", "李先生", "陈阿姨", "Zhang Wei", "刘同学", "黄老师", "", "赵家人", "Emily"]
MESSAGES = ["加油！", "为社区出一份力", "Thank you for caring for our elders.", "", "", "支持公益"]


async def create_funding(demo: Any) -> dict[str, int]:
    """Pledges from the first company and foundation, then donations and a few
    sponsorships on every open tender. Deterministic (seeded)."""
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    now = clock.now()
    made = {"pledges": 0, "donations": 0, "sponsorships": 0}
    sponsor_user = demo.users.get("sponsor")
    foundation_user = demo.users.get("foundation")
    company = next(iter(demo.companies.values()), None)
    foundation = next(iter(demo.foundations.values()), None)
    if company and sponsor_user:
        await pledges.create_pledge(
            sponsor_id=company, user_id=sponsor_user, sponsor_kind="company",
            ratio_sponsor=1, ratio_donor=1, per_donation_cap=200_00, total_cap=20_000_00,
            valid_from=now - timedelta(days=30), valid_until=now + timedelta(days=180),
            provider="sandbox", note="明湖公益月 1:1 配捐",
        )  # fmt: skip
        made["pledges"] += 1
    if foundation and foundation_user:
        await pledges.create_pledge(
            sponsor_id=foundation, user_id=foundation_user, sponsor_kind="foundation",
            ratio_sponsor=2, ratio_donor=1, per_donation_cap=100_00, total_cap=5_000_00,
            valid_from=now - timedelta(days=10), valid_until=now + timedelta(days=60),
            categories=frozenset({"charity", "community_services"}), provider="sandbox",
            note="Elder-care and community match, 2:1",
        )  # fmt: skip
        made["pledges"] += 1
    if foundation and foundation_user and demo.users.get("operator"):
        await _late_pledge_prepayment(foundation, foundation_user, demo.users["operator"], now)
        made["pledges"] += 1
    tenders = await tenders_in_status(OPEN_STATUSES)
    donor = demo.users.get("donor")
    for i, (tender_id, _) in enumerate(tenders):
        for j in range(rng.randint(1, 3)):
            amount = rng.choice([20, 50, 88, 100, 200, 500, 1000]) * 100
            await donations.start_donation(
                tender_id=tender_id,
                amount=Money(amount, "CNY"),
                provider="bank_transfer" if (i + j) % 11 == 5 else "sandbox",
                donor_id=donor if j == 0 else None,
                display_name=rng.choice(NAMES),
                message=rng.choice(MESSAGES),
                anonymous=rng.random() < 0.2,
                on_failure="community_fund" if rng.random() < 0.3 else "refund",
            )
            made["donations"] += 1
        if company and sponsor_user and i % 4 == 0:
            await contributions.contribute(
                kind="sponsorship", tender_id=tender_id, organization_id=company,
                organization_kind="company", user_id=sponsor_user,
                amount=Money(rng.choice([5_000, 10_000, 20_000]) * 100, "CNY"),
                provider="sandbox", note="企业定向资助",
            )  # fmt: skip
            made["sponsorships"] += 1
    return made


async def _late_pledge_prepayment(foundation: int, user: int, operator: int, now: datetime) -> None:
    """A pledge whose bank transfer came only after its payment window had closed: the
    pledge lapsed, and the money waits in the operator's refund queue."""
    _, payment, _ = await pledges.create_pledge(
        sponsor_id=foundation, user_id=user, sponsor_kind="foundation",
        ratio_sponsor=1, ratio_donor=1, per_donation_cap=50_00, total_cap=1_000_00,
        valid_from=now - timedelta(days=20), valid_until=now + timedelta(days=40),
        provider="bank_transfer", note="Winter appeal match (paid too late)",
    )  # fmt: skip
    await payments.fail_payment(int(payment["id"]), reason=payments.EXPIRED)
    await payments.record_bank_transfer(
        reference_code=payment["reference_code"],
        amount=1_000_00,
        currency="CNY",
        bank_reference="BOC 2026-11 0417",
        operator_id=operator,
    )
