"""Pure 360Giving pieces: where beneficiaries are, what a grant is about, when it runs,
who receives it (organizations in detail, or a project's escrow). No I/O.

**Geographic codes.** Chinese administrative divisions: a county-level division has a
6-digit code (GB/T 2260, `geoCodeType` "CN-GB/T2260"); a township-level division
(街道, street) adds 3 digits (GB/T 10114, "CN-GB/T10114"; streets take 001–099). The
district this platform serves, 明湖区 (Minghu District), is fictional: its code
330199 and its streets' codes 330199001–330199003 are made up but well formed (the
district code is `market.demo_data.DIVISION`, the one in its organizations' USCCs).
Communities (社区) get no code of ours: their 12-digit codes are not made up here;
they are named in the street's location instead.

**Re-granting.** Money given to a project — before its contract is signed or after —
goes into the project's escrow (托管资金), held by the platform operator and paid out
in tranches to the organization contracted. As 360Giving asks for re-granting, a
sponsorship or match is a grant whose recipient is that escrow fund with
`regrantType` FRG040 ("Funder collaboration": grants by several funders to one fund
for redistribution); the tranche grants paid from the fund name it among their
funders. So no fen is counted twice for a recipient: the fund's grants add up to what
was put into it, an organization's to what was released to it.

**Planned dates** are the funded activity's planned period (360Giving `plannedDates`):
the signed contract's, from its start date to its last milestone's due date. Before a
contract there is none to publish — the tender plans no implementation period of its
own — so a grant then has no `plannedDates` rather than a made-up one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8))
DISTRICT_CODE = "330199"
DISTRICT_NAME = "明湖区"
STREET_CODES: dict[str, str] = {
    "湖滨街道": "330199001",
    "北山街道": "330199002",
    "新桥街道": "330199003",
}
DIVISION_TYPE = "CN-GB/T2260"
STREET_TYPE = "CN-GB/T10114"
REGRANT_TYPE = "FRG040"
CATEGORY_VOCABULARY = "PGM-service-category"
CATEGORY_TITLES: dict[str, str] = {
    "software_services": "软件服务 Software services",
    "science_technology": "科技服务 Science & technology",
    "dispute_mediation": "纠纷调解 Dispute mediation",
    "coordination_management": "协调管理 Coordination & management",
    "charity": "慈善 Charity",
    "community_services": "社区服务 Community services",
}
ORGANISATION_TYPES: dict[str, str] = {
    "department": "政府部门 Government department",
    "social_org": "社会组织 Social organization",
    "company": "企业 Company",
    "foundation": "基金会 Foundation",
    "operator": "平台运营方 Platform operator",
}


def district_location() -> dict[str, Any]:
    return {
        "id": f"CN-{DISTRICT_CODE}",
        "name": DISTRICT_NAME,
        "countryCode": "CN",
        "geoCode": DISTRICT_CODE,
        "geoCodeType": DIVISION_TYPE,
    }


def locations(area: str) -> list[dict[str, Any]]:
    """Where a service's beneficiaries are: its street (when the area names one of the
    district's streets, "湖滨街道" or "湖滨街道·柳岸社区") and the district."""
    street, _, community = (area or "").partition("·")
    code = STREET_CODES.get(street.strip())
    if code is None:
        return [district_location()]
    place: dict[str, Any] = {
        "id": f"CN-{code}",
        "name": street.strip(),
        "countryCode": "CN",
        "geoCode": code,
        "geoCodeType": STREET_TYPE,
    }
    if community.strip():
        place["description"] = community.strip()
    return [place, district_location()]


def classifications(category: str, modified: str) -> list[dict[str, Any]]:
    if category not in CATEGORY_TITLES:
        return []
    return [
        {
            "vocabulary": CATEGORY_VOCABULARY,
            "code": category,
            "title": CATEGORY_TITLES[category],
            "dateModified": modified,
        }
    ]


def planned_dates(start: date | None, end: date | None) -> list[Any]:
    """One planned period, each day as its start in China as a full date-time (a bare
    YYYY-MM-DD would match both branches of the schema's date `oneOf`); nothing when
    not even the start is known."""
    if start is None:
        return []
    event: dict[str, Any] = {"startDate": _start_of(start)}
    if end is not None and end >= start:
        event["endDate"] = _start_of(end)
    return [event]


def _start_of(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=CHINA).isoformat()


def recipient(row: dict[str, Any], party_id: str, url: str) -> dict[str, Any]:
    """An organization with what 360Giving asks of a recipient: names, kind, address
    (district and street) and its location with geographic codes."""
    org: dict[str, Any] = {"id": party_id, "name": str(row["name_zh"])}
    if row.get("name_en"):
        org["alternateName"] = str(row["name_en"])
    kind = str(row.get("kind") or "")
    if kind in ORGANISATION_TYPES:
        org["organisationType"] = ORGANISATION_TYPES[kind]
    area = str(row.get("area") or "")
    org["addressLocality"] = DISTRICT_NAME
    if area.partition("·")[0].strip() in STREET_CODES:
        org["streetAddress"] = area
    org["addressCountry"] = "CN"
    org["location"] = locations(area)
    org["url"] = url
    return org


def escrow_recipient(prefix: str, tender_id: int, title: str, url: str) -> dict[str, Any]:
    """A project's escrow fund, the recipient of money given before a contract."""
    return {
        "id": f"360G-{prefix}-escrow-{tender_id}",
        "name": f"{title}项目托管资金",
        "alternateName": f"Escrow fund of the project {title}",
        "description": "Held in escrow by the platform operator for this project and paid "
        "in tranches to the organization contracted for it.",
        "organisationType": "项目托管资金 Project escrow fund",
        "addressLocality": DISTRICT_NAME,
        "addressCountry": "CN",
        "url": url,
    }


FUND_TYPE = "社区基金 Community fund"


def fund_organisation(
    prefix: str, code: str, name_zh: str, name_en: str, url: str
) -> dict[str, Any]:
    """A community's fund as a funder (or, for a sponsorship into it, a recipient).

    A community fund (社区基金) is a special fund held for its community by the district's
    social organization cultivation centre, the platform operator — no legal person, so
    no Unified Social Credit Code of its own. Its org-id is therefore a 360Giving
    self-assigned one, `360G-<publisher prefix>-fund-<the community's 12-digit division
    code>`: stable (the code never changes), unique per community, and telling a reader
    where the fund is; the escrow funds of projects are named the same way."""
    org: dict[str, Any] = {"id": f"360G-{prefix}-fund-{code}", "name": name_zh}
    if name_en:
        org["alternateName"] = name_en
    org["description"] = (
        "The community's own fund, held by the platform operator (the district's social "
        "organization cultivation centre); a committee of three residents decides its "
        "grants by recorded votes on open calls for proposals."
    )
    org["organisationType"] = FUND_TYPE
    org["addressLocality"] = DISTRICT_NAME
    org["addressCountry"] = "CN"
    org["url"] = url
    return org
