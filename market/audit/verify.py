"""`market audit verify`: recompute the public chain and every sealed log, and check
that the sequencer keeps up (no row queued for longer than `MAX_MERGE_DELAY`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from market import clock
from market.audit.chain import queued_count
from market.audit.rules import GENESIS, canonical_json, chain_hash, payload
from market.audit.sealed import verify_sealed_logs
from market.sql import execute
from market.timestamps import timestamp

_BATCH = 2000
# RFC 6962's maximum merge delay: a row queued longer than this means the sequencer
# (the `audit.sequence` job) has stopped. Under normal operation a row waits less than
# a second; the bound leaves room for a worker restart and the job's retry.
MAX_MERGE_DELAY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ChainStatus:
    ok: bool
    length: int
    head: str
    first_broken: int | None = None
    reason: str = ""
    sealed_logs: int = 0
    queued: int = 0  # rows appended but not yet sequenced (not part of `length`)

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit chain OK: {self.length} events, head {self.head};"
                f" {self.queued} queued for sequencing; {self.sealed_logs} sealed log(s) OK"
            )
        if self.first_broken:
            where = f"at index {self.first_broken}"
        else:
            where = "in its queue" if self.queued else "in a sealed log"
        return f"audit chain BROKEN {where}: {self.reason}"


def check_row(row: Mapping[str, Any], expected_seq: int, prev_hash: str) -> str:
    """'' when the row continues the chain, else why not."""
    if int(row["seq"]) != expected_seq:
        return f"expected sequence {expected_seq}, found {row['seq']} (a row is missing)"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous row's hash"
    change = str(row["change"])
    try:
        if canonical_json(json.loads(change)) != change:
            return "change is not canonical JSON"
    except ValueError:
        return "change is not valid JSON"
    body = payload(
        expected_seq,
        timestamp(row["at"]),
        str(row["actor"]),
        str(row["action"]),
        str(row["object_type"]),
        str(row["object_id"]),
        change,
    )
    if chain_hash(prev_hash, body) != row["hash"]:
        return "hash does not match the row's content"
    return ""


async def verify_chain() -> ChainStatus:
    """Recompute the chain from the first row; report the first broken index (seq).
    Queued rows are counted, not checked (nothing has been promised about them yet
    but that they will be chained): a row queued past `MAX_MERGE_DELAY` fails."""
    expected, prev_hash, last_seq = 1, GENESIS, 0
    while True:
        rows = await execute(
            "SELECT seq, at, actor, action, object_type, object_id, change, prev_hash, hash"
            " FROM audit_event WHERE seq > {} ORDER BY seq LIMIT {}",
            last_seq,
            _BATCH,
        )
        for row in rows:
            reason = check_row(row, expected, prev_hash)
            if reason:
                return ChainStatus(False, expected - 1, prev_hash, expected, reason)
            prev_hash, last_seq, expected = str(row["hash"]), int(row["seq"]), expected + 1
        if len(rows) < _BATCH:
            break
    head = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    head_seq, head_hash = (int(head[0]["seq"]), str(head[0]["hash"])) if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != prev_hash:
        return ChainStatus(
            False,
            last_seq,
            prev_hash,
            last_seq + 1,
            f"chain ends at {last_seq} but the head records {head_seq} (rows removed at the end?)",
        )
    queued, oldest = await queued_count()
    if oldest is not None and clock.now() - oldest > MAX_MERGE_DELAY:
        reason = (
            f"{queued} row(s) wait to be sequenced, the oldest since {oldest.isoformat()},"
            f" longer than {MAX_MERGE_DELAY}: is the worker's audit.sequence job running?"
        )
        return ChainStatus(False, last_seq, prev_hash, None, reason, queued=queued)
    logs, broken = await verify_sealed_logs()
    if broken:
        return ChainStatus(False, last_seq, prev_hash, None, broken, logs)
    return ChainStatus(True, last_seq, prev_hash, sealed_logs=logs, queued=queued)


async def command(args: object) -> int:
    """`market audit verify`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        status = await verify_chain()
    finally:
        await close_pool()
    print(status.summary())
    return 0 if status.ok else 1
