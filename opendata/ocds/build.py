"""Pure: the facts of one contracting process at one moment → one OCDS 1.1 release.

Ids inside the release (documents, amendments, awards, contracts, milestones,
transactions) are the database ids, stable across releases so that records merge.
Tenderers and bid prices appear only when `facts.opened` (the bids were opened
after the deadline); until then the release says nothing about bids at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market.timestamps import day, timestamp
from opendata.ocds import rules

SOURCE_NAMES: dict[str, str] = {
    "government": "政府购买服务资金 Government budget",
    "corporate": "企业赞助 Corporate sponsorship",
    "foundation": "基金会资助 Foundation grants",
    "public": "公众捐赠 Public donations",
    "own": "社会组织自筹 Organization's own income",
}
SOURCES = tuple(SOURCE_NAMES)


@dataclass
class ProcessFacts:
    tender: dict[str, Any]
    department: dict[str, Any]
    documents: list[dict[str, Any]]
    amendments: list[dict[str, Any]]
    opened: bool
    bids: list[dict[str, Any]]
    awards: list[dict[str, Any]]
    contracts: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    releases: list[dict[str, Any]]  # ledger transfers with reason "release"
    funding: dict[str, int]  # source → the ledger's: received − returned + pending into escrow
    funders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # source → orgs
    # The budget line its government budget is held against (opendata.budget.queries
    # line_facts), None for a tender without one.
    budget_line: dict[str, Any] | None = None


@dataclass
class Parties:
    """parties[] under construction: one entry per organization, roles accumulated."""

    ocid: str
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def org(self, row: dict[str, Any], *roles: str) -> dict[str, Any]:
        pid = rules.party_id(str(row["uscc"]))
        party = self.by_id.get(pid)
        if party is None:
            party = rules.organization_party(
                str(row["uscc"]), str(row["name_zh"]), str(row["name_en"] or ""), set()
            )
            self.by_id[pid] = party
        party["roles"] = sorted(set(party["roles"]) | set(roles))
        return rules.reference(party)

    def pool(self, source: str, *roles: str) -> dict[str, Any]:
        """Several funders (or anonymous donors) of one source: one pooled party."""
        pid = f"{self.ocid}-{source}"
        party = self.by_id.setdefault(pid, {"id": pid, "name": SOURCE_NAMES[source], "roles": []})
        party["roles"] = sorted(set(party["roles"]) | set(roles))
        return rules.reference(party)

    def as_list(self) -> list[dict[str, Any]]:
        return [self.by_id[k] for k in sorted(self.by_id)]


def _source_party(facts: ProcessFacts, parties: Parties, source: str, *roles: str) -> Any:
    """Who stands behind a funding source: the department for the government budget,
    the one funder of a source when there is one, else the source's pool."""
    if source == "government":
        return parties.org(facts.department, *roles)
    funders = facts.funders.get(source, [])
    if len(funders) == 1:
        return parties.org(funders[0], *roles)
    return parties.pool(source, *roles)


def build_release(
    facts: ProcessFacts,
    *,
    ocid: str,
    release_id: str,
    tag: str,
    at: datetime,
    base_url: str,
) -> dict[str, Any]:
    t = facts.tender
    currency = str(t["currency"])
    parties = Parties(ocid)
    buyer = parties.org(facts.department, "buyer", "procuringEntity")
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": release_id,
        "date": rules.iso(at),
        "tag": [tag],
        "initiationType": "tender",
        "language": "zh",
        "buyer": buyer,
        "planning": {"budget": _budget(facts, parties, ocid, currency, base_url)},
        "tender": _tender(facts, parties, buyer, currency, base_url),
    }
    awards = _awards(facts, parties, currency)
    if awards:
        release["awards"] = awards
    contracts = _contracts(facts, parties, currency, base_url)
    if contracts:
        release["contracts"] = contracts
    release["parties"] = parties.as_list()
    return release


