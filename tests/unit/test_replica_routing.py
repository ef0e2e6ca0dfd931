"""The replica router's pure parts: dating a replica's replayed WAL position against
the primary's samples, choosing a replica within the staleness bound that has the
reader's own write, the read-your-writes cookie, and the settings that turn it on."""

from __future__ import annotations

import time
from collections import deque
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import ConfigurationError
from market.replicas import NEVER, Replica, Router, fresh_as_of, parse_wrote
from market.settings import load_settings
from market.web import page_store
from market.web.reads import wants_replica

PG = "postgresql://u@db:5432/market"


@given(
    steps=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=30),
    replayed=st.integers(min_value=0, max_value=40_000),
)
def test_a_replica_is_dated_by_the_latest_primary_position_it_has_replayed(
    steps: list[int], replayed: int
) -> None:
    positions, at = [], 0
    for step in steps:  # the primary's position only moves forward
        at += step
        positions.append(at)
    samples = deque((float(i), p) for i, p in enumerate(positions))
    dated = fresh_as_of(samples, replayed)
    covered = [i for i, p in enumerate(positions) if p <= replayed]
    if not covered:
        assert dated is None
    else:
        assert dated == float(max(covered))  # nothing later is held, everything before is


def router(*replicas: Replica, bound: float = 1.0) -> Router:
    return Router(list(replicas), bound)


def test_only_a_replica_within_the_bound_is_chosen() -> None:
    now = time.monotonic()
    fresh = Replica("replica0", None, replayed=500, fresh_as_of=now - 0.2)
    stale = Replica("replica1", None, replayed=900, fresh_as_of=now - 1.5)
    unknown = Replica("replica2", None)
    chooser = router(fresh, stale, unknown)
    assert {chooser.pick().name for _ in range(6)} == {"replica0"}  # type: ignore[union-attr]
    assert router(stale, unknown).pick() is None


def test_a_writer_reads_only_from_a_replica_that_has_its_write() -> None:
    now = time.monotonic()
    behind = Replica("replica0", None, replayed=400, fresh_as_of=now)
    ahead = Replica("replica1", None, replayed=800, fresh_as_of=now)
    chooser = router(behind, ahead)
    assert {chooser.pick(wrote=600).name for _ in range(4)} == {"replica1"}  # type: ignore[union-attr]
    assert router(behind).pick(wrote=600) is None
    assert {chooser.pick().name for _ in range(4)} == {"replica0", "replica1"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("0", 0), ("123456789", 123456789), ("", NEVER), ("12a", NEVER),
     ("1" * 21, NEVER), ("-5", NEVER), ("1/2", NEVER)],
)  # fmt: skip
def test_the_write_cookie_is_a_position_or_reads_from_the_primary(
    raw: str | None, expected: int | None
) -> None:
    assert parse_wrote(raw) == expected
    if expected == NEVER:
        replica = Replica("replica0", None, replayed=2**62, fresh_as_of=time.monotonic())
        assert router(replica).pick(wrote=parse_wrote(raw)) is None


def test_replica_settings_are_checked_at_start() -> None:
    ok = load_settings({"DATABASE_URL": PG, "DATABASE_REPLICA_URLS": f"{PG}, {PG}2"})
    assert ok.replica_urls == (PG, f"{PG}2") and ok.replica_max_lag_ms == 1000
    with pytest.raises(ConfigurationError, match="not a PostgreSQL URL"):
        load_settings({"DATABASE_URL": PG, "DATABASE_REPLICA_URLS": "mysql://x@y/z"})
    with pytest.raises(ConfigurationError, match="needs a PostgreSQL DATABASE_URL"):
        load_settings({"DATABASE_REPLICA_URLS": PG})  # beside SQLite
    with pytest.raises(ConfigurationError, match="at least 1"):
        load_settings({"DATABASE_URL": PG, "MARKET_REPLICA_MAX_LAG_MS": "0"})


def test_metrics_token_and_drain_settings_are_checked_at_start() -> None:
    assert load_settings({}).metrics_token == ""
    assert load_settings({"MARKET_METRICS_TOKEN": "t" * 16}).metrics_token == "t" * 16
    for bad in ("short", "has a space in it!!", "tab\there-and-long-enough"):
        with pytest.raises(ConfigurationError, match="MARKET_METRICS_TOKEN"):
            load_settings({"MARKET_METRICS_TOKEN": bad})
    assert load_settings({}).drain_seconds == 0
    prod = {"MARKET_ENV": "prod", "SECRET_KEY": "s" * 32, "MARKET_BID_KEY": "b" * 64,
            "DATABASE_URL": PG}  # fmt: skip
    assert load_settings(prod).drain_seconds == 5
    for bad in ("-1", "121", "soon"):
        with pytest.raises(ConfigurationError, match="MARKET_DRAIN_SECONDS"):
            load_settings({"MARKET_DRAIN_SECONDS": bad})


class _Handler:
    opt: ClassVar[dict[str, str]] = {"reads": "replica"}


def test_a_page_rendered_for_the_page_cache_reads_from_the_primary() -> None:
    """The cache keeps a page as current for the data version it read on the primary; a
    replica behind that version would keep a page missing a change until the next one."""
    scope: dict[str, object] = {"route_handler": _Handler(), "method": "GET", "state": {}}
    assert wants_replica(scope)  # type: ignore[arg-type]
    scope["state"] = {page_store.FILLING: True}
    assert not wants_replica(scope)  # type: ignore[arg-type]
    scope["state"] = {"principal": object()}
    assert not wants_replica(scope)  # type: ignore[arg-type]
