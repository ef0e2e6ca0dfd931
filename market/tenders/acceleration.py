"""The accelerated sandbox (ProZorro's `accelerator`): a training tender whose periods
run `factor` times faster than real time. PURE (no framework imports).

Outside production a department may draft a tender with an acceleration factor
(1 = real time, the only value production accepts). Every period the kernel and the
bids app compute is derived through ONE function, `accelerated(duration, factor)`:
the real-time duration divided by the factor. `accelerated_at(anchor, at, factor)` is
that function applied to the distance from an anchor — the tender's publication for
the enquiry end, bid deadline and opening (the form's dates are written as for a real
tender and compressed towards the moment of publication), the award for the standstill
and its complaint window, the contract's drafting for milestone due dates. Factor 1 is
the identity everywhere, so a real tender's dates are exactly what they were.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from market.errors import ValidationFailed

REAL_TIME = 1
MAX_FACTOR = 86_400  # a day in a second: a whole lifecycle in a few minutes


def accelerated(duration: timedelta, factor: int) -> timedelta:
    """The real-time `duration` as it runs in a tender accelerated `factor` times."""
    if factor == REAL_TIME:
        return duration
    if not REAL_TIME <= factor <= MAX_FACTOR:
        raise ValueError(f"acceleration factor out of range: {factor}")
    return duration / factor


def accelerated_at(anchor: datetime, at: datetime, factor: int) -> datetime:
    """The moment `at`, a real-time distance after `anchor`, in the accelerated tender."""
    return anchor + accelerated(at - anchor, factor)


def end_of_day(day: date) -> datetime:
    """The first instant after `day` (UTC): a date's deadline as a moment."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def is_sandbox(factor: int) -> bool:
    return factor != REAL_TIME


def check_factor(raw: str, *, allowed: bool) -> int:
    """The draft form's `acceleration` field: empty means real time; anything else is a
    whole number from 1 to MAX_FACTOR, and only where the sandbox is allowed."""
    raw = raw.strip()
    if not raw or raw == str(REAL_TIME):
        return REAL_TIME
    if not allowed:
        raise ValidationFailed.single(
            "acceleration",
            "Sandbox tenders are not available here: this is the production system.",
        )
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_FACTOR)):
        raise ValidationFailed.single("acceleration", ACCELERATION_RANGE)
    factor = int(raw)
    if not REAL_TIME <= factor <= MAX_FACTOR:
        raise ValidationFailed.single("acceleration", ACCELERATION_RANGE)
    return factor


ACCELERATION_RANGE = "The acceleration is a whole number from 1 to 86400."