def _budget_line(line: dict[str, Any], base_url: str) -> dict[str, Any]:
    """planning.budget's names of the budget line and its appropriation: the id is the
    line's ledger account (the Fiscal Data Package's budget-line-id), the project the
    year's appropriation (its projectID the appropriation's account)."""
    year = line["year"]
    return {
        "id": line["code"],
        "description": f"{year}年 {line['place_zh']} {line['category_zh']}"
        f" · {year} {line['place_en']}: {line['category_en']}",
        "project": line["project"] + (f" ({line['reference']})" if line["reference"] else ""),
        "projectID": line["appropriation"],
        "uri": f"{base_url}/api/v1/budget?line={line['id']}&year={year}",
    }


def _budget(
    facts: ProcessFacts, parties: Parties, ocid: str, currency: str, base_url: str
) -> dict[str, Any]:
    breakdown = []
    for source in SOURCES:
        amount = int(facts.funding.get(source, 0))
        if amount <= 0:
            continue
        line: dict[str, Any] = {
            "id": source,
            "description": SOURCE_NAMES[source],
            "amount": rules.value(amount, currency),
        }
        # The budget breakdown extension: a sourceParty has the `sourceParty` role.
        line["sourceParty"] = _source_party(facts, parties, source, "funder", "sourceParty")
        breakdown.append(line)
    budget = {
        "id": f"{ocid}-budget",
        "description": "按资金来源计的项目资金（以账本为准）"
        " Project funding per source as the ledger shows it: received less returned,"
        " plus what is promised into escrow",
        "amount": rules.value(sum(int(v) for v in facts.funding.values()), currency),
        "budgetBreakdown": breakdown,
    }
    if facts.budget_line:
        budget.update(_budget_line(facts.budget_line, base_url))
    return budget


def _tender(
    facts: ProcessFacts,
    parties: Parties,
    buyer: dict[str, Any],
    currency: str,
    base_url: str,
) -> dict[str, Any]:
    t = facts.tender
    criteria = t.get("criteria") or []
    if isinstance(criteria, str):
        import json

        criteria = json.loads(criteria or "[]")
    only_price = bool(criteria) and all(c.get("is_price") for c in criteria)
    tender: dict[str, Any] = {
        "id": str(t["id"]),
        "title": t["title_zh"] or t["title_en"],
        "description": t["description_zh"] or t["description_en"],
        "status": rules.TENDER_STATUS.get(str(t["status"]), "active"),
        "procuringEntity": buyer,
        "value": rules.value(int(t["budget"]), currency),
        "procurementMethod": "open",
        "mainProcurementCategory": "services",
        "awardCriteria": "priceOnly" if only_price else "ratedCriteria",
        "awardCriteriaDetails": "; ".join(
            f"{c.get('name', c.get('key', ''))} {c.get('weight', '')}%" for c in criteria
        ),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"endDate": rules.iso(timestamp(t["bid_deadline"]))},
        "enquiryPeriod": {"endDate": rules.iso(timestamp(t["enquiry_end"]))},
        "hasEnquiries": True,
        "awardPeriod": {"startDate": rules.iso(timestamp(t["opening_at"]))},
        "documents": _tender_documents(facts, base_url),
        "amendments": _amendments(facts),
    }
    if t.get("published_at"):
        published = rules.iso(timestamp(t["published_at"]))
        tender["tenderPeriod"]["startDate"] = published
        tender["enquiryPeriod"]["startDate"] = published
    if t["status"] in ("cancelled", "unsuccessful") and t.get("cancel_reason"):
        tender["statusDetails"] = t["cancel_reason"]
    if facts.opened:  # sealed until opened after the deadline: nothing about bids before
        tender["numberOfTenderers"] = len(facts.bids)
        tender["tenderers"] = [parties.org(b, "tenderer") for b in facts.bids]
    return tender


