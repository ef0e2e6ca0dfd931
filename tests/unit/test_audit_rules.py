"""The sequencing rule (market.audit.rules.sequence), for any rows and any batching: the
rows that commit, seen by the sequencer in any batches, become one contiguous chain that
`market audit verify`'s own row check accepts, every row exactly once; and batching
rows whose ids follow one another changes nothing."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.audit.rules import GENESIS, Link, Queued, canonical_json, sequence
from market.audit.verify import check_row

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Pure hashing, but up to 40 rows per example: a loaded CI machine must fail it only on
# a wrong chain, never on time.
LOADED_MACHINE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def queued_rows(draw: st.DrawFn) -> list[Queued]:
    """Rows with distinct ids (gaps allowed, as rollbacks leave), in no particular order."""
    ids = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=40, unique=True))
    return [
        Queued(
            id=i,
            at=START + timedelta(microseconds=draw(st.integers(0, 10**9))),
            actor=draw(st.sampled_from(["user:1", "system", "用户:2"])),
            action=draw(st.sampled_from(["tender.publish", "escrow.release", "donation.paid"])),
            object_type="tender",
            object_id=str(draw(st.integers(1, 99))),
            change=canonical_json({"n": draw(st.integers()), "名": draw(st.text(max_size=5))}),
        )
        for i in ids
    ]


def batches(rows: list[Queued], cuts: list[int]) -> list[list[Queued]]:
    bounds = sorted({c % (len(rows) + 1) for c in cuts} | {0, len(rows)})
    return [rows[a:b] for a, b in itertools.pairwise(bounds)]


def chain_in(batched: list[list[Queued]]) -> list[Link]:
    links: list[Link] = []
    seq, head = 0, GENESIS
    for batch in batched:
        links += sequence(seq, head, batch)
        if links:
            seq, head = links[-1].seq, links[-1].hash
    return links


def as_row(link: Link, row: Queued) -> dict[str, object]:
    return {
        "seq": link.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "change": row.change,
        "prev_hash": link.prev_hash,
        "hash": link.hash,
    }


@LOADED_MACHINE
@given(queued_rows(), st.lists(st.integers(0, 100), max_size=6), st.randoms())
def test_any_batching_gives_one_contiguous_chain_that_verifies(
    rows: list[Queued], cuts: list[int], rng: random.Random
) -> None:
    shuffled = list(rows)
    rng.shuffle(shuffled)  # rows commit, and so are seen, in any order
    links = chain_in(batches(shuffled, cuts))
    assert [link.seq for link in links] == list(range(1, len(rows) + 1))
    assert sorted(link.id for link in links) == sorted(row.id for row in rows)  # once each
    by_id = {row.id: row for row in rows}
    prev = GENESIS
    for link in links:
        assert check_row(as_row(link, by_id[link.id]), link.seq, prev) == ""
        prev = link.hash


@LOADED_MACHINE
@given(queued_rows(), st.lists(st.integers(0, 100), max_size=6))
def test_batches_in_id_order_chain_exactly_as_one_batch(
    rows: list[Queued], cuts: list[int]
) -> None:
    in_order = sorted(rows, key=lambda r: r.id)
    assert chain_in(batches(in_order, cuts)) == chain_in([rows])


@LOADED_MACHINE
@given(queued_rows())
def test_within_a_batch_the_order_is_the_ids_whatever_order_the_rows_come_in(
    rows: list[Queued],
) -> None:
    assert [link.id for link in sequence(0, GENESIS, reversed(rows))] == sorted(r.id for r in rows)


def test_a_chain_continues_from_its_head() -> None:
    row = Queued(7, START, "system", "tender.publish", "tender", "1", "{}")
    [link] = sequence(41, "ab" * 32, [row])
    assert (link.id, link.seq, link.prev_hash) == (7, 42, "ab" * 32)
    assert check_row(as_row(link, row), 42, "ab" * 32) == ""
