"""A resident's card gift to their community's fund through a real Stripe-compatible
server (localstripe): confirmed only by its signed webhook, into the fund once."""

from __future__ import annotations

import asyncio

from funds import gifts
from market.ledger.check import run_checks
from market.ledger.codes import community_fund_code
from market.money import Money
from market.sql import execute
from tests.fund_builders import balance, make_fund
from tests.stripe.conftest import StripeStack
from tests.stripe.test_stripe_donations import wait_for


async def test_a_card_gift_enters_the_fund_once_by_the_signed_webhook(
    stripe_stack: StripeStack,
) -> None:
    world = await make_fund()
    started = await gifts.start_gift(
        fund_id=world.fund_id,
        amount=Money(88_00, "CNY"),
        provider="stripe",
        payment_method="pm_card_visa",
        display_name="陈阿姨",
    )
    assert started.started.outcome == "awaiting"
    assert started.started.provider_ref.startswith("pi_")
    await wait_for("SELECT id FROM funds_gift WHERE id = {} AND status = 'paid'", started.gift_id)
    await asyncio.sleep(1.5)  # any redelivery would have landed by now
    moved = await execute(
        "SELECT kind, reason, amount FROM ledger_transfer WHERE reference = {}",
        f"fund_gift:{started.gift_id}",
    )
    assert [(m["kind"], m["reason"], m["amount"]) for m in moved] == [
        ("single", "fund_gift", 88_00)
    ]
    assert await balance(community_fund_code(world.place_id)) == (88_00, 0)
    assert (await run_checks()).ok
