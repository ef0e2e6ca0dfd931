"""The demo's time machine: stories of the district's life, run in the order they
happened, under the injectable clock.

A story is an async generator that yields the moment it wants to act next; the code
after the `yield` runs with `market.clock` set to that moment. The timeline always
resumes the earliest story (ties in the order the stories were added). At the
moments stories announce with `due()` — a deadline, an expiry, a cancellation or a
completion to settle — it runs the platform's time-driven jobs, as `market worker`
would have: the chronograph (`tenders.tick`), the opening of bids, pledge expiry, the
settlement of failed and completed tenders (with their refunds), the OCDS budget
releases of processes whose funding changed (so the demo ends with its open data up
to date) and the year end of closed budget years. So deadlines, openings and
settlements happen in the demo exactly as in production, and nothing writes a status
or a balance itself. (Running the jobs only
when something can be due, not at every step, is what keeps the demo fast.)
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime

from composition import jobs
from market import clock

Story = AsyncGenerator[datetime, None]
Jobs = Callable[[datetime], Awaitable[None]]


class StoryOutOfOrder(RuntimeError):
    """A story asked to act before the moment it is already at."""


async def run_jobs(now: datetime) -> None:
    """One pass of the time-driven jobs that move the district's processes."""
    await jobs.tenders_tick(now)
    await jobs.bids_open(now)
    await jobs.pledges_expire(now)
    await jobs.payments_expire(now)
    await jobs.donations_settle(now)
    await jobs.ocds_funding(now)  # the budget releases of processes whose funding changed
    await jobs.budget_year_end(now)  # closed budget years: the lines' free money back


class Timeline:
    def __init__(self, start: datetime, jobs: Jobs = run_jobs) -> None:
        self.at = start
        self._run_jobs = jobs
        self._clock = clock.FrozenClock(start)
        self._queue: list[tuple[datetime, int, Story]] = []
        self._order = itertools.count()
        self._due: list[datetime] = []
        self._jobs_at: datetime | None = None
        self.steps = 0
        self.job_runs = 0

    def due(self, at: datetime) -> None:
        """Run the jobs at `at` (before any story acting at that same moment)."""
        if at < self.at:
            raise StoryOutOfOrder(f"jobs asked for {at.isoformat()} at {self.at.isoformat()}")
        heapq.heappush(self._due, at)

    async def add(self, story: Story) -> None:
        """Schedule a story (it runs up to its first `yield` lazily: that first
        yield must come before anything the story does)."""
        try:
            first = await anext(story)
        except StopAsyncIteration:
            return
        self._push(first, story)

    def _push(self, at: datetime, story: Story) -> None:
        if at < self.at:
            raise StoryOutOfOrder(f"a story asked for {at.isoformat()} at {self.at.isoformat()}")
        heapq.heappush(self._queue, (at, next(self._order), story))

    def _move_to(self, at: datetime) -> None:
        self.at = at
        self._clock.set(at)

    async def _jobs(self, at: datetime) -> None:
        self._move_to(at)
        if self._jobs_at != at:
            await self._run_jobs(at)
            self._jobs_at = at
            self.job_runs += 1

    def _next(self, until: datetime) -> datetime | None:
        moments = [self._queue[0][0]] if self._queue else []
        first = min(moments + self._due[:1], default=None)
        return first if first is not None and first <= until else None

    async def run(self, until: datetime) -> None:
        """Every story up to `until` (a story that wants a later moment stops there),
        then the jobs once more at `until`. The clock is restored afterwards."""
        saved = clock._now
        clock.set_clock(self._clock)
        try:
            while (at := self._next(until)) is not None:
                if self._due and self._due[0] == at:
                    heapq.heappop(self._due)
                    await self._jobs(at)
                    continue
                _, _, story = heapq.heappop(self._queue)
                self._move_to(at)
                self.steps += 1
                try:
                    following = await anext(story)
                except StopAsyncIteration:
                    continue
                self._push(following, story)
            await self._jobs(until)
        finally:
            for _, _, story in self._queue:  # wanted a moment after `until`
                await story.aclose()
            self._queue.clear()
            self._due.clear()
            clock.set_clock(saved)
