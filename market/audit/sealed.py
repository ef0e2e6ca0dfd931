"""Sealed logs (DESIGN §6): per-scope logs whose existence stays secret until their
anchor, each an RFC 6962 Merkle tree whose count and root the public chain records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market.audit.chain import AuditRecord, append_audit
from market.audit.rules import canonical_json, iso_time
from market.errors import DomainError
from market.sql import execute
from market.timestamps import timestamp

# --- sealed logs (RFC 6962 Merkle trees) ----------------------------------------------

ANCHOR = "sealed_log.anchor"
MERKLE = "RFC 6962 SHA-256 Merkle tree hash over the log's leaves in position order"


def leaf_hash(data: str) -> str:
    """RFC 6962 leaf hash of one event's canonical JSON: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).hexdigest()


def merkle_root(leaves: list[str]) -> str:
    """RFC 6962 Merkle Tree Hash over hex leaf hashes (H("") for none)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    nodes = [bytes.fromhex(leaf) for leaf in leaves]
    return _mth(nodes).hex()


def _mth(nodes: list[bytes]) -> bytes:
    if len(nodes) == 1:
        return nodes[0]
    split = 1 << ((len(nodes) - 1).bit_length() - 1)  # largest power of two < n
    return hashlib.sha256(b"\x01" + _mth(nodes[:split]) + _mth(nodes[split:])).digest()


def sealed_payload(
    scope: str,
    position: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    change_json: str,
) -> str:
    """The canonical JSON a sealed event's leaf hash covers."""
    return canonical_json(
        {
            "scope": scope,
            "position": position,
            "at": iso_time(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "change": json.loads(change_json),
        }
    )


async def _anchor_of(scope: str) -> dict[str, Any] | None:
    rows = await execute(
        "SELECT id, seq, change FROM audit_event WHERE action = {} AND object_id = {} ORDER BY id",
        ANCHOR,
        scope,
    )
    return dict(rows[0]) if rows else None


async def append_sealed(
    scope: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    change: Mapping[str, Any],
) -> int:
    """Append to a scope's sealed log (the caller holds the lock that orders the scope's
    writes, e.g. its tender row); returns the position. Refused once anchored."""
    if not actor or not action or not object_type:
        raise DomainError("audit events need an actor, an action and an object type")
    if await _anchor_of(scope) is not None:
        raise DomainError("this sealed log was anchored: record the event in the public chain")
    change_json = canonical_json(dict(change))
    rows = await execute("SELECT COUNT(*) AS n FROM audit_sealed_event WHERE scope = {}", scope)
    position = int(rows[0]["n"])
    at = clock.now()
    data = sealed_payload(
        scope, position, at, actor, action, object_type, str(object_id), change_json
    )
    await execute(
        "INSERT INTO audit_sealed_event (scope, position, at, actor, action, object_type,"
        " object_id, change, leaf_hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        scope,
        position,
        at,
        actor,
        action,
        object_type,
        str(object_id),
        change_json,
        leaf_hash(data),
    )
    return position


async def _sealed_leaves(scope: str) -> tuple[list[str], str]:
    """The log's leaf hashes recomputed from its rows, and '' or why the log is broken."""
    rows = await execute(
        "SELECT position, at, actor, action, object_type, object_id, change, leaf_hash"
        " FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        scope,
    )
    leaves: list[str] = []
    for expected, row in enumerate(rows):
        if int(row["position"]) != expected:
            return leaves, f"sealed log {scope}: position {expected} is missing"
        data = sealed_payload(
            scope,
            expected,
            timestamp(row["at"]),
            str(row["actor"]),
            str(row["action"]),
            str(row["object_type"]),
            str(row["object_id"]),
            str(row["change"]),
        )
        digest = leaf_hash(data)
        if digest != row["leaf_hash"]:
            return leaves, f"sealed log {scope}: event {expected} does not match its leaf hash"
        leaves.append(digest)
    return leaves, ""


async def anchor_sealed(scope: str, actor: str) -> AuditRecord:
    """At the moment: one public row with the log's count and Merkle root. Once only."""
    if await _anchor_of(scope) is not None:
        raise DomainError("this sealed log is already anchored")
    leaves, broken = await _sealed_leaves(scope)
    if broken:
        raise DomainError(broken)
    return await append_audit(
        actor,
        ANCHOR,
        "sealed_log",
        scope,
        {"count": len(leaves), "root": merkle_root(leaves), "tree": MERKLE},
    )


@dataclass(frozen=True, slots=True)
class AnchoredLog:
    scope: str
    anchor_seq: int | None  # None for the moment before the sequencer chains the anchor
    count: int
    root: str
    events: list[dict[str, Any]]  # position order, each with its canonical `data`


async def anchored_log(scope: str) -> AnchoredLog | None:
    """A sealed log once anchored (None before: then nothing about it may be shown)."""
    anchor = await _anchor_of(scope)
    if anchor is None:
        return None
    change = json.loads(str(anchor["change"]))
    rows = await execute(
        "SELECT position, at, actor, action, object_type, object_id, change, leaf_hash"
        " FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        scope,
    )
    events = []
    for row in rows:
        at = timestamp(row["at"])
        event = {**dict(row), "at": at}
        event["data"] = sealed_payload(
            scope,
            int(row["position"]),
            at,
            str(row["actor"]),
            str(row["action"]),
            str(row["object_type"]),
            str(row["object_id"]),
            str(row["change"]),
        )
        events.append(event)
    seq = None if anchor["seq"] is None else int(anchor["seq"])
    return AnchoredLog(scope, seq, int(change["count"]), str(change["root"]), events)


async def verify_sealed_logs() -> tuple[int, str]:
    """(logs checked, '' or the first problem): every log recomputes, and every anchored
    log's count and root equal its public row, with nothing added after the anchor."""
    scopes = [
        str(r["scope"])
        for r in await execute("SELECT DISTINCT scope FROM audit_sealed_event ORDER BY scope")
    ]
    anchored = {
        str(r["object_id"]): str(r["change"])
        for r in await execute(
            "SELECT object_id, change FROM audit_event WHERE action = {}", ANCHOR
        )
    }
    for scope in sorted(set(scopes) | set(anchored)):
        leaves, broken = await _sealed_leaves(scope)
        if broken:
            return len(scopes), broken
        if scope in anchored:
            anchor = json.loads(anchored[scope])
            if anchor.get("count") != len(leaves) or anchor.get("root") != merkle_root(leaves):
                return len(scopes), (
                    f"sealed log {scope}: {len(leaves)} events do not match the anchored"
                    f" count {anchor.get('count')} and root"
                )
    return len(set(scopes) | set(anchored)), ""
