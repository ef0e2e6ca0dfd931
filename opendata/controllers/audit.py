"""The audit chain in public: `/audit` (head, length, how to verify it yourself, and the
rows newest first) and the JSON API `/api/v1/audit` (head) and `/api/v1/audit/events`.
What each viewer sees of a row is decided in `opendata.transparency_rules`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get

from market import audit
from market.errors import NotFound
from market.web.auth import principal_of, public
from market.web.errors import error_responses
from market.web.params import PathId, cursor_parameter, limit_parameter
from market.web.reads import REPLICA_READS
from market.web.render import render
from opendata import transparency
from opendata.transparency_rules import AuditRowView, parse_cursor


def hashed_time(at: datetime) -> str:
    """The time exactly as the row's hash covers it (UTC, microseconds)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: AuditRowView) -> str | None:
    """The canonical JSON that `hash = sha256(prev_hash ‖ this)` covers, for full rows
    (a pending row has no seq yet, so nothing to recompute)."""
    if row.visibility != "full" or row.seq is None or row.actor is None or row.change is None:
        return None
    return audit.payload(
        row.seq, row.at, row.actor, row.action, row.object_type, row.object_id, row.change
    )


class AuditController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/audit", guards=[public])
    async def audit_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        before = parse_cursor(request.query_params.get("before"))
        page = await transparency.audit_page(principal_of(request), before=before)
        context = {
            "page": page,
            "genesis": audit.GENESIS,
            "cursor": request.query_params.get("before") or "",
            "canonical": canonical,
            "hashed_time": hashed_time,
        }
        return render(request, "opendata/audit.html", context, block="rows")


@dataclass
class AuditHeadOut:
    length: int
    head: str
    pending: int  # rows appended but not yet chained (they join it within a second)
    genesis: str
    algorithm: str
    events_url: str


@dataclass
class AuditEventOut:
    seq: int | None  # null while pending
    prev_hash: str | None  # null while pending
    hash: str | None  # null while pending
    pending: bool  # appended, waiting for the sequencer to give it its seq and hash
    visibility: str  # full | public | sealed
    at: str | None  # ISO 8601 UTC with microseconds, exactly as hashed
    action: str | None
    object_type: str | None
    object_id: str | None
    actor: str | None  # full rows only
    change: str | None  # full rows only: canonical JSON as stored
    canonical: str | None  # full rows only: hash = sha256(prev_hash + canonical)


@dataclass
class AuditEventListOut:
    length: int
    head: str
    pending: int
    items: list[AuditEventOut]
    next_cursor: int | None
    next: str | None


ALGORITHM = (
    "hash = hex(sha256(utf8(prev_hash + canonical))) where canonical is the JSON object"
    " {seq, at, actor, action, object_type, object_id, change} with keys sorted, no"
    " spaces (separators ',' and ':'), non-ASCII characters unescaped, `at` in UTC ISO 8601"
    " with microseconds and `change` embedded as parsed JSON; the first row's prev_hash is"
    " 64 zeros; the head is the last row's hash."
)


def _event(row: AuditRowView) -> AuditEventOut:
    shown = row.visibility != "sealed"
    return AuditEventOut(
        seq=row.seq,
        prev_hash=row.prev_hash,
        hash=row.hash,
        pending=row.pending,
        visibility=row.visibility,
        at=hashed_time(row.at) if shown and row.at is not None else None,
        action=row.action if shown else None,
        object_type=row.object_type if shown else None,
        object_id=row.object_id if shown else None,
        actor=row.actor,
        change=row.change,
        canonical=canonical(row),
    )


Before = Annotated[
    str | None, cursor_parameter("next_cursor of the previous page (a seq)", digits=18)
]
Limit = Annotated[int | None, limit_parameter(500, transparency.AUDIT_PAGE)]


@dataclass
class SealedEventOut:
    position: int
    leaf_hash: str
    at: str  # ISO 8601 UTC with microseconds, exactly as hashed
    action: str
    object_type: str
    object_id: str
    actor: str | None  # auditors only
    change: str | None  # auditors only
    canonical: str | None  # auditors only: leaf_hash = sha256(0x00 + utf8(canonical))


@dataclass
class SealedLogOut:
    scope: str
    anchor_seq: int | None  # the public chain row that anchors this log (null while pending)
    count: int
    root: str
    tree: str
    items: list[SealedEventOut]


def _sealed_event(event: dict[str, Any], full: bool) -> SealedEventOut:
    return SealedEventOut(
        position=int(event["position"]),
        leaf_hash=str(event["leaf_hash"]),
        at=hashed_time(event["at"]),
        action=str(event["action"]),
        object_type=str(event["object_type"]),
        object_id=str(event["object_id"]),
        actor=str(event["actor"]) if full else None,
        change=str(event["change"]) if full else None,
        canonical=str(event["data"]) if full else None,
    )


class AuditApiController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012 - Litestar reads a class attribute

    @get("/", guards=[public], summary="The audit chain's head and length")
    async def head(self) -> AuditHeadOut:
        """Publish or compare this head: any change to any earlier row changes it."""
        length, head = await audit.chain_head()
        pending, _ = await audit.queued_count()
        return AuditHeadOut(length, head, pending, audit.GENESIS, ALGORITHM, "/api/v1/audit/events")

    @get(
        "/events",
        guards=[public],
        summary="Audit chain rows, newest first, keyset-paged",
        responses=error_responses(400),
    )
    async def events(
        self, request: Request[Any, Any, Any], before: Before = None, limit: Limit = None
    ) -> AuditEventListOut:
        """`visibility` says what the viewer may see: `full` rows carry everything needed to
        recompute their hash; `public` rows withhold actor and change; `sealed` rows (about
        bids not yet opened) show only their place in the chain. Auditors get full rows
        except sealed ones. The first page starts with the `pending` rows, appended in
        the last moment and not yet chained (no seq or hashes; at most `limit`)."""
        cursor = parse_cursor(before)
        size = limit or transparency.AUDIT_PAGE
        page = await transparency.audit_page(principal_of(request), before=cursor, limit=size)
        nxt = page.next_cursor
        return AuditEventListOut(
            page.length,
            page.head,
            page.pending,
            [_event(r) for r in page.rows],
            nxt,
            f"/api/v1/audit/events?before={nxt}&limit={size}" if nxt else None,
        )

    @get(
        "/sealed/{tender_id:int}",
        guards=[public],
        summary="A tender's sealed log of bid events, once its bids are opened",
        responses=error_responses(400, 404),
    )
    async def sealed_log(self, request: Request[Any, Any, Any], tender_id: PathId) -> SealedLogOut:
        """Until the opening, bid events wait in the tender's sealed log, out of the
        public chain; at the opening one chain row (`sealed_log.anchor`, `anchor_seq`)
        records its count and RFC 6962 Merkle root (leaf = sha256(0x00 ‖ canonical),
        node = sha256(0x01 ‖ left ‖ right)). Recompute the root from the leaf hashes;
        auditors also get each event's canonical JSON to recompute each leaf. Before the
        opening (or for an unknown tender) this is a 404, the same whether or not
        anyone bid."""
        log = await audit.anchored_log(f"tender:{tender_id}")
        if log is None:
            raise NotFound("No sealed log has been opened for this tender.")
        principal = principal_of(request)
        full = bool(principal and principal.is_auditor)
        return SealedLogOut(
            log.scope,
            log.anchor_seq,
            log.count,
            log.root,
            audit.MERKLE,
            [_sealed_event(e, full) for e in log.events],
        )
