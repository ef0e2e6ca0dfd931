"""The job runner: a due job runs once and is recorded; failures are recorded, backed
off and never stop the others; a claimed job is left alone; the loop stops promptly."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from market import clock, jobs
from market.errors import ConfigurationError
from market.jobs import Job, runner
from market.jobs.claims import claim
from market.jobs.runner import Worker, run_due, run_job, status
from market.jobs.runs import KEEP, Run, history, record
from market.jobs.worker import start_inline, stop_inline
from market.settings import load_settings
from market.sql import execute
from tests.builders import login, make_operator, make_user

MINUTE = timedelta(minutes=1)


class Counting:
    """A job that counts its calls; `fail` makes it raise instead."""

    def __init__(self, fail: str = "") -> None:
        self.calls: list[datetime] = []
        self.fail = fail

    async def __call__(self, now: datetime) -> dict[str, int]:
        self.calls.append(now)
        if self.fail:
            raise RuntimeError(self.fail)
        return {"done": len(self.calls)}


async def runs_of(name: str) -> list[dict[str, object]]:
    rows = await execute(
        "SELECT worker, outcome, counts, error FROM market_job_run WHERE job = {} ORDER BY id",
        name,
    )
    return [dict(row) for row in rows]


async def test_a_due_job_runs_once_and_is_recorded(frozen_clock: clock.FrozenClock) -> None:
    fn = Counting()
    job = Job("test.count", fn, MINUTE)
    first = await run_job(job, worker="host-a:1")
    again = await run_job(job, worker="host-b:2")
    assert (first.status, first.counts) == ("ok", {"done": 1})
    assert again.status == "not_due"
    assert fn.calls == [frozen_clock.at]
    rows = await runs_of("test.count")
    assert [(r["worker"], r["outcome"], json.loads(str(r["counts"]))) for r in rows] == [
        ("host-a:1", "ok", {"done": 1})
    ]
    frozen_clock.advance(seconds=59)
    assert (await run_job(job, worker="host-b:2")).status == "not_due"
    frozen_clock.advance(seconds=1)
    assert (await run_job(job, worker="host-b:2")).status == "ok"
    assert len(fn.calls) == 2


async def test_a_failing_job_is_recorded_backs_off_and_does_not_stop_the_others(
    frozen_clock: clock.FrozenClock,
) -> None:
    broken, fine = Counting(fail="provider down " * 500), Counting()
    work = [Job("test.broken", broken, MINUTE), Job("test.fine", fine, MINUTE)]
    outcomes = await run_due(work, worker="w:1")
    assert [o.status for o in outcomes] == ["error", "ok"]
    rows = await runs_of("test.broken")
    assert rows[0]["outcome"] == "error"
    assert str(rows[0]["error"]).startswith("RuntimeError: provider down")
    assert len(str(rows[0]["error"])) == 2000  # truncated
    frozen_clock.advance(minutes=1)  # first failure: retried one interval later
    assert [o.status for o in await run_due(work, worker="w:1")] == ["error", "ok"]
    frozen_clock.advance(minutes=1)  # second failure: two intervals
    assert [o.status for o in await run_due(work, worker="w:1")] == ["not_due", "ok"]
    frozen_clock.advance(minutes=1)
    broken.fail = ""
    assert [o.status for o in await run_due(work, worker="w:1")] == ["ok", "ok"]
    assert (await history("test.broken")).failures == 0
    assert len(broken.calls) == 3 and len(fine.calls) == 4


async def test_bad_counts_and_timeouts_are_failures(frozen_clock: clock.FrozenClock) -> None:
    async def no_counts(now: datetime) -> dict[str, int]:
        return None  # type: ignore[return-value]

    async def slow(now: datetime) -> dict[str, int]:
        await asyncio.sleep(5)
        return {}

    bad = await run_job(Job("test.nocounts", no_counts, MINUTE), worker="w:1")
    late = await run_job(
        Job("test.slow", slow, MINUTE, timeout=timedelta(milliseconds=50)), worker="w:1"
    )
    assert (bad.status, late.status) == ("error", "error")
    assert "TypeError" in bad.error and late.error == "TimeoutError"
    assert [r["outcome"] for r in await runs_of("test.slow")] == ["error"]


async def test_a_forced_run_ignores_the_schedule(frozen_clock: clock.FrozenClock) -> None:
    fn = Counting()
    job = Job("test.forced", fn, timedelta(days=1))
    await run_job(job, worker="w:1")
    assert (await run_job(job, worker="w:1", force=True)).status == "ok"
    assert len(fn.calls) == 2


async def test_a_job_claimed_by_another_worker_is_left_alone(
    frozen_clock: clock.FrozenClock,
) -> None:
    fn = Counting()
    job = Job("test.claimed", fn, MINUTE)
    async with claim("test.claimed") as held:
        assert held
        async with claim("test.claimed") as second:
            assert not second
        assert (await run_job(job, worker="w:2")).status == "busy"
    assert fn.calls == []
    assert await runs_of("test.claimed") == []
    assert (await run_job(job, worker="w:2")).status == "ok"


async def test_old_runs_are_pruned_but_never_the_last_success(
    frozen_clock: clock.FrozenClock,
) -> None:
    long_ago = clock.now() - KEEP - timedelta(days=1)
    await record(Run("test.prune", "w:1", long_ago, long_ago, "ok", {}))
    fail_at = long_ago + timedelta(hours=1)
    await record(Run("test.prune", "w:1", fail_at, fail_at, "error", {}, "boom"))
    assert (await history("test.prune")).failures == 1
    fn = Counting()
    await run_job(Job("test.prune", fn, MINUTE), worker="w:1")
    assert [r["outcome"] for r in await runs_of("test.prune")] == ["ok"]
    assert (await history("test.prune")).last_ok == frozen_clock.at


async def test_the_worker_loop_runs_every_job_and_stops_promptly(
    fresh_db: None, frozen_clock: clock.FrozenClock
) -> None:
    # fresh_db: each job's loop uses connections of its own, as in production
    broken, fine = Counting(fail="boom"), Counting()
    worker = Worker([Job("test.loop.broken", broken, MINUTE), Job("test.loop.fine", fine, MINUTE)])
    task = asyncio.create_task(worker.run())
    for _ in range(200):
        if broken.calls and fine.calls:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 2)  # sleeping loops wake at once on stop
    assert (len(broken.calls), len(fine.calls)) == (1, 1)  # the frozen clock: not due again
    assert [r["outcome"] for r in await runs_of("test.loop.fine")] == ["ok"]


async def test_a_session_job_resumes_at_once_after_the_database_was_unreachable(
    fresh_db: None, frozen_clock: clock.FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failover the audit sequencer resumes within seconds, not after its
    interval; a job that fails on its own (a bug) still waits its backoff."""
    monkeypatch.setattr(runner, "UNAVAILABLE_WAIT", 0.05)
    calls = 0

    async def chain(now: datetime) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 18340)")
        return {"chained": 1}

    every_10ms = timedelta(milliseconds=10)
    buggy = Counting(fail="a bug")
    worker = Worker(
        [Job("test.resume", chain, MINUTE, repeat=every_10ms),
         Job("test.resume.bug", buggy, MINUTE, repeat=every_10ms)]
    )  # fmt: skip
    task = asyncio.create_task(worker.run())
    for _ in range(250):
        if calls >= 2:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert calls >= 2  # resumed well within its one-minute interval
    assert len(buggy.calls) == 1  # backs off one interval
    rows = await runs_of("test.resume")
    assert [r["outcome"] for r in rows] == ["error", "ok"]
    assert str(rows[0]["error"]).startswith("ConnectionRefusedError")


