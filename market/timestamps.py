"""Row values as Python: SQLite hands timestamps and dates back as ISO text,
PostgreSQL as `datetime`/`date`. PURE (no framework imports), so pure modules such
as the OCDS release builder use it too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def timestamp(value: Any) -> Any:
    """A stored timestamp as an aware datetime (naive ones are UTC); None stays None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def day(value: Any) -> date:
    """A stored date (or the date part of a timestamp) as a `date`."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")
