"""The audit chain's pure rules: the canonical JSON a row's hash covers, the hash, and
the sequencing rule that turns queued rows into chained ones. No I/O, no framework."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def payload(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    change_json: str,
) -> str:
    """The canonical JSON that a row's hash covers (change embedded as parsed JSON)."""
    return canonical_json(
        {
            "seq": seq,
            "at": iso_time(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "change": json.loads(change_json),
        }
    )


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Queued:
    """A committed row waiting for its place in the chain (seq, prev_hash, hash NULL)."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    change: str  # canonical JSON


@dataclass(frozen=True, slots=True)
class Link:
    """What sequencing writes into a queued row."""

    id: int
    seq: int
    prev_hash: str
    hash: str


def sequence(head_seq: int, head_hash: str, queued: Iterable[Queued]) -> list[Link]:
    """Chain one batch of queued rows after the head: in id order, seq head_seq + 1,
    + 2 …, each hash over the previous one. Batches chain one after another, so a
    row's place depends only on the batches sealed before it and its id within its own
    (rows whose ids all follow the previous batch's chain the same, however split)."""
    links: list[Link] = []
    seq, prev = head_seq, head_hash
    for row in sorted(queued, key=lambda r: r.id):
        seq += 1
        body = payload(
            seq, row.at, row.actor, row.action, row.object_type, row.object_id, row.change
        )
        digest = chain_hash(prev, body)
        links.append(Link(row.id, seq, prev, digest))
        prev = digest
    return links
