"""Donors web layer: parse → one service call → render."""

from typing import Any

from donors.controllers.donate import DonateController
from donors.controllers.refunds import RefundController
from donors.controllers.sponsors import SponsorController
from donors.controllers.webhooks import StripeWebhookController

DONOR_CONTROLLERS: list[Any] = [
    DonateController,
    SponsorController,
    RefundController,
    StripeWebhookController,
]
