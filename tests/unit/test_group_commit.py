"""`market.group_commit`: what arrives while a batch is written joins the next batch;
each caller gets its own item's outcome, in any arrival pattern."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.group_commit import GroupCommit


class Writer:
    """Doubles each item after a pause (a transaction); odd items fail alone."""

    def __init__(self, pause: float = 0.001) -> None:
        self.pause = pause
        self.batches: list[list[int]] = []

    async def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(self.pause)
        return [ValueError(i) if i % 2 else 2 * i for i in items]


async def _submit(group: GroupCommit[int, int], item: int) -> int | str:
    try:
        return await group.submit(item)
    except ValueError as exc:
        return f"error {exc}"


def test_a_lone_request_is_a_batch_of_one() -> None:
    writer = Writer()
    group = GroupCommit(writer)
    assert asyncio.run(group.submit(4)) == 8
    assert writer.batches == [[4]]


def test_what_arrives_during_a_write_is_written_together_next() -> None:
    writer = Writer(pause=0.01)
    group = GroupCommit(writer, max_batch=3)

    async def scene() -> list[int | str]:
        first = asyncio.create_task(_submit(group, 0))
        await asyncio.sleep(0.002)  # the first batch is being written
        rest = [asyncio.create_task(_submit(group, i)) for i in range(1, 6)]
        return [await first, *[await t for t in rest]]

    assert asyncio.run(scene()) == [0, "error 1", 4, "error 3", 8, "error 5"]
    assert writer.batches == [[0], [1, 2, 3], [4, 5]]


def test_a_failing_write_fails_every_caller_of_its_batch_only() -> None:
    calls = 0

    async def flaky(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.005)
        if calls == 1:
            raise RuntimeError("database gone")
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(flaky)

    async def scene() -> list[object]:
        first = asyncio.create_task(group.submit(1))
        await asyncio.sleep(0.001)
        second = asyncio.create_task(group.submit(2))
        return list(await asyncio.gather(first, second, return_exceptions=True))

    first, second = asyncio.run(scene())
    assert isinstance(first, RuntimeError) and second == 2


def test_a_wrong_number_of_outcomes_is_an_error_not_a_wrong_answer() -> None:
    async def short(items: Sequence[int]) -> list[int | BaseException]:
        return list(items)[:-1]

    group: GroupCommit[int, int] = GroupCommit(short)
    with pytest.raises(RuntimeError, match="wrong number"):
        asyncio.run(group.submit(1))


def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    writer = Writer(pause=0.01)
    group = GroupCommit(writer)

    async def scene() -> tuple[bool, int | str]:
        first = asyncio.create_task(_submit(group, 0))
        await asyncio.sleep(0.002)
        gone = asyncio.create_task(_submit(group, 2))
        kept = asyncio.create_task(_submit(group, 4))
        await asyncio.sleep(0)
        gone.cancel()
        await first
        return gone.cancelled() or isinstance(gone.exception(), asyncio.CancelledError), await kept

    assert asyncio.run(scene()) == (True, 8)
    assert writer.batches == [[0], [2, 4]]  # the cancelled item was still written


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommit(Writer(), max_batch=0)


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.sampled_from([0, 0, 0, 0.001, 0.003]), min_size=1, max_size=30),
    max_batch=st.integers(min_value=1, max_value=8),
)
def test_any_arrival_pattern_answers_each_caller_its_own_item(
    gaps: list[float], max_batch: int
) -> None:
    writer = Writer(pause=0.002)
    group = GroupCommit(writer, max_batch=max_batch)

    async def scene() -> list[int | str]:
        tasks = []
        for i, gap in enumerate(gaps):
            tasks.append(asyncio.create_task(_submit(group, i)))
            if gap:
                await asyncio.sleep(gap)
        return [await t for t in tasks]

    answers = asyncio.run(scene())
    assert answers == [f"error {i}" if i % 2 else 2 * i for i in range(len(gaps))]
    # Every item written exactly once, in arrival order, no batch over the bound.
    assert [i for b in writer.batches for i in b] == list(range(len(gaps)))
    assert all(1 <= len(b) <= max_batch for b in writer.batches)
