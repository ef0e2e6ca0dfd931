"""Pure OCDS 1.1 rules: which audit action publishes which release tag, identifiers,
amounts in yuan, status code lists and package shells. No Piccolo, no Litestar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from market import cursor, inputs
from market.organization_rules import is_fund_identifier

OCDS_VERSION = "1.1"
CN_USCI = "CN-USCI"
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
BUDGET_BREAKDOWN_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_budget_breakdown_extension/master/extension.json"
)
EXTENSIONS = (BUDGET_BREAKDOWN_EXTENSION,)
CHINA = timezone(timedelta(hours=8))
# A stored release's own links start with this placeholder origin (a reserved .invalid
# name, so a stored body stays a valid release); `rebase` puts the base URL of the
# request that reads it (or MARKET_BASE_URL) in its place when it is served.
STORED_BASE = "https://published.invalid"

# audit action → the releaseTag of the release it publishes. Status moves the public
# cannot see in OCDS (published → tendering → evaluation are all tender.status
# "active") publish nothing; bids.opened publishes the tenderers once they are public.
TAGS: dict[str, str] = {
    "tender.publish": "tender",
    "tender.amend": "tenderAmendment",
    "tender.cancel": "tenderCancellation",
    "bids.opened": "tenderUpdate",
    "tender.fail": "tenderUpdate",
    "tender.award": "award",
    "tender.reopen": "awardCancellation",
    "contract.activate": "contract",
    "milestone.approve": "implementation",
    "contract.terminate": "contractTermination",
    "tender.complete": "contractTermination",
}

# market tender status → OCDS tender.status (closed code list)
TENDER_STATUS: dict[str, str] = {
    "draft": "planning",
    "published": "active",
    "tendering": "active",
    "evaluation": "active",
    "awarded": "complete",
    "contracted": "complete",
    "completed": "complete",
    "cancelled": "cancelled",
    "unsuccessful": "unsuccessful",
    # The tender itself was complete (awarded, contract signed); the early end is the
    # contract's status ("terminated", contract_status) in a contractTermination release.
    "terminated": "complete",
}
AWARD_STATUS: dict[str, str] = {"active": "active", "cancelled": "cancelled"}
MILESTONE_STATUS: dict[str, str] = {
    "scheduled": "scheduled",
    "submitted": "scheduled",
    "rejected": "scheduled",
    "approved": "met",
    "not_met": "notMet",
}
# Bid statuses that exist only once bids are opened: the tenderers are public then.
OPENED_BID_STATUSES = ("qualified", "disqualified", "awarded", "lost")


# A release that only brings the budget up to date with the ledger (a donation, match,
# sponsorship, refund or budget move): every published process already has a tender
# release, so by the releaseTag codelist it is a `tenderUpdate` ("an update may add new
# information or make corrections"); `planningUpdate` is for processes still planned.
FUNDING_TAG = "tenderUpdate"


def tag_for(action: str) -> str | None:
    return TAGS.get(action)


def funded_tenders(action: str, object_type: str, object_id: str, change: str) -> set[int]:
    """The tenders whose escrow an audit event moved money for: escrow operations on a
    tender, and every event that lists the ledger transfers it made (transfers and
    payments: each transfer body names its tender)."""
    if object_type == "tender" and action.startswith("escrow."):
        return {int(object_id)}
    if '"transfers"' not in (change or ""):
        return set()
    try:
        body = json.loads(change or "{}")
    except ValueError:
        return set()
    transfers = body.get("transfers", []) if isinstance(body, dict) else []
    return {
        int(t["tender_id"])
        for t in transfers
        if isinstance(t, dict) and isinstance(t.get("tender_id"), int)
    }


def ocid(prefix: str, tender_id: int) -> str:
    return f"ocds-{prefix}-{tender_id}"


def release_id(ocid_: str, audit_event: int) -> str:
    """Stable and unique: one release per audit event of the process, named by the
    event's id (known in the transaction that appends it; its seq comes later)."""
    return f"{ocid_}-{audit_event}"


