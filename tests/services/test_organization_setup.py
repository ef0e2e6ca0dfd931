"""Organizations that do not register themselves: the platform's first operator,
founded by the system, and the departments (or organizations the centre already
knows) an operator sets up on behalf of their admin — verified, each step in the
audit chain, nothing half-written when refused."""

from __future__ import annotations

import json

import pytest

from market import organizations
from market.accounts import load_principal
from market.errors import Conflict, PermissionDenied, ValidationFailed
from market.organizations import services
from market.sql import execute
from market.tables import Membership, Organization
from tests.builders import make_operator, make_user, next_uscc

CENTRE = {
    "name_zh": "明湖区社会组织培育发展中心",
    "name_en": "Minghu Cultivation Centre",
    "description_zh": "运营公益招投标平台。",
    "registered_year": 2015,
}


async def organization_events(org_id: int) -> list[tuple[str, str, dict]]:
    rows = await execute(
        "SELECT actor, action, change FROM audit_event WHERE object_type = 'organization'"
        " AND object_id = {} ORDER BY seq",
        str(org_id),
    )
    return [(r["actor"], r["action"], json.loads(r["change"])) for r in rows]


async def test_the_system_founds_the_first_operator_once(frozen_clock):
    admin = await make_user("chen.min@example.org")
    code = next_uscc("1", "2")
    org_id = await services.found_operator(admin_user_id=admin, uscc=code, **CENTRE)

    row = (await Organization.select().where(Organization.id == org_id))[0]
    assert (row["kind"], row["status"], row["decided_by"]) == ("operator", "verified", None)
    assert row["decided_at"] == frozen_clock()
    assert await organizations.is_operator(admin)
    assert "operator" in (await load_principal(admin)).roles
    assert await organization_events(org_id) == [
        (
            "system",
            "organization.register",
            {"kind": "operator", "uscc": code, "status": "pending", "admin": admin},
        ),
        (
            "system",
            "organization.verify",
            {"from": "pending", "to": "verified", "reason": "", "rating": ""},
        ),
    ]

    with pytest.raises(Conflict):  # a second "first" operator is refused, nothing written
        await services.found_operator(admin_user_id=admin, uscc=next_uscc("1", "2"), **CENTRE)
    assert await Organization.count() == 1


async def test_an_operator_sets_up_a_department_for_its_admin_verified():
    operator = await make_operator("operator@example.org")
    staff = await make_user("wang.qiang@example.org")
    code = next_uscc("1", "1")
    org_id = await services.set_up_organization(
        operator_id=operator,
        admin_user_id=staff,
        kind="department",
        uscc=code,
        name_zh="明湖区民政局",
        area="",
    )
    row = (await Organization.select().where(Organization.id == org_id))[0]
    assert (row["status"], row["decided_by"]) == ("verified", operator)
    assert "department" in (await load_principal(staff)).roles
    assert await organization_events(org_id) == [
        (
            f"user:{operator}",
            "organization.register",
            {"kind": "department", "uscc": code, "status": "pending", "admin": staff},
        ),
        (
            f"user:{operator}",
            "organization.verify",
            {"from": "pending", "to": "verified", "reason": "", "rating": ""},
        ),
    ]


async def test_an_organization_without_an_admin_yet_has_no_member_and_keeps_its_rating():
    operator = await make_operator()
    org_id = await services.set_up_organization(
        operator_id=operator,
        admin_user_id=None,
        rating="4a",
        kind="social_org",
        uscc=next_uscc(),
        name_zh="明湖区社区治理协调发展中心",
        category="coordination_management",
    )
    row = (await Organization.select().where(Organization.id == org_id))[0]
    assert (row["status"], row["rating"]) == ("verified", "4A")
    assert await Membership.count().where(Membership.organization == org_id) == 0
    assert (await organization_events(org_id))[0][2]["admin"] is None


async def test_refusals_leave_nothing_behind():
    operator = await make_operator()
    someone = await make_user()
    department = {"kind": "department", "name_zh": "明湖区民政局", "uscc": next_uscc("1", "1")}
    with pytest.raises(PermissionDenied):  # only operators set organizations up
        await services.set_up_organization(operator_id=someone, admin_user_id=None, **department)
    with pytest.raises(PermissionDenied):  # nor verify one they would belong to
        await services.set_up_organization(
            operator_id=operator, admin_user_id=operator, **department
        )
    with pytest.raises(ValidationFailed) as caught:
        await services.set_up_organization(
            operator_id=operator, admin_user_id=None, **{**department, "uscc": "123"}
        )
    assert set(caught.value.errors) == {"uscc"}
    assert await Organization.count() == 1  # the operator's own
    events = await execute("SELECT action FROM audit_event WHERE object_type = 'organization'")
    assert events == []
