"""Donors settings, read once from the environment (like market.settings)."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache

from donors.rules import DonationLimits
from market.settings import get_settings


@lru_cache(maxsize=1)
def donation_limits() -> DonationLimits:
    """MARKET_DONATION_MIN / MARKET_DONATION_MAX in minor units (default ¥1 – ¥100,000)."""
    defaults = DonationLimits()
    return DonationLimits(
        minimum=int(os.environ.get("MARKET_DONATION_MIN", defaults.minimum)),
        maximum=int(os.environ.get("MARKET_DONATION_MAX", defaults.maximum)),
    )


def payment_window(provider: str) -> timedelta:
    """How long a payment by `provider` may stay unconfirmed before it fails
    (MARKET_PAYMENT_WINDOW_CARD_MINUTES for Stripe and the sandbox,
    MARKET_PAYMENT_WINDOW_BANK_DAYS for bank transfers)."""
    settings = get_settings()
    if provider == "bank_transfer":
        return timedelta(days=settings.payment_window_bank_days)
    return timedelta(minutes=settings.payment_window_card_minutes)


def public_unpaid_limit() -> int:
    """MARKET_PUBLIC_UNPAID_LIMIT: awaiting donations one client may hold (default 3)."""
    return get_settings().public_unpaid_limit
