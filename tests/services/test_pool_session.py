"""No later borrower of a pooled connection inherits a session setting or lock: a job's
advisory claim and the outbox's `SET synchronous_commit TO OFF` are undone by asyncpg's
reset when the connection goes back (a pool that skipped that reset for every connection
to save a round trip let donations commit unflushed). The reset is skipped only for a
connection an `atomic()` transaction gave back, and no code sets session state inside
one (market.db.reset_session)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from market.db import engine
from market.jobs.claims import claim
from market.outbox.marking import marker


async def _every_pooled_session(sql: str) -> list[Any]:
    """`sql` on every connection the pool holds (all borrowed at once)."""
    pool: Any = engine().pool  # type: ignore[attr-defined]
    held = [await pool.acquire(timeout=10) for _ in range(pool.get_max_size())]
    try:
        return [await c.fetchval(sql) for c in held]
    finally:
        for c in held:
            await pool.release(c)


@pytest.mark.postgres_only
async def test_the_outbox_marks_unflushed_commits_on_its_own_session_only(
    fresh_db: None,
) -> None:
    async with marker() as mark:
        assert mark is not None  # the run's own connection: synchronous_commit off
    assert set(await _every_pooled_session("SHOW synchronous_commit")) == {"on"}


@pytest.mark.postgres_only
async def test_a_jobs_advisory_claim_is_not_left_on_a_pooled_session(fresh_db: None) -> None:
    async with claim("pool-session-test") as held:
        assert held
    locks = await _every_pooled_session(
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    assert set(locks) == {0}


@pytest.mark.postgres_only
async def test_a_transaction_leaves_its_connection_as_it_found_it(fresh_db: None) -> None:
    """The pool skips asyncpg's reset for a connection an `atomic()` transaction gave
    back; what that transaction set for itself ended with it."""
    from market.db import atomic
    from market.sql import execute

    async with atomic():
        await execute("SET LOCAL synchronous_commit TO OFF")
        await execute("SELECT pg_advisory_xact_lock(4242)")
    with pytest.raises(ZeroDivisionError):
        async with atomic():
            await execute("SET LOCAL statement_timeout TO 1234")
            raise ZeroDivisionError
    assert set(await _every_pooled_session("SHOW synchronous_commit")) == {"on"}
    assert set(await _every_pooled_session("SHOW statement_timeout")) == {"0"}
    locks = await _every_pooled_session(
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    assert set(locks) == {0}


# What only a session undoes (asyncpg's reset query does: RESET ALL, advisory unlock,
# UNLISTEN, CLOSE ALL). Allowed only where a connection is borrowed outside a
# transaction, and so reset in full when it goes back (market.db.reset_session).
_SESSION_STATE = re.compile(
    r"\(\s*f?[\"']\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)"
    r"|pg_(try_)?advisory_lock(_shared)?\s*\(|[\"']\s*LISTEN\s|\bWITH HOLD\b|set_config\s*\("
)
_SESSION_STATE_ALLOWED = {"market/outbox/marking.py", "market/jobs/claims.py"}


def test_only_connections_borrowed_outside_a_transaction_change_the_session() -> None:
    root = Path(__file__).resolve().parents[2]
    found = []
    for app in ("market", "bids", "donors", "notify", "opendata", "funds", "composition"):
        for path in sorted((root / app).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if "piccolo_migrations" in name or name in _SESSION_STATE_ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if _SESSION_STATE.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "session state set on a pooled connection:\n" + "\n".join(found)
    for name in _SESSION_STATE_ALLOWED:  # the pattern still finds what it is for
        assert _SESSION_STATE.search((root / name).read_text()), name
