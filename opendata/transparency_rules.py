"""Pure rules of the transparency pages: who an account or reference stands for, page
cursors, how the release transfers of a tender group into tranches, and what the
public sees of each audit-chain row. No Piccolo or Litestar imports.

Audit rows, per viewer (documented on the /audit page):

- everyone sees every row's sequence number, previous hash and hash, so the links
  of the whole chain (row n's prev_hash = row n−1's hash, the last hash = the head)
  can be checked by anyone;
- the public also sees the time, the action and the object (type and id) of every
  row except *sealed* ones, and the actor and the change (hence everything needed to
  recompute the row's hash) of the actions in `PUBLIC_PAYLOAD_ACTIONS`: public
  records such as tender status changes, escrow releases and returns, milestone
  decisions and signed contracts. Other payloads (a donor's or user's identity,
  evaluators' statements, scores, complaint texts) are withheld;
- bid events before the opening are not in the public chain at all: they wait in the
  tender's sealed log (market.audit), whose count and RFC 6962 Merkle root join the
  chain as one public `sealed_log.anchor` row at the opening — so before it, nobody on
  the web, auditors included, learns from the chain that a bid exists, when it came or
  who made it (DESIGN §6). A row about a bid (object type `bid`) that is in the chain
  (older data) stays sealed until its tender's bids are opened. Bid contents are never
  in any log: only the receipt hash is;
- auditors see every other row in full and can recompute every hash; the whole
  chain, sealed rows included, is recomputed on the server by `market audit verify`;
- a row appended in the last moment may still be *pending*: queued for the chain's
  sequencer, with no number and no hashes yet (market.audit). Pages list pending rows
  first, newest first, under the same visibility rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from market import cursor, inputs
from market.ledger.rules import SOURCES

CURSOR_MAX = 2**62

# Actions whose actor and change are public records (see the module docstring).
PUBLIC_PAYLOAD_ACTIONS: frozenset[str] = frozenset(
    {
        "tender.publish",
        "tender.amend",
        "tender.cancel",
        "tender.terminate",
        "tender.fail",
        "tender.award",
        "tender.reopen",
        "tender.contract",
        "tender.complete",
        "tender.open_tendering",
        "tender.close_tendering",
        "tender.settle",
        "tender.award_cancelled",
        "bids.opened",
        "sealed_log.anchor",
        "escrow.release",
        "escrow.return_all",
        "contract.activate",
        "contract.complete",
        "contract.terminate",
        "milestone.submit",
        "milestone.approve",
        "milestone.rejected",
        "milestone.not_met",
    }
)


# A page cursor or size from a URL that is not one this site hands out (400).
CursorInvalid = inputs.InputInvalid


def parse_cursor(text: str | None) -> int | None:
    """`before=<seq>` of a keyset page: empty means the first page; anything else that
    is not a positive integer below 2**62 is refused (400), never silently ignored."""
    return cursor.decode_id(text, maximum=CURSOR_MAX - 1)


def parse_limit(text: str | None, default: int, maximum: int) -> int:
    return inputs.parse_limit(text, default=default, maximum=maximum)


# --- accounts and references -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRef:
    """What an account code stands for, in terms a page can name.

    kind: escrow | organization | department_budget | budget_line | pledge | donor_refund |
    community_fund | card_sandbox | card_stripe | bank | treasury | other."""

    code: str
    kind: str
    ident: int | None = None
    source: str | None = None


_EXTERNAL = {
    "external:sandbox": "card_sandbox",
    "external:stripe": "card_stripe",
    "external:bank": "bank",
    "external:treasury": "treasury",
    "community_fund": "community_fund",
}
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^tender:(\d+):escrow:([a-z]+)$"), "escrow"),
    (re.compile(r"^org:(\d+):payable$"), "organization"),
    (re.compile(r"^department:(\d+):budget$"), "department_budget"),
    (re.compile(r"^budget:line:(\d+)$"), "budget_line"),
    (re.compile(r"^pledge:(\d+)$"), "pledge"),
    (re.compile(r"^donor:d(\d+):refund$"), "donor_refund"),
    (re.compile(r"^community:(\d+):fund$"), "community_fund"),  # a community's own fund
)


def parse_account(code: str) -> AccountRef:
    if code in _EXTERNAL:
        return AccountRef(code, _EXTERNAL[code])
    for pattern, kind in _PATTERNS:
        match = pattern.match(code)
        if match:
            source = match.group(2) if kind == "escrow" else None
            if source is not None and source not in SOURCES:
                return AccountRef(code, "other")
            return AccountRef(code, kind, int(match.group(1)), source)
    return AccountRef(code, "other")


_REFERENCE = re.compile(r"^([a-z_]+):(\d+)$")


def parse_reference(reference: str) -> tuple[str, int] | None:
    """`donation:42` → ("donation", 42); anything else → None."""
    match = _REFERENCE.match(reference or "")
    return (match.group(1), int(match.group(2))) if match else None


def organization_ids(refs: Iterable[AccountRef]) -> set[int]:
    """Organizations to look up by name: payees and departments."""
    return {
        r.ident
        for r in refs
        if r.kind in ("organization", "department_budget") and r.ident is not None
    }


# --- tranches ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranchePart:
    source: str
    amount: int


@dataclass(frozen=True, slots=True)
class Tranche:
    reference: str  # e.g. "milestone:7"; "" for a release made without one
    total: int
    parts: tuple[TranchePart, ...]  # in SOURCES order


def group_releases(rows: Iterable[Mapping[str, Any]]) -> dict[str, Tranche]:
    """Release transfers (reference, source, amount) → one tranche per reference, its
    parts by funding source in the fixed SOURCES order, adding up to the total."""
    sums: dict[str, dict[str, int]] = {}
    for row in rows:
        by_source = sums.setdefault(str(row["reference"] or ""), {})
        source = str(row["source"] or "")
        by_source[source] = by_source.get(source, 0) + int(row["amount"])
    out: dict[str, Tranche] = {}
    order = {s: i for i, s in enumerate(SOURCES)}
    for reference, by_source in sums.items():
        parts = tuple(
            TranchePart(s, a)
            for s, a in sorted(by_source.items(), key=lambda kv: order.get(kv[0], len(order)))
            if a
        )
        out[reference] = Tranche(reference, sum(p.amount for p in parts), parts)
    return out


# --- audit rows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurplusFigures:
    """Where a completed project's surplus went (`donors.settlement`, reason
    "completed"): each return transfer counted once, by its source and destination."""

    settled_at: Any  # the time of the settlement's transfers
    sponsors: int = 0  # corporate and foundation: to their pledge or back to the sponsor
    donors: int = 0  # public, refunded (`donor:d{id}:refund`)
    community_fund: int = 0  # public, where the donor chose the community fund
    organization: int = 0  # own income, back to the organization
    budget: int = 0  # government, back to the department's budget


def surplus_figures(rows: Iterable[Mapping[str, Any]]) -> SurplusFigures | None:
    """From the settlement's return transfers (source, credit code, amount, created_at);
    None when nothing was returned."""
    totals = dict.fromkeys(("sponsors", "donors", "community_fund", "organization", "budget"), 0)
    settled_at = None
    for row in rows:
        credit, source, amount = str(row["credit"]), row["source"], int(row["amount"])
        if source == "public":
            bucket = "donors" if credit.startswith("donor:") else "community_fund"
        else:
            bucket = {"government": "budget", "own": "organization"}.get(source, "sponsors")
        totals[bucket] += amount
        settled_at = max(settled_at or row["created_at"], row["created_at"])
    return None if settled_at is None else SurplusFigures(settled_at, **totals)


@dataclass(frozen=True, slots=True)
class AuditRowView:
    """One audit-chain row as a viewer may see it. `visibility`: full (everything,
    hash recomputable), public (no actor/change), sealed (only seq and hashes).
    `seq`, `prev_hash` and `hash` are None while the row is pending (not yet chained)."""

    seq: int | None
    prev_hash: str | None
    hash: str | None
    visibility: str
    at: Any = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str | None = None
    change: str | None = None  # the canonical JSON exactly as hashed

    @property
    def pending(self) -> bool:
        return self.seq is None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def audit_row_view(row: Mapping[str, Any], *, sealed: bool, auditor: bool) -> AuditRowView:
    seq = None if row["seq"] is None else int(row["seq"])
    prev_hash, digest = _text(row["prev_hash"]), _text(row["hash"])
    if sealed:
        return AuditRowView(seq, prev_hash, digest, "sealed")
    full = auditor or row["action"] in PUBLIC_PAYLOAD_ACTIONS
    return AuditRowView(
        seq,
        prev_hash,
        digest,
        "full" if full else "public",
        at=row["at"],
        action=str(row["action"]),
        object_type=str(row["object_type"]),
        object_id=str(row["object_id"]),
        actor=str(row["actor"]) if full else None,
        change=str(row["change"]) if full else None,
    )


def bid_ids_to_check(rows: Iterable[Mapping[str, Any]]) -> set[int]:
    """Bid ids named by rows about bids (object type `bid`), to ask whether they are open."""
    out: set[int] = set()
    for row in rows:
        if row["object_type"] == "bid":
            text = str(row["object_id"])
            out.add(int(text) if text.isdigit() else -1)
    return out


def is_sealed(row: Mapping[str, Any], opened_bids: set[int]) -> bool:
    """A bid row is sealed unless its bid's tender has had its bids opened."""
    if row["object_type"] != "bid":
        return False
    text = str(row["object_id"])
    return not (text.isdigit() and int(text) in opened_bids)


# --- CSV exports ---------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ or a tab/CR
    (a donor's name "=HYPERLINK(…)") gets a leading apostrophe; numbers pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value
