"""Audit chain: contiguous, hash-linked; tampering is reported at the first broken index."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from market.audit import GENESIS, append_audit, canonical_json, chain_head, verify_chain
from market.db import is_postgres
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


def test_canonical_json_is_sorted_compact_and_utf8() -> None:
    assert canonical_json({"b": 1, "a": "é 区"}) == '{"a":"é 区","b":1}'


async def test_appends_are_contiguous_and_hash_linked(chain: None) -> None:
    rows = await execute("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 8))
    assert rows[0]["prev_hash"] == GENESIS
    for prev, row in itertools.pairwise(rows):
        assert row["prev_hash"] == prev["hash"]
    assert await chain_head() == (7, rows[-1]["hash"])


async def test_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    record = await append_audit("user:9", "bid.submit", "bid", "42", {"receipt": "abc"})
    body = canonical_json(
        {
            "seq": record.seq,
            "at": record.at.isoformat(timespec="microseconds"),
            "actor": "user:9",
            "action": "bid.submit",
            "object_type": "bid",
            "object_id": "42",
            "change": {"receipt": "abc"},
        }
    )
    expected = hashlib.sha256((record.prev_hash + body).encode()).hexdigest()
    assert record.hash == expected


async def test_untouched_chain_verifies(chain: None) -> None:
    status = await verify_chain()
    assert status.ok and status.length == 7 and status.first_broken is None
    assert "OK" in status.summary()


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


async def test_audit_rows_cannot_be_updated_without_disabling_the_guard(chain: None) -> None:
    with pytest.raises(Exception, match="append-only"):
        await execute("UPDATE audit_event SET actor = 'x' WHERE seq = 1")
