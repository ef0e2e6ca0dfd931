"""Factories for the donations tests: tenders (straight into the table), sponsors and
funded pledges (through the services, prepaid in the sandbox)."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta

from donors import pledges
from market import clock
from market.tables import Tender
from tests.builders import make_org, make_user

_serial = itertools.count(1)


async def make_tender(
    *,
    status: str = "tendering",
    category: str = "community_services",
    area: str = "湖滨街道",
    currency: str = "CNY",
    department: int | None = None,
    budget: int = 500_000_00,
) -> int:
    now = clock.now()
    if department is None:
        user = await make_user()
        department = await make_org(kind="department", name_zh="民政局", admin=user)
    n = next(_serial)
    rows = await Tender.insert(
        Tender(
            department=department,
            created_by=(await make_user()),
            title_zh=f"社区居家养老服务项目 {n}",
            title_en=f"Home care for elderly residents {n}",
            category=category,
            area_level="street",
            area=area,
            currency=currency,
            budget=budget,
            enquiry_end=now + timedelta(days=5),
            bid_deadline=now + timedelta(days=10),
            opening_at=now + timedelta(days=10),
            status=status,
            published_at=None if status == "draft" else now,
            status_changed_at=now,
            qa_salt=secrets.token_hex(8),
            created_at=now,
            updated_at=now,
        )
    ).returning(Tender.id)
    return int(rows[0]["id"])


async def make_sponsor(kind: str = "company") -> tuple[int, int]:
    """(user id, organization id) of a verified company or foundation admin."""
    user = await make_user()
    org = await make_org(kind=kind, name_zh="测试企业", category="", admin=user)
    return user, org


async def make_pledge(
    *,
    ratio: tuple[int, int] = (1, 1),
    per_donation_cap: int = 500_00,
    total_cap: int = 10_000_00,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    kind: str = "company",
    tender_ids: frozenset[int] = frozenset(),
    categories: frozenset[str] = frozenset(),
    funded: bool = True,
) -> int:
    user, org = await make_sponsor(kind)
    now = clock.now()
    pledge_id, _, _ = await pledges.create_pledge(
        sponsor_id=org,
        user_id=user,
        sponsor_kind=kind,
        ratio_sponsor=ratio[0],
        ratio_donor=ratio[1],
        per_donation_cap=per_donation_cap,
        total_cap=total_cap,
        valid_from=valid_from or now - timedelta(days=1),
        valid_until=valid_until or now + timedelta(days=30),
        tender_ids=tender_ids,
        categories=categories,
        provider="sandbox" if funded else "bank_transfer",
    )
    return pledge_id
