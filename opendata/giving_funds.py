# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The community funds in the 360Giving package (read through the funds app's views):

- a grant of a community fund (`funds_v_grant`): funder = the fund (its own org-id,
  `giving_rules.fund_organisation`), recipient = the organization granted, amount = the
  grant the committee decided, disbursed = what the ledger released for its tranches
  (one disbursement transaction per release transfer, `fund_tranche:<id>`);
- a sponsorship of a community fund (`funds_v_gift`, a company's or a foundation's):
  funder = the sponsor, recipient = the fund, as a re-grant (FRG040) — the fund's
  grants name the fund as their funder, so no fen is counted twice for a recipient.

Residents' gifts are not grants of an organization and are not published one by one.
"""

from __future__ import annotations

from typing import Any

from market.places.queries import lineage, place_by_code
from market.sql import execute
from market.timestamps import day, timestamp
from opendata import giving_rules
from opendata.ocds import rules

FUND_ORG = "o.name_zh AS fund_zh, o.name_en AS fund_en, o.uscc AS fund_uscc"

_GRANTS = f"""
SELECT g.id, g.tender, g.amount, g.currency, g.decided_at, g.votes_for, g.votes_against,
       c.ends, {FUND_ORG},
       r.id AS org_id, r.kind, r.area, r.uscc, r.name_zh, r.name_en
FROM funds_v_grant g JOIN funds_v_call c ON c.id = g.call
JOIN funds_v_fund f ON f.id = g.fund
JOIN market_v_organization o ON o.id = f.organization
JOIN market_v_organization r ON r.id = g.organization
JOIN market_v_tender t ON t.id = g.tender
ORDER BY g.id
"""

_RELEASES = """
SELECT e.key, e.amount, e.currency, e.created_at, r.grant_id
FROM market_v_ledger_transfer e
JOIN funds_v_tranche r ON e.reference = 'fund_tranche:' || CAST(r.id AS TEXT)
WHERE e.reason = 'release' ORDER BY e.id
"""

_SPONSORSHIPS = f"""
SELECT s.id, s.amount, s.currency, s.paid_at, {FUND_ORG},
       p.id AS org_id, p.kind, p.area, p.uscc, p.name_zh, p.name_en
FROM funds_v_gift s JOIN funds_v_fund f ON f.id = s.fund
JOIN market_v_organization o ON o.id = f.organization
JOIN market_v_organization p ON p.id = s.sponsor
WHERE s.status = 'paid' AND s.sponsor IS NOT NULL ORDER BY s.id
"""


def _code(row: dict[str, Any]) -> str:
    """The community's code, from the fund organization's identifier (`FUND-<code>`)."""
    return str(row["fund_uscc"]).removeprefix("FUND-")


async def _where(code: str) -> list[dict[str, Any]]:
    """The community's street and the district, the community named in the street."""
    places = await lineage((await place_by_code(code)).id)
    street = next((p for p in places if p.tier == "street"), None)
    community = places[-1]
    return giving_rules.locations(f"{street.name_zh}·{community.name_zh}" if street else "")


class FundContext:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def fund(self, row: dict[str, Any]) -> dict[str, Any]:
        code = _code(row)
        url = f"{self.ctx.base_url}/communities/{code}"
        return giving_rules.fund_organisation(
            self.ctx.prefix, code, str(row["fund_zh"]), str(row["fund_en"] or ""), url
        )


async def fund_grants(ctx: Any) -> list[dict[str, Any]]:
    rows = await execute(_GRANTS)
    if not rows:
        return []
    await ctx.load_tenders({int(r["tender"]) for r in rows})
    releases: dict[int, list[dict[str, Any]]] = {}
    for t in await execute(_RELEASES):
        releases.setdefault(int(t["grant_id"]), []).append(dict(t))
    funds = FundContext(ctx)
    return [await _grant(ctx, funds, dict(r), releases.get(int(r["id"]), [])) for r in rows]


async def _grant(
    ctx: Any, funds: FundContext, r: dict[str, Any], parts: list[dict[str, Any]]
) -> dict[str, Any]:
    tender_id = int(r["tender"])
    funder, recipient = funds.fund(r), ctx.recipient(r)
    title = str(ctx.tenders[tender_id]["title_zh"])
    decided = timestamp(r["decided_at"])
    modified = max([decided, *(timestamp(p["created_at"]) for p in parts)])
    page = f"{ctx.base_url}/communities/{_code(r)}/calls/{tender_id}"
    return {
        **ctx.base(tender_id, "fundgrant", int(r["id"]), modified),
        "url": f"{ctx.base_url}/grants/{r['id']}",
        "grantProgramme": [{"code": ctx.ocid(tender_id), "title": title, "url": page}],
        "plannedDates": giving_rules.planned_dates(
            decided.astimezone(giving_rules.CHINA).date(), day(r["ends"])
        ),
        "beneficiaryLocation": await _where(_code(r)),
        "title": f"社区基金资助：{title}",
        "description": f"Grant of {r['fund_en'] or r['fund_zh']} under its call for proposals"
        f" {title}, decided by the committee's recorded votes ({r['votes_for']} for,"
        f" {r['votes_against']} against); paid in tranches from the call's escrow when the"
        " committee approves the grantee's reports.",
        "currency": str(r["currency"]),
        "amountAwarded": rules.yuan(int(r["amount"])),
        "amountDisbursed": rules.yuan(sum(int(p["amount"]) for p in parts)),
        "awardDate": rules.iso(decided),
        "fundingOrganization": [funder],
        "recipientOrganization": [recipient],
        "disbursementTransaction": [
            {
                "id": str(p["key"]),
                "transactionDate": rules.iso(timestamp(p["created_at"])),
                "currency": str(p["currency"]),
                "value": rules.yuan(int(p["amount"])),
                "description": "Tranche released from the call's escrow",
                "provider": funder["id"],
                "recipient": recipient["id"],
            }
            for p in parts
        ],
    }


async def fund_sponsorship_grants(ctx: Any, organization: Any) -> list[dict[str, Any]]:
    """`organization`: how the package names a funder (`opendata.giving.organization`)."""
    funds = FundContext(ctx)
    grants = []
    for r in await execute(_SPONSORSHIPS):
        fund = funds.fund(dict(r))
        paid = timestamp(r["paid_at"])
        grants.append(
            {
                "id": f"360G-{ctx.prefix}-fundgift-{r['id']}",
                "title": f"赞助社区基金：{r['fund_zh']}",
                "description": f"Sponsorship of {r['fund_en'] or r['fund_zh']}, the community's"
                " own fund: its committee grants it to residents' projects through open calls.",
                "currency": str(r["currency"]),
                "amountAwarded": rules.yuan(int(r["amount"])),
                "awardDate": rules.iso(paid),
                "dateModified": rules.iso(paid),
                "url": fund["url"],
                "fromOpenCall": "No",
                "beneficiaryLocation": await _where(_code(dict(r))),
                "fundingOrganization": [organization(dict(r))],
                "recipientOrganization": [fund],
                "regrantType": giving_rules.REGRANT_TYPE,
            }
        )
    return grants
