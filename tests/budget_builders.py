"""Budget factories: a district with streets and communities, its finance bureau (a
department the operator designates), an appropriation with lines, and tenders held
against a line — each through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from market import clock
from market.budget import services as budget
from market.budget.access import designate_finance_bureau
from market.budget.rules import budget_year
from market.money import Money
from market.places.services import add_place
from market.tenders import services as tenders
from tests.builders import make_operator, make_org, make_user
from tests.tender_builders import Department, make_department, tender_form

_serial = itertools.count(1)


def cny(yuan: int) -> Money:
    return Money(yuan * 100, "CNY")


@dataclass
class District:
    id: int
    code: str
    streets: list[int]
    communities: list[int]  # two per street, in code order
    codes: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finance:
    user_id: int
    org_id: int
    email: str


async def make_district(code: str = "330109000000") -> District:
    """明湖区 with two streets of two communities each (added by the system)."""
    actor = "system:test"
    district = await add_place(
        code=code, name_zh="明湖区", name_en="Minghu District", parent_id=None, actor=actor
    )
    out = District(district.id, code, [], [], {district.id: code})
    streets = (("湖滨街道", "Hubin Subdistrict"), ("北山街道", "Beishan Subdistrict"))
    communities = (("湖畔社区", "Lakeside"), ("柳岸社区", "Willow Bank"))
    for s, (street_zh, street_en) in enumerate(streets, 1):
        street_code = f"{code[:6]}{s:03d}000"
        street = await add_place(
            code=street_code,
            name_zh=street_zh,
            name_en=street_en,
            parent_id=district.id,
            actor=actor,
        )
        out.streets.append(street.id)
        out.codes[street.id] = street_code
        for c, (name_zh, name_en) in enumerate(communities, 1):
            community_code = f"{street_code[:9]}{c:03d}"
            community = await add_place(
                code=community_code,
                name_zh=name_zh,
                name_en=f"{name_en} Community",
                parent_id=street.id,
                actor=actor,
            )
            out.communities.append(community.id)
            out.codes[community.id] = community_code
    return out


async def make_finance(district: District) -> Finance:
    """The district's finance bureau with one officer, designated by an operator."""
    n = next(_serial)
    email = f"finance{n}@example.org"
    user_id = await make_user(email, display_name="Finance officer")
    org_id = await make_org(
        kind="department",
        name_zh="明湖区财政局",
        name_en="Minghu District Finance Bureau",
        category="",
        admin=user_id,
    )
    operator = await make_operator(f"finance-operator{n}@example.org")
    await designate_finance_bureau(
        operator_id=operator, organization_id=org_id, district_id=district.id
    )
    return Finance(user_id, org_id, email)


async def appropriation(
    finance: Finance, district: District, yuan: int = 20_000_000, year: int | None = None
) -> int:
    return await budget.record_appropriation(
        year=year or budget_year(clock.now()),
        district_id=district.id,
        amount=cny(yuan),
        reference="明财预〔2026〕1号",
        user_id=finance.user_id,
    )


async def funded_line(
    finance: Finance,
    appropriation_id: int,
    place_id: int,
    yuan: int,
    category: str = "community_services",
) -> int:
    """A line opened and allocated `yuan`."""
    line = await budget.open_line(
        appropriation_id=appropriation_id,
        place_id=place_id,
        category=category,
        user_id=finance.user_id,
    )
    if yuan:
        await budget.allocate(
            line_id=line, amount=cny(yuan), key=f"fund-{line}", user_id=finance.user_id
        )
    return line


async def department_without_budget() -> Department:
    """A department whose own budget account is empty: its tenders live on lines."""
    return await make_department(budget_yuan=0, name="湖滨街道办事处")


async def line_tender(
    department: Department, place_id: int, line_id: int | None, yuan: int, **overrides: Any
) -> int:
    """A draft tender of `place_id` against `line_id` with a budget of `yuan`."""
    form = tender_form(budget=str(yuan), place=str(place_id), **overrides)
    if line_id is not None:
        form["budget_line"] = str(line_id)
    return await tenders.create_tender(
        user_id=department.user_id, department_id=department.id, form=form
    )