async def test_status_shows_each_job_next_due_time_and_latest_run(
    frozen_clock: clock.FrozenClock,
) -> None:
    job = Job("test.status", Counting(), MINUTE)
    never = await status([job])
    assert never == [
        {"job": "test.status", "every_seconds": 60, "next_due": None, "last_run": None}
    ]
    await run_job(job, worker="w:1")
    [shown] = await status([job])
    assert shown["next_due"] == frozen_clock.at + MINUTE
    last = shown["last_run"]
    assert isinstance(last, dict)
    assert (last["outcome"], last["counts"], last["worker"]) == ("ok", {"done": 1}, "w:1")


async def test_operators_alone_see_the_jobs_latest_runs(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/api/v1/system/jobs")
    assert anonymous.status_code == 401
    await make_user("plain-jobs@example.org")
    await login(client, "plain-jobs@example.org")
    assert (await client.get("/api/v1/system/jobs")).status_code == 403
    await make_operator("operator-jobs@example.org")
    await login(client, "operator-jobs@example.org")
    response = await client.get("/api/v1/system/jobs")
    assert response.status_code == 200
    names = [row["job"] for row in response.json()]
    assert names == [job.name for job in jobs.registered()]


def test_the_inline_worker_is_on_in_dev_only_unless_told() -> None:
    assert load_settings({"MARKET_ENV": "dev"}).worker_inline
    assert not load_settings({"MARKET_ENV": "test"}).worker_inline
    assert not load_settings({"MARKET_ENV": "dev", "MARKET_WORKER_INLINE": "0"}).worker_inline
    assert load_settings({"MARKET_ENV": "test", "MARKET_WORKER_INLINE": "1"}).worker_inline
    with pytest.raises(ConfigurationError):
        load_settings({"MARKET_ENV": "test", "MARKET_WORKER_INLINE": "yes"})


async def test_the_inline_worker_starts_with_the_server_and_stops_with_it(
    fresh_db: None,
) -> None:
    app = SimpleNamespace(state=SimpleNamespace())
    start_inline(app)
    assert [job.name for job in app.state.worker.jobs] == [j.name for j in jobs.registered()]
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_inline(app), 2)  # waiting out its start delay: stops at once
    assert app.state.worker_task.done()
    assert await execute("SELECT id FROM market_job_run") == []


async def test_a_session_job_repeats_within_one_recorded_run_until_stopped() -> None:
    stop = asyncio.Event()
    calls = 0

    async def chain(now: datetime) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 3:
            stop.set()  # as the worker's SIGTERM does: the session ends at its next pause
        return {"chained": 2}

    job = Job("test.session", chain, MINUTE, repeat=timedelta(milliseconds=10))
    outcome = await run_job(job, worker="w:1", stop=stop)
    assert (outcome.status, outcome.counts, calls) == ("ok", {"chained": 6}, 3)
    assert [r["outcome"] for r in await runs_of("test.session")] == ["ok"]  # one row
    once = await run_job(job, worker="w:1", force=True)  # `--job`, `--once`: one call
    assert (once.counts, calls) == ({"chained": 2}, 4)
    assert (await run_job(job, worker="w:1")).status == "not_due"  # `--once` keeps `every`
    restarted = await run_job(job, worker="w:2", stop=stop)  # a session is due at once
    assert (restarted.status, restarted.counts, calls) == ("ok", {"chained": 2}, 5)


def test_a_session_repeats_more_often_than_it_starts() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Job("test.bad", Counting(), MINUTE, repeat=MINUTE)
