"""Donors web layer: parse → one service call → render."""

from typing import Any

from donors.controllers.webhooks import StripeWebhookController

DONOR_CONTROLLERS: list[Any] = [StripeWebhookController]
