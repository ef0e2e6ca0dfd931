# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The 360Giving package: every sponsorship, matched donation and paid tranche as a grant
— and the community funds' grants and sponsorships (opendata/giving_funds.py).

- Sponsorship (`donors_v_contribution`, kind sponsorship, received): funder = the
  sponsor; recipient = the project's escrow fund, as a re-grant (`regrantType`, see
  opendata/giving_rules.py) — before the contract and after it alike, since the money
  always goes into escrow first and reaches the organization only in a tranche.
- Match (`donors_v_donation` whose match was posted from a pledge): funder = the
  pledge's sponsor, amount = the match, recipient as for a sponsorship.
- Tranche (approved milestone, ledger transfers with reason "release"): recipient =
  the organization actually paid (the payable account the transfers credit); funders
  = the department, the organizations behind the other sources that paid a part and
  the project's escrow fund when pooled money paid a part; one disbursement
  transaction per source.

So each fen is in exactly one grant to each recipient it reached: what the grants to
a project's escrow fund add up to is what the ledger says sponsors and pledges put
into it, and what the grants to an organization add up to is what the ledger released
to it.

Every grant has `dateModified`, `dataSource` (the project's OCDS record), `plannedDates`
(the funded activity's planned period: the signed contract's, from its start to its
last milestone's due date — a tranche's to its own due date; none before there is a
contract, as the tender plans no implementation period of its own),
`classifications` (the service category), `beneficiaryLocation` (street and district
with administrative-division codes: giving_rules.py documents the made-up codes of the
fictional district) and recipient details (kind, address, location, profile link).

Organization ids are `CN-USCI-<code>`; grant ids `360G-<prefix>-<kind>-<id>`; amounts
are yuan as JSON numbers converted exactly from integer fen (`rules.yuan`). Dates
are full date-times (the schema's date-or-date-time `oneOf` then has one match).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import clock
from market.ledger.codes import payable_code
from market.settings import get_settings
from market.sql import execute, marks
from market.timestamps import day, timestamp
from market.web.public_url import public_base_url
from opendata import giving_funds, giving_rules
from opendata.ocds import rules
from opendata.ocds.build import SOURCE_NAMES

VERSION = "1.4"
REGRANT = giving_rules.REGRANT_TYPE
ORG = "o.id AS org_id, o.kind, o.area, o.uscc, o.name_zh, o.name_en"


def organization(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A funder: its id and names (recipients get `_Context.recipient`'s details)."""
    uscc, name_zh, name_en = (
        row[f"{prefix}uscc"],
        row[f"{prefix}name_zh"],
        row[f"{prefix}name_en"],
    )
    org: dict[str, Any] = {"id": rules.party_id(str(uscc)), "name": str(name_zh)}
    if name_en:
        org["alternateName"] = str(name_en)
    org["addressCountry"] = "CN"
    return org


def grant_id(prefix: str, kind: str, object_id: int) -> str:
    return f"360G-{prefix}-{kind}-{object_id}"


class _Context:
    def __init__(self, prefix: str, base_url: str) -> None:
        self.prefix, self.base_url = prefix, base_url
        self.contracts: dict[int, dict[str, Any]] = {}  # tender → its signed contract
        self.tenders: dict[int, dict[str, Any]] = {}

    async def load_tenders(self, tender_ids: set[int]) -> None:
        todo = sorted(tender_ids - set(self.tenders))
        if not todo:
            return
        m = marks(len(todo))
        rows = await execute(
            "SELECT t.id, t.ocid, t.title_zh, t.title_en, t.category, t.area AS t_area,"
            f" {ORG} FROM market_v_tender t"
            f" JOIN market_v_organization o ON o.id = t.department WHERE t.id IN ({m})",
            *todo,
        )
        for row in rows:
            self.tenders[int(row["id"])] = dict(row)
        contracted = await execute(
            "SELECT c.id AS contract_id, c.tender, c.starts,"
            f" (SELECT MAX(m.due) FROM bids_v_milestone m WHERE m.contract = c.id) AS ends, {ORG}"
            " FROM bids_v_contract c JOIN market_v_organization o ON o.id = c.organization"
            f" WHERE c.tender IN ({m}) AND c.status IN ('active', 'completed', 'terminated')"
            " AND c.activated_at IS NOT NULL ORDER BY c.id",
            *todo,
        )
        for row in contracted:
            self.contracts[int(row["tender"])] = dict(row)

    def ocid(self, tender_id: int) -> str:
        return str(self.tenders[tender_id]["ocid"] or rules.ocid(self.prefix, tender_id))

    def recipient(self, row: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/organizations/{row['org_id']}/record"
        return giving_rules.recipient(row, rules.party_id(str(row["uscc"])), url)

    def escrow(self, tender_id: int) -> dict[str, Any]:
        title = str(self.tenders[tender_id]["title_zh"])
        url = f"{self.base_url}/projects/{tender_id}"
        return giving_rules.escrow_recipient(self.prefix, tender_id, title, url)

    def to_escrow(self, tender_id: int) -> dict[str, Any]:
        """Money given to the project: into its escrow fund, a re-grant (the fund pays
        the organization contracted in tranches, which are grants of their own)."""
        return {"recipientOrganization": [self.escrow(tender_id)], "regrantType": REGRANT}

    def base(self, tender_id: int, kind: str, object_id: int, modified: Any) -> dict[str, Any]:
        t = self.tenders[tender_id]
        ocid = self.ocid(tender_id)
        contract = self.contracts.get(tender_id)
        planned = (
            giving_rules.planned_dates(day(contract["starts"]), _day_or_none(contract["ends"]))
            if contract is not None
            else []  # no contract, no planned period: better nothing than a wrong one
        )
        changed = rules.iso(timestamp(modified))
        return {
            "id": grant_id(self.prefix, kind, object_id),
            "grantProgramme": [
                {
                    "code": ocid,
                    "title": str(t["title_zh"] or t["title_en"]),
                    "url": f"{self.base_url}/projects/{tender_id}",
                }
            ],
            "relatedActivity": [ocid],
            "url": f"{self.base_url}/projects/{tender_id}",
            "fromOpenCall": "Yes",
            "plannedDates": planned,
            "classifications": giving_rules.classifications(str(t["category"] or ""), changed),
            "beneficiaryLocation": giving_rules.locations(str(t["t_area"] or "")),
            "dateModified": changed,
            "dataSource": f"{self.base_url}/ocds/records/{ocid}.json",
        }


def _day_or_none(value: Any) -> Any:
    """A stored date, or the day in China of a stored timestamp; None stays None."""
    if value is None:
        return None
    at = timestamp(value)
    return at.astimezone(giving_rules.CHINA).date() if isinstance(at, datetime) else day(at)


async def sponsorship_grants(ctx: _Context) -> list[dict[str, Any]]:
    rows = await execute(
        f"SELECT c.id, c.tender, c.amount, c.currency, c.status, c.note, c.received_at, {ORG}"
        " FROM donors_v_contribution c JOIN market_v_organization o ON o.id = c.organization"
        " JOIN market_v_tender t ON t.id = c.tender"  # real tenders only (never a sandbox one)
        " WHERE c.kind = 'sponsorship' AND c.status IN ('received', 'returned') ORDER BY c.id"
    )
    await ctx.load_tenders({int(r["tender"]) for r in rows})
    grants = []
    for r in rows:
        tender_id = int(r["tender"])
        title = str(ctx.tenders[tender_id]["title_zh"])
        returned = " (returned to the sponsor)" if r["status"] == "returned" else ""
        grants.append(
            {
                **ctx.base(tender_id, "sponsorship", int(r["id"]), r["received_at"]),
                **ctx.to_escrow(tender_id),
                "title": f"赞助：{title}",
                "description": f"Sponsorship of the public-interest project {title}{returned}."
                + (f" {r['note']}" if r["note"] else ""),
                "currency": str(r["currency"]),
                "amountAwarded": rules.yuan(int(r["amount"])),
                "awardDate": rules.iso(timestamp(r["received_at"])),
                "fundingOrganization": [organization(dict(r))],
            }
        )
    return grants


async def match_grants(ctx: _Context) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT d.id, d.tender, d.match_amount, d.currency, d.paid_at, p.id AS pledge,"
        f" {ORG} FROM donors_v_donation d JOIN donors_v_pledge p ON p.id = d.match_pledge"
        " JOIN market_v_organization o ON o.id = p.sponsor"
        " JOIN market_v_tender t ON t.id = d.tender"  # real tenders only
        " WHERE d.match_status = 'posted' AND d.match_amount > 0 ORDER BY d.id"
    )
    await ctx.load_tenders({int(r["tender"]) for r in rows})
    grants = []
    for r in rows:
        tender_id = int(r["tender"])
        title = str(ctx.tenders[tender_id]["title_zh"])
        grants.append(
            {
                **ctx.base(tender_id, "match", int(r["id"]), r["paid_at"]),
                **ctx.to_escrow(tender_id),
                "title": f"配捐：{title}",
                "description": f"Match of a public donation under pledge {r['pledge']} "
                f"for the project {title}.",
                "currency": str(r["currency"]),
                "amountAwarded": rules.yuan(int(r["match_amount"])),
                "awardDate": rules.iso(timestamp(r["paid_at"])),
                "fundingOrganization": [organization(dict(r))],
            }
        )
    return grants


async def tranche_grants(ctx: _Context) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT m.id, m.position, m.deliverable, m.amount, m.due, m.decided_at, c.tender,"
        f" c.currency, {ORG} FROM bids_v_milestone m JOIN bids_v_contract c ON c.id = m.contract"
        " JOIN market_v_organization o ON o.id = c.organization"
        " JOIN market_v_tender t ON t.id = c.tender"  # real tenders only
        " WHERE m.status = 'approved' AND m.released = {} ORDER BY m.id",
        True,
    )
    if not rows:
        return []
    await ctx.load_tenders({int(r["tender"]) for r in rows})
    by_milestone = await _releases_by_reference([f"milestone:{r['id']}" for r in rows])
    paid = await _paid_organizations(by_milestone)
    funders = await _source_funders({int(r["tender"]) for r in rows})
    grants = []
    for r in rows:
        parts = by_milestone.get(f"milestone:{r['id']}", [])
        payees = [paid[p["credit_code"]] for p in parts if p["credit_code"] in paid]
        grants.append(_tranche(ctx, dict(r), parts, payees[0] if payees else dict(r), funders))
    return grants


def _tranche(
    ctx: _Context,
    r: dict[str, Any],
    parts: list[dict[str, Any]],
    payee: dict[str, Any],
    funders: dict[tuple[int, str], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One paid tranche: to the organization paid, from the department, the sources'
    organizations and, for pooled money, the project's escrow fund."""
    tender_id = int(r["tender"])
    recipient = ctx.recipient(payee)
    department = organization(ctx.tenders[tender_id])
    funding = [department]
    transactions = []
    for part in parts:
        source = str(part["source"])
        # The government part comes from the department; pooled money from the escrow
        # fund its sponsors and donors gave to (named as funders, too).
        provider = department if source == "government" else ctx.escrow(tender_id)
        behind = [] if source == "government" else funders.get((tender_id, source), [])
        for org in [*behind, provider]:
            if org["id"] not in {f["id"] for f in funding}:
                funding.append(org)
        transactions.append(
            {
                "id": str(part["key"]),
                "transactionDate": rules.iso(timestamp(part["created_at"])),
                "currency": str(part["currency"]),
                "value": rules.yuan(int(part["amount"])),
                "description": SOURCE_NAMES[source],
                "provider": provider["id"],
                "recipient": recipient["id"],
            }
        )
    title = str(ctx.tenders[tender_id]["title_zh"])
    modified = max([timestamp(r["decided_at"]), *(timestamp(p["created_at"]) for p in parts)])
    contract = ctx.contracts.get(tender_id)
    return {
        **ctx.base(tender_id, "tranche", int(r["id"]), modified),
        "plannedDates": giving_rules.planned_dates(
            day(contract["starts"]) if contract else None, day(r["due"])
        ),
        "recipientOrganization": [recipient],
        "title": f"第{r['position']}期拨付：{title}",
        "description": f"Tranche {r['position']} of the contract for {title}, released "
        f"from escrow on approval of the deliverable: {r['deliverable']}",
        "currency": str(r["currency"]),
        "amountAwarded": rules.yuan(int(r["amount"])),
        "amountDisbursed": rules.yuan(sum(int(p["amount"]) for p in parts)),
        "awardDate": rules.iso(timestamp(r["decided_at"])),
        "fundingOrganization": funding,
        "disbursementTransaction": transactions,
    }


async def _releases_by_reference(references: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The release transfers of these references ("milestone:7"), in id order, with
    the account each one credited (the payee's `org:<id>:payable`)."""
    transfers = await execute(
        "SELECT t.key, t.amount, t.currency, t.source, t.reference, t.created_at,"
        " a.code AS credit_code FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account a ON a.id = t.credit_account WHERE t.reason = 'release'"
        f" AND t.reference IN ({marks(len(references))}) ORDER BY t.id",
        *references,
    )
    by_reference: dict[str, list[dict[str, Any]]] = {}
    for t in transfers:
        by_reference.setdefault(str(t["reference"]), []).append(dict(t))
    return by_reference


async def _paid_organizations(
    by_reference: dict[str, list[dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """payable account code → the organization it belongs to."""
    codes = {str(p["credit_code"]) for parts in by_reference.values() for p in parts}
    ids = sorted(
        {int(c.split(":")[1]) for c in codes if c.startswith("org:") and c.split(":")[1].isdigit()}
    )
    if not ids:
        return {}
    rows = await execute(
        f"SELECT {ORG} FROM market_v_organization o WHERE o.id IN ({marks(len(ids))})", *ids
    )
    return {payable_code(int(r["org_id"])): dict(r) for r in rows}


async def _source_funders(tender_ids: set[int]) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """Organizations behind each non-government source of these tenders."""
    ids = sorted(tender_ids)
    m = marks(len(ids))
    rows = await execute(
        f"SELECT DISTINCT c.tender, c.source, {ORG} FROM donors_v_contribution c"
        " JOIN market_v_organization o ON o.id = c.organization"
        f" WHERE c.tender IN ({m}) AND c.status IN ('received', 'returned')"
        " UNION"
        f" SELECT DISTINCT d.tender, p.source, {ORG} FROM donors_v_donation d"
        " JOIN donors_v_pledge p ON p.id = d.match_pledge"
        " JOIN market_v_organization o ON o.id = p.sponsor"
        f" WHERE d.tender IN ({m}) AND d.match_status = 'posted' AND d.match_amount > 0",
        *ids,
        *ids,
    )
    out: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (int(r["tender"]), str(r["source"]), str(r["uscc"]))):
        out.setdefault((int(row["tender"]), str(row["source"])), []).append(organization(dict(row)))
    return out


async def grants() -> list[dict[str, Any]]:
    settings = get_settings()
    ctx = _Context(settings.ocds_prefix, public_base_url())
    return [
        *(await sponsorship_grants(ctx)),
        *(await match_grants(ctx)),
        *(await tranche_grants(ctx)),
        *(await giving_funds.fund_sponsorship_grants(ctx, organization)),
        *(await giving_funds.fund_grants(ctx)),
    ]


async def grants_package() -> dict[str, Any]:
    """The package (an empty `grants` list while nothing was granted yet: the schema
    asks for at least one grant, so an empty package is only an empty state)."""
    from opendata.ocds.packages import publisher

    settings = get_settings()
    base_url = public_base_url()
    pub = await publisher()
    now = rules.iso(clock.now())
    return {
        "grants": await grants(),
        "version": VERSION,
        "title": "公益创投市场 360Giving 赠款数据 Public Good Market grants",
        "description": "Sponsorships, matched donations and paid tranches of the district's "
        "public-interest tenders, and the grants of its community funds.",
        "identifier": f"360G-{settings.ocds_prefix}",
        "issued": now,
        "modified": now,
        "publisher": {
            "identifier": rules.party_id(pub["uid"]) if pub["uid"] else "",
            "name": pub["name"],
            "website": base_url,
        },
        "downloadURL": f"{base_url}/360giving/grants.json",
        "license": rules.LICENSE,
    }
