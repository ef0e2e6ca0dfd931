"""The demo's time machine: stories run in time order under the clock, the jobs at
the moments announced (before the stories of that moment), the clock restored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from composition.demo_timeline import Story, StoryOutOfOrder, Timeline
from market import clock

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def recorder() -> tuple[list[tuple[str, datetime]], Timeline]:
    seen: list[tuple[str, datetime]] = []

    async def jobs(now: datetime) -> None:
        seen.append(("jobs", now))

    return seen, Timeline(START, jobs=jobs)


async def story(name: str, offsets: list[int], seen: list[tuple[str, datetime]]) -> Story:
    for hours in offsets:
        yield START + hours * HOUR
        seen.append((name, clock.now()))


async def test_stories_interleave_in_time_order_ties_in_the_order_added() -> None:
    seen, timeline = recorder()
    await timeline.add(story("a", [0, 3, 5], seen))
    await timeline.add(story("b", [1, 3, 4], seen))
    before = clock._now
    await timeline.run(until=START + 10 * HOUR)
    names = [(n, int((at - START) / HOUR)) for n, at in seen if n != "jobs"]
    assert names == [("a", 0), ("b", 1), ("a", 3), ("b", 3), ("b", 4), ("a", 5)]
    assert seen[-1] == ("jobs", START + 10 * HOUR)  # once more at the end
    assert clock._now is before  # the clock the timeline found is back


async def test_the_jobs_run_at_the_moments_announced_before_that_moments_stories() -> None:
    seen, timeline = recorder()

    async def announcing() -> Story:
        yield START
        timeline.due(START + 2 * HOUR)
        timeline.due(START + 2 * HOUR)  # twice: still one run
        yield START + 2 * HOUR
        seen.append(("after", clock.now()))

    await timeline.add(announcing())
    await timeline.run(until=START + 3 * HOUR)
    assert seen == [
        ("jobs", START + 2 * HOUR),
        ("after", START + 2 * HOUR),
        ("jobs", START + 3 * HOUR),
    ]
    assert timeline.job_runs == 2


async def test_a_story_cannot_go_back_in_time() -> None:
    seen, timeline = recorder()
    await timeline.add(story("late", [5, 4], seen))
    with pytest.raises(StoryOutOfOrder):
        await timeline.run(until=START + 10 * HOUR)


async def test_stories_wanting_a_moment_after_the_end_are_closed() -> None:
    seen, timeline = recorder()
    closed = []

    async def long() -> Story:
        try:
            yield START
            yield START + 100 * HOUR
            seen.append(("never", clock.now()))
        finally:
            closed.append(True)

    await timeline.add(long())
    await timeline.run(until=START + HOUR)
    assert closed == [True] and ("never", START + 100 * HOUR) not in seen
