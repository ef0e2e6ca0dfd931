"""Audit chain: rows are appended queued and chained by the sequencer, contiguous and
hash-linked; tampering is reported at the first broken index; a row left queued past
the maximum merge delay fails verification."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import pytest

from market import clock
from market.audit import (
    GENESIS,
    MAX_MERGE_DELAY,
    append_audit,
    canonical_json,
    chain_head,
    queued_count,
    sequence_queued,
    verify_chain,
)
from market.db import atomic, is_postgres
from market.sql import execute


async def _allow_tampering() -> None:
    """What an attacker with database rights does first (rolled back after the test)."""
    if is_postgres():
        await execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    else:
        await execute("DROP TRIGGER audit_event_append_only")


@pytest.fixture
async def chain() -> None:
    for i in range(1, 8):
        await append_audit("user:1", "tender.publish", "tender", i, {"amount": i * 100, "名": "区"})
    assert await sequence_queued() == 7


def test_canonical_json_is_sorted_compact_and_utf8() -> None:
    assert canonical_json({"b": 1, "a": "é 区"}) == '{"a":"é 区","b":1}'


async def test_appends_are_contiguous_and_hash_linked(chain: None) -> None:
    rows = await execute("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 8))
    assert rows[0]["prev_hash"] == GENESIS
    for prev, row in itertools.pairwise(rows):
        assert row["prev_hash"] == prev["hash"]
    assert await chain_head() == (7, rows[-1]["hash"])


async def test_a_row_is_queued_until_the_sequencer_chains_it() -> None:
    record = await append_audit("user:9", "tender.publish", "tender", "1", {})
    queued = await execute("SELECT seq, prev_hash, hash FROM audit_event WHERE id = {}", record.id)
    assert dict(queued[0]) == {"seq": None, "prev_hash": None, "hash": None}
    assert await chain_head() == (0, GENESIS)
    assert (await queued_count())[0] == 1
    assert await sequence_queued() == 1
    assert await sequence_queued() == 0  # chained once only
    chained = await execute("SELECT seq, hash FROM audit_event WHERE id = {}", record.id)
    assert await chain_head() == (1, chained[0]["hash"]) and chained[0]["seq"] == 1
    assert (await queued_count())[0] == 0


async def test_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    record = await append_audit("user:9", "bid.submit", "bid", "42", {"receipt": "abc"})
    await sequence_queued()
    row = (await execute("SELECT seq, prev_hash, hash FROM audit_event WHERE id = {}", record.id))[
        0
    ]
    body = canonical_json(
        {
            "seq": row["seq"],
            "at": record.at.isoformat(timespec="microseconds"),
            "actor": "user:9",
            "action": "bid.submit",
            "object_type": "bid",
            "object_id": "42",
            "change": {"receipt": "abc"},
        }
    )
    expected = hashlib.sha256((row["prev_hash"] + body).encode()).hexdigest()
    assert row["hash"] == expected


async def test_untouched_chain_verifies(chain: None) -> None:
    status = await verify_chain()
    assert status.ok and status.length == 7 and status.first_broken is None
    assert "OK" in status.summary() and "0 queued" in status.summary()


async def test_verify_counts_queued_rows_and_fails_past_the_merge_delay(
    chain: None, frozen_clock: clock.FrozenClock
) -> None:
    await append_audit("user:1", "tender.publish", "tender", 8, {})
    status = await verify_chain()
    assert status.ok and status.length == 7 and status.queued == 1, status.summary()
    frozen_clock.advance(seconds=(MAX_MERGE_DELAY + timedelta(seconds=1)).total_seconds())
    stalled = await verify_chain()
    assert not stalled.ok and stalled.queued == 1 and "audit.sequence" in stalled.reason
    assert "BROKEN in its queue" in stalled.summary()
    await sequence_queued()
    assert (await verify_chain()).ok


async def test_changing_one_byte_is_reported_at_that_row(chain: None) -> None:
    await _allow_tampering()
    row = (await execute("SELECT change FROM audit_event WHERE seq = 4"))[0]
    tampered = row["change"].replace("400", "900")
    assert tampered != row["change"]
    await execute("UPDATE audit_event SET change = {} WHERE seq = 4", tampered)
    status = await verify_chain()
    assert not status.ok and status.first_broken == 4
    assert "BROKEN at index 4" in status.summary()


async def test_changing_the_actor_is_reported(chain: None) -> None:
    await _allow_tampering()
    await execute("UPDATE audit_event SET actor = 'user:2' WHERE seq = 2")
    assert (await verify_chain()).first_broken == 2


async def test_deleting_a_row_is_reported_at_the_gap(chain: None) -> None:
    await _allow_tampering()
    await execute("DELETE FROM audit_event WHERE seq = 3")
    status = await verify_chain()
    assert status.first_broken == 3 and "missing" in status.reason


async def test_deleting_the_last_row_is_reported_against_the_head(chain: None) -> None:
    await _allow_tampering()
    await execute("DELETE FROM audit_event WHERE seq = 7")
    assert (await verify_chain()).first_broken == 7


async def test_swapping_two_rows_is_reported_at_the_first(chain: None) -> None:
    await _allow_tampering()
    await execute("UPDATE audit_event SET seq = -1 WHERE seq = 2")
    await execute("UPDATE audit_event SET seq = 2 WHERE seq = 5")
    await execute("UPDATE audit_event SET seq = 5 WHERE seq = -1")
    assert (await verify_chain()).first_broken == 2


async def test_rewriting_a_row_with_a_fresh_hash_breaks_the_next_row(chain: None) -> None:
    await _allow_tampering()
    await execute("UPDATE audit_event SET hash = {} WHERE seq = 6", "f" * 64)
    assert (await verify_chain()).first_broken == 6


async def test_unchaining_a_row_is_reported_at_its_place(chain: None) -> None:
    await _allow_tampering()
    await execute("UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 5")
    assert (await verify_chain()).first_broken == 5


async def test_audit_rows_cannot_be_updated_without_disabling_the_guard(chain: None) -> None:
    with pytest.raises(Exception, match="append-only"):
        await execute("UPDATE audit_event SET actor = 'x' WHERE seq = 1")


async def test_the_guard_lets_only_the_sequencer_chain_a_queued_row(chain: None) -> None:
    record = await append_audit("user:1", "tender.publish", "tender", 9, {})
    refused = [
        ("UPDATE audit_event SET actor = 'x' WHERE id = {}", record.id),
        # chaining and rewriting at once
        (
            "UPDATE audit_event SET seq = 8, prev_hash = {}, hash = {}, change = {} WHERE id = {}",
            "a" * 64,
            "b" * 64,
            '{"x":1}',
            record.id,
        ),
        ("UPDATE audit_event SET seq = 99 WHERE seq = 1",),  # a chained row is never re-chained
    ]
    for sql, *args in refused:
        with pytest.raises(Exception, match="append-only"):
            async with atomic():  # a savepoint: PostgreSQL aborts the statement only
                await execute(sql, *args)
    assert await sequence_queued() == 1
    assert (await verify_chain()).length == 8
