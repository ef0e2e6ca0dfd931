"""Registering organizations, the operator's decisions, members and the read models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market import organization_rules as rules
from market import organizations, uscc
from market.accounts import load_principal
from market.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from market.tables import Membership, Organization
from tests.builders import make_member, make_operator, make_org, make_user, next_uscc


def registration(user_id: int, **overrides):
    values = {
        "user_id": user_id,
        "kind": "social_org",
        "name_zh": "湖滨社区调解服务中心",
        "name_en": "Hubin Community Mediation Centre",
        "uscc": next_uscc(),
        "category": "dispute_mediation",
        "area": "湖滨街道",
        "description_zh": "社区矛盾纠纷调解。",
        "description_en": "Community dispute mediation.",
        "contact_email": "info@hubin.example.org",
    }
    return {**values, **overrides}


async def admin_of(org_id: int) -> int:
    row = await Membership.select(Membership.user).where(Membership.organization == org_id).first()
    return row["user"]


async def audit_actions() -> list[str]:
    from market.sql import execute

    return [row["action"] for row in await execute("SELECT action FROM audit_event ORDER BY seq")]


# --- registration -------------------------------------------------------------


async def test_registration_creates_a_pending_org_with_the_user_as_admin(frozen_clock):
    user = await make_user()
    org_id = await organizations.register_organization(**registration(user))
    org = await Organization.select().where(Organization.id == org_id).first()
    assert org["status"] == "pending"
    assert org["category"] == "dispute_mediation"
    assert org["submitted_at"] == frozen_clock()
    # Monday 2026-11-02 → end of Monday 2026-11-09, Beijing time.
    assert org["decision_due_at"] == datetime(2026, 11, 9, 15, 59, 59, tzinfo=UTC)
    membership = await Membership.select().where(Membership.organization == org_id).first()
    assert (membership["user"], membership["role"]) == (user, "admin")
    assert "organization.register" in await audit_actions()


async def test_duplicate_uscc_is_a_field_error_and_saves_nothing():
    user = await make_user()
    code = next_uscc()
    await organizations.register_organization(**registration(user, uscc=code))
    before = (await Organization.count(), await Membership.count())
    with pytest.raises(ValidationFailed) as caught:
        await organizations.register_organization(
            **registration(user, uscc=" " + code.lower(), name_zh="另一个名字")
        )
    assert caught.value.errors == {"uscc": organizations.DUPLICATE_USCC}
    assert (await Organization.count(), await Membership.count()) == before


async def test_bad_checksum_is_reported_beside_uscc_and_nothing_is_saved():
    user = await make_user()
    good = next_uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        await organizations.register_organization(**registration(user, uscc=bad))
    assert caught.value.errors == {"uscc": uscc.BAD_CHECK}
    assert await Organization.count() == 0
    assert await Membership.count() == 0
    assert await audit_actions() == []


async def test_an_organization_code_failing_gb_11714_is_refused_with_its_own_message():
    user = await make_user()
    good = next_uscc()
    wrong = "X" if good[16] != "X" else "0"
    first17 = good[:16] + wrong  # the embedded organization code's check is wrong …
    forged = first17 + uscc.check_char(first17)  # … though the 18th character fits
    with pytest.raises(ValidationFailed) as caught:
        await organizations.register_organization(**registration(user, uscc=forged))
    assert caught.value.errors == {"uscc": uscc.BAD_ORGANIZATION_CHECK}
    assert await Organization.count() == 0


async def test_every_field_error_is_reported_at_once():
    user = await make_user()
    with pytest.raises(ValidationFailed) as caught:
        await organizations.register_organization(
            **registration(user, name_zh="", uscc="123", category="")
        )
    assert set(caught.value.errors) == {"name_zh", "uscc", "category"}
    assert await Organization.count() == 0


async def test_departments_cannot_register_themselves():
    user = await make_user()
    with pytest.raises(ValidationFailed) as caught:
        await organizations.register_organization(**registration(user, kind="department"))
    assert set(caught.value.errors) == {"kind"}


# --- decisions ----------------------------------------------------------------


@pytest.fixture
async def operator():
    return await make_operator("operator@example.org")


@pytest.fixture
async def pending_org():
    applicant = await make_user("applicant@example.org")
    return await organizations.register_organization(**registration(applicant))


async def status_of(org_id: int) -> dict:
    return (
        await Organization.select(
            Organization.status,
            Organization.rating,
            Organization.decision_reason,
            Organization.decided_by,
        )
        .where(Organization.id == org_id)
        .first()
    )


async def test_operator_verifies_with_a_rating(operator, pending_org):
    status = await organizations.decide_organization(
        operator_id=operator, organization_id=pending_org, action="verify", rating="3A"
    )
    assert status == "verified"
    row = await status_of(pending_org)
    assert (row["status"], row["rating"], row["decided_by"]) == ("verified", "3A", operator)
    assert await audit_actions() == ["organization.register", "organization.verify"]


async def test_operator_rejects_with_a_reason(operator, pending_org):
    await organizations.decide_organization(
        operator_id=operator,
        organization_id=pending_org,
        action="reject",
        reason="The registration certificate does not match the code.",
    )
    row = await status_of(pending_org)
    assert row["status"] == "rejected"
    assert row["decision_reason"].startswith("The registration certificate")


async def test_reject_without_reason_is_refused_and_changes_nothing(operator, pending_org):
    with pytest.raises(ValidationFailed) as caught:
        await organizations.decide_organization(
            operator_id=operator, organization_id=pending_org, action="reject", reason=" "
        )
    assert set(caught.value.errors) == {"reason"}
    assert (await status_of(pending_org))["status"] == "pending"


async def test_suspend_and_reinstate(operator, pending_org):
    decide = organizations.decide_organization
    await decide(operator_id=operator, organization_id=pending_org, action="verify", rating="2A")
    await decide(
        operator_id=operator, organization_id=pending_org, action="suspend", reason="Audit overdue"
    )
    assert (await status_of(pending_org))["status"] == "suspended"
    await decide(operator_id=operator, organization_id=pending_org, action="reinstate")
    row = await status_of(pending_org)
    assert (row["status"], row["rating"]) == ("verified", "2A")


async def test_invalid_transition_is_refused(operator, pending_org):
    with pytest.raises(InvalidTransition):
        await organizations.decide_organization(
            operator_id=operator, organization_id=pending_org, action="reinstate"
        )
    assert (await status_of(pending_org))["status"] == "pending"


async def test_non_operator_is_refused_by_the_service(pending_org):
    someone = await make_user("someone@example.org")
    with pytest.raises(PermissionDenied):
        await organizations.decide_organization(
            operator_id=someone, organization_id=pending_org, action="verify"
        )
    assert (await status_of(pending_org))["status"] == "pending"


async def test_member_of_a_pending_operator_org_is_not_an_operator(pending_org):
    user = await make_user()
    await make_org(kind="operator", status="pending", admin=user, code=next_uscc("1", "2"))
    with pytest.raises(PermissionDenied):
        await organizations.decide_organization(
            operator_id=user, organization_id=pending_org, action="verify"
        )


async def test_operator_cannot_decide_on_an_org_they_belong_to(operator, pending_org):
    await make_member(operator, pending_org)
    with pytest.raises(PermissionDenied):
        await organizations.decide_organization(
            operator_id=operator, organization_id=pending_org, action="verify"
        )


async def test_deciding_on_a_missing_org_is_not_found(operator):
    with pytest.raises(NotFound):
        await organizations.decide_organization(
            operator_id=operator, organization_id=999_999, action="verify"
        )


# --- members ------------------------------------------------------------------


async def test_admin_adds_a_member_by_email(pending_org):
    admin = await admin_of(pending_org)
    new = await make_user("colleague@example.org")
    await organizations.add_member(
        admin_user_id=admin,
        organization_id=pending_org,
        email=" Colleague@Example.org ",
        role="member",
    )
    principal = await load_principal(new)
    assert principal is not None and principal.member_of(pending_org)
    assert not principal.member_of(pending_org, admin=True)


async def test_adding_members_errors(pending_org):
    admin = await admin_of(pending_org)
    with pytest.raises(ValidationFailed) as caught:
        await organizations.add_member(
            admin_user_id=admin,
            organization_id=pending_org,
            email="ghost@example.org",
            role="member",
        )
    assert set(caught.value.errors) == {"email"}
    with pytest.raises(ValidationFailed) as caught:
        await organizations.add_member(
            admin_user_id=admin,
            organization_id=pending_org,
            email="applicant@example.org",
            role="member",
        )
    assert set(caught.value.errors) == {"email"}
    with pytest.raises(ValidationFailed) as caught:
        await organizations.add_member(
            admin_user_id=admin, organization_id=pending_org, email="x@example.org", role="owner"
        )
    assert set(caught.value.errors) == {"role"}


async def test_only_admins_add_members(pending_org):
    member = await make_user("member@example.org")
    await make_member(member, pending_org, role="member")
    await make_user("friend@example.org")
    with pytest.raises(PermissionDenied):
        await organizations.add_member(
            admin_user_id=member,
            organization_id=pending_org,
            email="friend@example.org",
            role="admin",
        )


# --- read models --------------------------------------------------------------


async def test_public_list_shows_verified_only_and_filters():
    a = await make_org(name_zh="甲", category="charity", area="东街道", rating="5A")
    b = await make_org(name_zh="乙", category="dispute_mediation", area="西街道", rating="3A")
    c = await make_org(kind="company", name_zh="丙科技有限公司", name_en="Bing Tech", area="东街道")
    await make_org(name_zh="待审", status="pending")
    await make_org(name_zh="已拒", status="rejected")
    Filters = organizations.Filters

    async def ids(**filters):
        page = await organizations.list_organizations(Filters(**filters))
        return [row["id"] for row in page.rows]

    assert await ids() == [a, b, c]  # best rated first
    assert await ids(kind="company") == [c]
    assert await ids(category="charity") == [a]
    assert await ids(area="东街道") == [a, c]
    assert await ids(q="bing") == [c]
    assert await ids(q="乙") == [b]
    assert await ids(q="%") == [a, b, c]  # wildcards are not special
    assert await organizations.public_areas() == sorted(["东街道", "西街道"])


async def test_filters_ignore_unknown_codes():
    parsed = organizations.Filters.parse({"kind": "spaceship", "category": "charity", "q": " x "})
    assert parsed == organizations.Filters(category="charity", q="x")


async def test_pagination_is_stable_and_clamped():
    made = [await make_org(name_zh=f"组织{i}") for i in range(5)]
    pages = [
        await organizations.list_organizations(organizations.Filters(), page=p, page_size=2)
        for p in (1, 2, 3)
    ]
    assert [row["id"] for page in pages for row in page.rows] == made
    assert (pages[0].pages, pages[0].total, pages[0].has_next, pages[0].has_previous) == (
        3,
        5,
        True,
        False,
    )
    beyond = await organizations.list_organizations(organizations.Filters(), page=99, page_size=2)
    assert beyond.page == 3


async def test_pending_profile_is_hidden_from_the_public_but_not_from_insiders(
    operator, pending_org
):
    with pytest.raises(NotFound):
        await organizations.organization_profile(pending_org, None)
    stranger = await load_principal(await make_user())
    with pytest.raises(NotFound):
        await organizations.organization_profile(pending_org, stranger)
    admin = await admin_of(pending_org)
    own = await organizations.organization_profile(pending_org, await load_principal(admin))
    assert own["insider"] and own["is_admin"]
    assert own["org"]["decision_due_at"] is not None
    seen = await organizations.organization_profile(pending_org, await load_principal(operator))
    assert seen["org"]["status"] == "pending"


async def test_suspended_profile_stays_public_without_the_reason():
    org = await make_org(status="suspended")
    await Organization.update({Organization.decision_reason: "internal"}).where(
        Organization.id == org
    )
    profile = await organizations.organization_profile(org, None)
    assert profile["org"]["status"] == "suspended"
    assert profile["org"]["decision_reason"] == ""


async def test_operator_queue_orders_pending_by_deadline_and_flags_overdue(frozen_clock):
    monday = frozen_clock()
    late = await make_org(
        name_zh="早交", status="pending", submitted_at=monday - timedelta(days=10)
    )
    fresh = await make_org(name_zh="新交", status="pending", submitted_at=monday)
    verified = await make_org(name_zh="已核")
    queue = await organizations.operator_queue()
    assert [row["id"] for row in queue["pending"]] == [late, fresh]
    assert [row["overdue"] for row in queue["pending"]] == [True, False]
    assert queue["overdue_count"] == 1
    assert verified in [row["id"] for row in queue["decided"]]
    frozen_clock.advance(days=8)
    queue = await organizations.operator_queue()
    assert [row["overdue"] for row in queue["pending"]] == [True, True]
    only_suspended = await organizations.operator_queue(decided_status="suspended")
    assert only_suspended["decided"] == []


async def test_deadline_matches_the_rule(frozen_clock):
    user = await make_user()
    org_id = await organizations.register_organization(**registration(user))
    queue = await organizations.operator_queue()
    (row,) = queue["pending"]
    assert row["id"] == org_id
    assert row["decision_due_at"] == rules.decision_deadline(frozen_clock())
