"""The demo district's money from outside the budget, as it came in: match pledges
prepaid by a company and a foundation (one old pledge that expired, its unused
balance returned by the expiry job), donations by card (sandbox, a few declined) or
bank transfer (recorded by the operator when the money showed on the statement; the
latest still awaited), and sponsorships. The donations to tenders that were later
cancelled or ended without a contract are refunded by the settlement job.
"""

from __future__ import annotations

from datetime import datetime

from composition.demo_cast import DAY, Cast
from composition.demo_timeline import Story
from donors import contributions, donations, payments, pledges
from donors.rules import OPEN_STATUSES
from donors.tender_facts import tender_info
from market.money import Money

NAMES = ["王女士", "李先生", "陈阿姨", "Zhang Wei", "刘同学", "黄老师", "", "赵家人", "Emily"]
MESSAGES = ["加油！", "为社区出一份力", "Thank you for caring for our elders.", "", "", "支持公益"]
AMOUNTS_YUAN = (20, 50, 88, 100, 200, 500, 1000)
BANK_DELAY = 2 * DAY  # a bank transfer shows on the statement two days later


async def donations_story(
    cast: Cast, tender_id: int, start: datetime, end: datetime, open_today: bool
) -> Story:
    """One to three donations (one more while the tender is still open) between
    `start` and `end`."""
    rng = cast.rng
    count = rng.randint(1, 3) + int(open_today)
    moments = sorted(start + (end - start) * rng.random() for _ in range(count))
    for j, moment in enumerate(moments):
        yield moment
        if not await _accepts_money(tender_id):  # ended early: the donate button is gone
            return
        by_bank = rng.random() < 0.15 and (open_today or moment + BANK_DELAY < end)
        declined = not by_bank and rng.random() < 0.1
        started = await donations.start_donation(
            tender_id=tender_id,
            amount=Money(rng.choice(AMOUNTS_YUAN) * 100, "CNY"),
            provider="bank_transfer" if by_bank else "sandbox",
            donor_id=cast.user("donor") if j == 0 else None,
            display_name=rng.choice(NAMES),
            message=rng.choice(MESSAGES),
            anonymous=rng.random() < 0.2,
            on_failure="community_fund" if rng.random() < 0.3 else "refund",
            sandbox_outcome="decline" if declined else "approve",
        )
        if by_bank:
            await cast.timeline.add(_bank_statement(cast, started.payment_id, moment))


async def bank_donation(cast: Cast, tender_id: int, at: datetime) -> Story:
    """A resident's bank transfer, recorded when it shows on the statement."""
    yield at
    started = await donations.start_donation(
        tender_id=tender_id,
        amount=Money(300_00, "CNY"),
        provider="bank_transfer",
        display_name="周先生",
        email="zhou@example.org",
        on_failure="refund",
    )
    await cast.timeline.add(_bank_statement(cast, started.payment_id, at))


async def _bank_statement(cast: Cast, payment_id: int, sent: datetime) -> Story:
    """The operator records the transfer once it shows on the bank statement (the
    timeline drops this when that is after today: the transfer is still awaited)."""
    yield sent + BANK_DELAY
    payment = await payments.get_payment(payment_id)
    await payments.record_bank_transfer(
        reference_code=payment["reference_code"],
        amount=int(payment["amount"]),
        currency=payment["currency"],
        bank_reference=f"MHB{payment_id:08d}",
        operator_id=cast.operator,
    )


async def _accepts_money(tender_id: int) -> bool:
    return (await tender_info(tender_id)).status in OPEN_STATUSES


async def sponsorship(cast: Cast, tender_id: int, at: datetime) -> Story:
    yield at
    if not await _accepts_money(tender_id):
        return
    await contributions.contribute(
        kind="sponsorship",
        tender_id=tender_id,
        organization_id=cast.demo.companies["smart_mfg"],
        organization_kind="company",
        user_id=cast.user("sponsor"),
        amount=Money(cast.rng.choice((5_000, 10_000, 20_000)) * 100, "CNY"),
        provider="sandbox",
        note="企业定向资助",
    )


async def pledges_story(cast: Cast) -> Story:
    """Three prepaid match pledges: an old 1:1 from the company that has expired, a
    current 1:1 from the company and a 2:1 from the foundation for elder care and
    community services."""
    now = cast.now
    company, foundation = ("companies", "smart_mfg"), ("foundations", "community_dev")
    terms = (
        (now - 771 * DAY, company, "sponsor", "company", 1, 200_00, 5_000_00, (769, -400),
         frozenset(), "明湖公益月 1:1 配捐（往年）"),
        (now - 31 * DAY, company, "sponsor", "company", 1, 200_00, 20_000_00, (30, 180),
         frozenset(), "明湖公益月 1:1 配捐"),
        (now - 11 * DAY, foundation, "foundation", "foundation", 2, 100_00, 5_000_00, (10, 60),
         frozenset({"charity", "community_services"}), "Elder-care and community match, 2:1"),
    )  # fmt: skip
    for created, sponsor, user, kind, ratio, cap, total, (since, until), categories, note in terms:
        yield created  # the sponsor has joined by then
        group, slug = sponsor
        await pledges.create_pledge(
            sponsor_id=getattr(cast.demo, group)[slug],
            user_id=cast.user(user),
            sponsor_kind=kind,
            ratio_sponsor=ratio,
            ratio_donor=1,
            per_donation_cap=cap,
            total_cap=total,
            valid_from=now - since * DAY,
            valid_until=now + until * DAY,
            categories=categories,
            provider="sandbox",
            note=note,
        )
        cast.timeline.due(now + until * DAY)  # expiry returns what is left