def tender_id_of(ocid_: str, prefix: str) -> int | None:
    """The tender id in an ocid of this publisher's prefix, or None."""
    head = f"ocds-{prefix}-"
    if not ocid_.startswith(head):
        return None
    tail = ocid_[len(head) :]
    if not tail.isdigit() or tail.startswith("0") or len(tail) > 12:
        return None
    return int(tail)


def yuan(fen: int) -> int | float:
    """Integer fen → the JSON number of yuan, exactly: whole yuan as an int, otherwise
    the float whose shortest repr is the two-decimal amount (exact below 10**15 fen)."""
    if type(fen) is not int:
        raise TypeError(f"amounts are integer fen, got {type(fen).__name__}")
    if abs(fen) >= 10**15:
        raise ValueError("amount too large to publish exactly as a JSON number")
    whole, cents = divmod(fen, 100)
    if cents == 0:
        return whole
    value = float(Decimal(fen) / 100)
    if Decimal(repr(value)) * 100 != fen:  # pragma: no cover - guarded by the bound above
        raise ValueError(f"{fen} fen has no exact float")
    return value


def value(fen: int, currency: str) -> dict[str, Any]:
    return {"amount": yuan(fen), "currency": currency}


def iso(at: datetime) -> str:
    """A timezone-aware instant as ISO 8601 UTC with a Z (seconds precision)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_day(day: date) -> str:
    """A calendar date (due dates, contract start) as the start of that day in China."""
    return datetime.combine(day, time(0, 0), tzinfo=CHINA).isoformat()


def rebase(body: str, base_url: str) -> str:
    """A stored release's JSON text with its links on `base_url` (no trailing slash)."""
    return body.replace(f'"{STORED_BASE}/', f'"{base_url}/')


def party_id(uscc: str) -> str:
    """`CN-USCI-<code>`; a community fund, which has no USCC, by its own identifier
    (`FUND-<community code>`, market.organization_rules.fund_identifier)."""
    return uscc if is_fund_identifier(uscc) else f"{CN_USCI}-{uscc}"


def organization_party(uscc: str, name_zh: str, name_en: str, roles: set[str]) -> dict[str, Any]:
    if is_fund_identifier(uscc):  # no registered identifier to give
        return {"id": party_id(uscc), "name": name_zh, "roles": sorted(roles)}
    party: dict[str, Any] = {
        "id": party_id(uscc),
        "name": name_zh,
        "identifier": {"scheme": CN_USCI, "id": uscc, "legalName": name_zh},
        "roles": sorted(roles),
    }
    if name_en:
        party["additionalIdentifiers"] = [
            {"scheme": CN_USCI, "id": uscc, "legalName": name_en},
        ]
    return party


def reference(party: dict[str, Any]) -> dict[str, Any]:
    return {"id": party["id"], "name": party["name"]}


def contract_status(status: str, activated: bool) -> str:
    if status == "pending":
        return "pending"
    if status == "active":
        return "active"
    # completed, or terminated: "terminated" once it was in force, else "cancelled"
    return "terminated" if activated else "cancelled"


def publisher(
    name: str, uid: str, uri: str, chain: tuple[int, str], on: datetime
) -> dict[str, Any]:
    """The package publisher, with the audit chain head of the package's date so a
    reader can check the data against the public chain (extra publisher properties
    are allowed by the 1.1 package schemas)."""
    length, head = chain
    return {
        "name": name,
        "scheme": CN_USCI,
        "uid": uid,
        "uri": uri,
        "auditChain": {"date": iso(on)[:10], "asOf": iso(on), "length": length, "head": head},
    }


def release_package(
    uri: str, published: datetime, pub: dict[str, Any], releases: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS),
        "publishedDate": iso(published),
        "publisher": pub,
        "license": LICENSE,
        "releases": releases,
    }


def record_package(
    uri: str, published: datetime, pub: dict[str, Any], records: list[dict[str, Any]]
) -> dict[str, Any]:
    package = release_package(uri, published, pub, [])
    del package["releases"]
    package["records"] = records
    return package


CURSOR_INVALID = "The page cursor is not valid: use the links.next URL of the previous page."


def parse_cursor(raw: str | None) -> int | None:
    """`after` of a release page: the last release's sequence number (digits only)."""
    return cursor.decode_id(raw, field="after", maximum=inputs.MAX_BIGINT, message=CURSOR_INVALID)