def _tender_documents(facts: ProcessFacts, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "id": str(d["id"]),
            "documentType": "tenderNotice",
            "title": d["title"] or d["filename"],
            "url": f"{base_url}/tenders/{facts.tender['id']}/documents/{d['id']}",
            "format": d["content_type"],
            "datePublished": rules.iso(timestamp(d["uploaded_at"])),
        }
        for d in facts.documents
    ]


def _amendments(facts: ProcessFacts) -> list[dict[str, Any]]:
    return [
        {
            "id": str(a["id"]),
            "date": rules.iso(timestamp(a["at"])),
            "rationale": a["note"] or "",
            "description": a["changes"] or "",
        }
        for a in facts.amendments
    ]


def _awards(facts: ProcessFacts, parties: Parties, currency: str) -> list[dict[str, Any]]:
    awards = []
    for a in facts.awards:
        status = rules.AWARD_STATUS.get(str(a["status"]), "pending")
        supplier = parties.org(a, "supplier") if status == "active" else parties.org(a)
        awards.append(
            {
                "id": str(a["id"]),
                "title": facts.tender["title_zh"] or facts.tender["title_en"],
                "status": status,
                "date": rules.iso(timestamp(a["awarded_at"])),
                "value": rules.value(int(a["price"]), currency),
                "suppliers": [supplier],
            }
        )
    return awards


def _contracts(
    facts: ProcessFacts, parties: Parties, currency: str, base_url: str
) -> list[dict[str, Any]]:
    out = []
    for c in facts.contracts:
        cid = int(c["id"])
        payee = parties.org(c, "supplier")
        milestone_ids = {int(m["id"]) for m in facts.milestones if int(m["contract"]) == cid}
        transactions = []
        for tr in facts.releases:
            reference = str(tr["reference"] or "")
            if reference.split(":", 1)[0] not in ("milestone", "fund_tranche"):
                continue  # a contract's milestone, or a community fund grant's tranche
            if int(reference.split(":", 1)[1]) not in milestone_ids:
                continue
            payee = parties.org(c, "supplier", "payee")
            transactions.append(
                {
                    "id": str(tr["key"]),
                    "source": f"{base_url}/projects/{facts.tender['id']}",
                    "date": rules.iso(timestamp(tr["created_at"])),
                    "value": rules.value(int(tr["amount"]), str(tr["currency"])),
                    "payer": _source_party(facts, parties, str(tr["source"]), "payer"),
                    "payee": payee,
                    "uri": f"{base_url}/api/v1/projects/{facts.tender['id']}/transfers",
                }
            )
        contract: dict[str, Any] = {
            "id": str(cid),
            "awardID": str(c["award"]),
            "title": facts.tender["title_zh"] or facts.tender["title_en"],
            "status": rules.contract_status(str(c["status"]), c["activated_at"] is not None),
            "value": rules.value(int(c["amount"]), str(c["currency"] or currency)),
            "period": {"startDate": rules.iso_day(day(c["starts"]))},
            "milestones": [_milestone(m) for m in facts.milestones if int(m["contract"]) == cid],
            "implementation": {"transactions": transactions},
        }
        if c["activated_at"] is not None:
            contract["dateSigned"] = rules.iso(timestamp(c["activated_at"]))
        if c.get("ended_at") is not None:
            contract["period"]["endDate"] = rules.iso(timestamp(c["ended_at"]))
        out.append(contract)
    return out


def _milestone(m: dict[str, Any]) -> dict[str, Any]:
    status = rules.MILESTONE_STATUS.get(str(m["status"]), "scheduled")
    milestone: dict[str, Any] = {
        "id": str(m["id"]),
        "title": m["deliverable"][:200],
        "type": "delivery",
        "description": m["deliverable"],
        "dueDate": rules.iso_day(day(m["due"])),
        "status": status,
    }
    if status == "met" and m.get("decided_at") is not None:
        milestone["dateMet"] = rules.iso(timestamp(m["decided_at"]))
    return milestone
