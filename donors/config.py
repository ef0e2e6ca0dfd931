"""Donors settings, read once from the environment (like market.settings)."""

from __future__ import annotations

import os
from functools import lru_cache

from donors.rules import DonationLimits


@lru_cache(maxsize=1)
def donation_limits() -> DonationLimits:
    """MARKET_DONATION_MIN / MARKET_DONATION_MAX in minor units (default ¥1 – ¥100,000)."""
    defaults = DonationLimits()
    return DonationLimits(
        minimum=int(os.environ.get("MARKET_DONATION_MIN", defaults.minimum)),
        maximum=int(os.environ.get("MARKET_DONATION_MAX", defaults.maximum)),
    )
