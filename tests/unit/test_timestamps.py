"""Stored row values read the same from SQLite (ISO text) and PostgreSQL (objects)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from market.timestamps import day, timestamp


def test_text_and_objects_give_the_same_aware_instant() -> None:
    at = datetime(2026, 11, 27, 5, 0, 1, 250, tzinfo=UTC)
    assert timestamp(at.isoformat()) == at
    assert timestamp(str(at)) == at  # sqlite3's adapter writes a space, not a "T"
    assert timestamp(at) is at
    shanghai = at.astimezone(timezone(timedelta(hours=8)))
    assert timestamp(shanghai.isoformat()) == at


def test_naive_values_are_utc_and_none_stays_none() -> None:
    assert timestamp("2026-11-27 05:00:00") == datetime(2026, 11, 27, 5, tzinfo=UTC)
    assert timestamp(None) is None


def test_day_from_text_dates_and_timestamps() -> None:
    assert day("2026-03-11") == date(2026, 3, 11)
    assert day("2026-03-11 23:59:59+00:00") == date(2026, 3, 11)
    assert day(datetime(2026, 3, 11, 1, tzinfo=UTC)) == date(2026, 3, 11)
    assert day(date(2026, 3, 11)) == date(2026, 3, 11)
    with pytest.raises(TypeError):
        day(None)
