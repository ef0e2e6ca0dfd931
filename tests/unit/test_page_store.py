"""The page cache's pure parts (market/web/page_cache.py): the stable order of a query
string's parameters, the byte-bounded LRU of pages, and when a page is current."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from market import clock
from market.web import page_store
from market.web.page_cache import DataVersion
from market.web.page_store import MAX_AGE, Page, PageStore, stable_query


def page(size: int, **fields: object) -> Page:
    return Page(200, (), (b"x" * size,), (), None, **fields)  # type: ignore[arg-type]


def test_parameters_are_ordered_by_name_and_a_names_values_keep_their_order() -> None:
    assert stable_query(b"status=a&category=b") == stable_query(b"category=b&status=a")
    assert stable_query(b"b=2&a=1&b=1&&") == b"a=1&b=2&b=1"
    assert stable_query(b"a=1&a=2") != stable_query(b"a=2&a=1")  # the first one counts
    assert stable_query(b"") == b""


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "q"]), st.text("xyz=%+", max_size=3))))
def test_reordering_keeps_every_parameter(pairs: list[tuple[str, str]]) -> None:
    query = "&".join(f"{k}={v}" for k, v in pairs).encode()
    ordered = [p for p in stable_query(query).split(b"&") if p]
    assert sorted(ordered) == sorted(p for p in query.split(b"&") if p)


def test_the_store_keeps_its_byte_budget_dropping_the_least_recently_used() -> None:
    store = PageStore(max_bytes=8_000)
    for n in range(5):
        store.put(("/", str(n).encode(), "en", False), page(1_000))
    store.get(("/", b"0", "en", False))  # used: kept
    for n in range(5, 12):
        store.put(("/", str(n).encode(), "en", False), page(1_000))
    assert store.bytes <= 8_000 and len(store) == 8
    assert store.get(("/", b"0", "en", False)) is not None
    assert store.get(("/", b"1", "en", False)) is None
    store.put(("/big", b"", "en", False), page(1_001))  # over an eighth: never stored
    assert store.get(("/big", b"", "en", False)) is None and store.bytes <= 8_000


def test_a_page_is_current_until_its_version_its_age_or_a_change_here_says_otherwise() -> None:
    fc = clock.FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    clock.set_clock(fc)
    try:
        made = page(10, version=("v", 1), made=time.monotonic(), at=fc.at,
                    local=page_store.changes())  # fmt: skip
        assert made.fresh() and made.current(("v", 1)) and not made.current(("v", 2))
        stale = page(10, version=("v", 1), made=time.monotonic() - 1, at=fc.at,
                     local=page_store.changes())  # fmt: skip
        assert not stale.fresh() and stale.current(("v", 1))
        fc.advance(seconds=MAX_AGE.total_seconds() + 1)  # what the time shows moves on
        assert not made.fresh() and not made.current(("v", 1))
        fc.set(made.at - timedelta(seconds=1))  # a clock set back
        assert not made.current(("v", 1))
        fc.set(made.at)
        page_store.note_change()  # this process changed something
        assert not made.fresh() and not made.current(("v", 1))
    finally:
        clock.set_clock(None)


async def test_the_data_version_is_read_once_per_interval_and_once_at_a_time() -> None:
    reads = []

    async def read() -> int:
        reads.append(1)
        await asyncio.sleep(0.01)
        return len(reads)

    version = DataVersion(read, every=60)
    assert await asyncio.gather(*(version.current() for _ in range(20))) == [1] * 20
    assert await version.current() == 1 and len(reads) == 1  # within the interval
    page_store.note_change()  # this process changed something: read again at once
    assert await version.current() == 2
    version.every = 0.05
    await asyncio.sleep(0.1)
    assert await version.current() == 3
