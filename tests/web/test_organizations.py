"""Organization pages: directory (full page vs fragment), profile visibility,
registration form errors, members, and the guarded operator queue."""

from __future__ import annotations

import pytest

from market import uscc
from market.tables import Membership, Organization
from tests.builders import (
    csrf_token,
    htmx,
    login,
    make_member,
    make_operator,
    make_org,
    make_user,
    next_uscc,
    post_form,
)
from tests.web.pages import varies_on


@pytest.fixture
def english(client):
    """These tests compare with the English msgids: read the pages in English."""
    client.cookies.set("pgm_lang", "en")


async def test_directory_full_page_and_htmx_fragment(client):
    await make_org(name_zh="明湖调解中心", category="dispute_mediation", area="湖滨街道")
    await make_org(kind="company", name_zh="明湖科技有限公司", category="", area="北山街道")
    full = await client.get("/organizations")
    assert full.status_code == 200
    assert "<html" in full.text and 'id="results"' in full.text
    assert "HX-Request" in varies_on(full.headers)
    fragment = await client.get("/organizations?kind=company", headers=htmx())
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="results"')
    assert "明湖科技有限公司" in fragment.text
    assert "明湖调解中心" not in fragment.text


async def test_directory_filters_work_without_javascript(client):
    await make_org(name_zh="甲社工", category="charity", area="湖滨街道")
    await make_org(name_zh="乙社工", category="community_services", area="北山街道")
    page = await client.get(
        "/organizations", params={"category": "charity", "area": "湖滨街道", "q": "社工"}
    )
    assert page.status_code == 200
    assert "甲社工" in page.text and "乙社工" not in page.text
    assert 'name="q" value="社工"' in page.text
    assert '<option value="charity" selected>' in page.text


async def test_directory_hides_unverified_and_shows_empty_state(client):
    await make_org(name_zh="还在审核", status="pending")
    page = await client.get("/organizations")
    assert "还在审核" not in page.text
    assert 'class="empty"' in page.text


async def test_directory_paginates(client):
    for i in range(25):
        await make_org(name_zh=f"组织{i:02d}")
    first = await client.get("/organizations")
    assert first.text.count('class="card"') == 20
    assert 'rel="next"' in first.text and "page=2" in first.text
    second = await client.get("/organizations?page=2", headers=htmx())
    assert second.text.count('class="card"') == 5
    assert 'rel="prev"' in second.text
    assert (await client.get("/organizations?page=abc")).status_code == 200


async def test_public_profile_shows_the_facts(client):
    org = await make_org(
        name_zh="湖滨社区服务中心",
        name_en="Hubin Community Centre",
        rating="4A",
        area="湖滨街道",
        registered_year=2017,
        description_zh="为老年人提供上门服务。",
    )
    page = await client.get(f"/organizations/{org}")
    assert page.status_code == 200
    for fact in ("湖滨社区服务中心", "4A", "湖滨街道", "2017", "为老年人提供上门服务。"):
        assert fact in page.text


async def test_pending_org_is_404_for_others_and_visible_to_members_and_operators(client, app):
    import httpx

    admin = await make_user("admin@example.org")
    org = await make_org(name_zh="待审核组织", status="pending", admin=admin)
    assert (await client.get(f"/organizations/{org}")).status_code == 404
    await make_user("other@example.org")
    await login(client, "other@example.org")
    assert (await client.get(f"/organizations/{org}")).status_code == 404
    assert (await client.get("/organizations/999999")).status_code == 404

    transport = httpx.ASGITransport(app=app)
    for email in ("admin@example.org", "operator@example.org"):
        if email.startswith("operator"):
            await make_operator(email)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await login(c, email)
            page = await c.get(f"/organizations/{org}")
            assert page.status_code == 200, email
            assert "待审核组织" in page.text


async def test_rejected_org_is_404_for_the_public(client):
    org = await make_org(status="rejected")
    assert (await client.get(f"/organizations/{org}")).status_code == 404


# --- registration -------------------------------------------------------------


def registration_form(**overrides: str) -> dict[str, str]:
    return {
        "kind": "social_org",
        "name_zh": "北山青少年发展中心",
        "name_en": "Beishan Youth Development Centre",
        "uscc": next_uscc(),
        "category": "community_services",
        "area": "北山街道",
        "registered_year": "2019",
        "contact_email": "hello@beishan.example.org",
        "description_zh": "青少年课后服务。",
        "description_en": "After-school programmes.",
        **overrides,
    }


async def test_registration_needs_login(client):
    response = await client.get("/organizations/register")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/organizations/register"


async def test_registration_creates_pending_org_and_redirects_to_it(client):
    user = await make_user("founder@example.org")
    await login(client, "founder@example.org")
    response = await post_form(
        client, "/organizations/register", registration_form(), token_from="/organizations/register"
    )
    assert response.status_code == 303
    org = await Organization.select().first()
    assert response.headers["location"] == f"/organizations/{org['id']}"
    assert org["status"] == "pending"
    assert await Membership.exists().where((Membership.user == user) & (Membership.role == "admin"))
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "北山青少年发展中心" in page.text


async def test_htmx_registration_success_navigates_with_hx_redirect(client):
    await make_user("hx@example.org")
    await login(client, "hx@example.org")
    response = await post_form(
        client,
        "/organizations/register",
        registration_form(),
        htmx=True,
        token_from="/organizations/register",
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"].startswith("/organizations/")


async def test_bad_checksum_errors_beside_the_field_full_page_without_htmx(client, english):
    await make_user("typo@example.org")
    await login(client, "typo@example.org")
    good = next_uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = await post_form(
        client,
        "/organizations/register",
        registration_form(uscc=bad),
        token_from="/organizations/register",
    )
    assert response.status_code == 422
    assert "<html" in response.text
    assert 'id="uscc-error"' in response.text
    assert uscc.BAD_CHECK in response.text
    assert f'value="{bad}"' in response.text  # the input is kept for correction
    assert await Organization.count() == 0


async def test_form_errors_come_back_as_fragment_for_htmx(client, english):
    await make_user("frag@example.org")
    await login(client, "frag@example.org")
    response = await post_form(
        client,
        "/organizations/register",
        registration_form(uscc="12345", name_zh="", category=""),
        htmx=True,
        token_from="/organizations/register",
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert response.text.lstrip().startswith("<form")
    for field in ("uscc", "name_zh", "category"):
        assert f'id="{field}-error"' in response.text
    assert "this one has 5" in response.text  # the message's parameter is filled in
    assert await Organization.count() == 0


async def test_duplicate_uscc_is_refused_beside_the_field(client):
    code = next_uscc()
    await make_org(code=code)
    await make_user("dup@example.org")
    await login(client, "dup@example.org")
    response = await post_form(
        client,
        "/organizations/register",
        registration_form(uscc=code),
        htmx=True,
        token_from="/organizations/register",
    )
    assert response.status_code == 422
    assert 'id="uscc-error"' in response.text
    assert await Organization.count() == 1


async def test_registration_without_csrf_token_is_refused(client):
    await make_user("csrf@example.org")
    await login(client, "csrf@example.org")
    response = await client.post("/organizations/register", data=registration_form())
    assert response.status_code == 403
    assert await Organization.count() == 0


# --- members --------------------------------------------------------------------


async def test_admin_adds_member_by_email(client):
    admin = await make_user("boss@example.org")
    org = await make_org(admin=admin)
    colleague = await make_user("colleague@example.org")
    await login(client, "boss@example.org")
    path = f"/organizations/{org}/members"
    page = await client.get(path)
    assert page.status_code == 200 and 'id="member-form"' in page.text
    response = await post_form(
        client, path, {"email": "colleague@example.org", "role": "member"}, token_from=path
    )
    assert response.status_code == 303
    assert await Membership.exists().where(
        (Membership.user == colleague) & (Membership.organization == org)
    )
    unknown = await post_form(
        client, path, {"email": "ghost@example.org", "role": "member"}, htmx=True, token_from=path
    )
    assert unknown.status_code == 422
    assert 'id="email-error"' in unknown.text


async def test_members_page_is_for_members_only(client):
    org = await make_org()
    await make_user("nosy@example.org")
    await login(client, "nosy@example.org")
    assert (await client.get(f"/organizations/{org}/members")).status_code == 403


async def test_plain_member_sees_members_but_cannot_add(client):
    org = await make_org()
    member = await make_user("plain@example.org")
    await make_member(member, org)
    await make_user("friend@example.org")
    await login(client, "plain@example.org")
    path = f"/organizations/{org}/members"
    page = await client.get(path)
    assert page.status_code == 200 and 'id="member-form"' not in page.text
    response = await post_form(
        client, path, {"email": "friend@example.org", "role": "admin"}, token_from=path
    )
    assert response.status_code == 403


# --- operator queue -------------------------------------------------------------


async def test_operator_queue_sends_anonymous_to_login(client):
    response = await client.get("/operator/organizations")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_operator_queue_is_403_for_non_operators(client):
    await make_user("plain-user@example.org")
    await login(client, "plain-user@example.org")
    assert (await client.get("/operator/organizations")).status_code == 403
    token = await csrf_token(client, "/dashboard")
    response = await client.post(
        "/operator/organizations/1/decision",
        data={"action": "verify", "_csrf_token": token},
    )
    assert response.status_code == 403


async def test_operator_sees_deadline_and_overdue_badge(client, frozen_clock):
    await make_operator("op@example.org")
    from datetime import timedelta

    await make_org(
        name_zh="超期组织", status="pending", submitted_at=frozen_clock() - timedelta(days=14)
    )
    await make_org(name_zh="新组织", status="pending")
    await login(client, "op@example.org")
    page = await client.get("/operator/organizations")
    assert page.status_code == 200
    assert page.text.index("超期组织") < page.text.index("新组织")
    assert page.text.count('class="badge overdue"') == 2  # one in the heading, one on the row
    fragment = await client.get("/operator/organizations", headers=htmx())
    assert fragment.text.lstrip().startswith('<div id="queue">')


async def test_operator_verifies_and_rejects_through_the_form(client):
    await make_operator("op2@example.org")
    first = await make_org(name_zh="一号", status="pending")
    second = await make_org(name_zh="二号", status="pending")
    await login(client, "op2@example.org")
    queue = "/operator/organizations"
    ok = await post_form(
        client, f"{queue}/{first}/decision", {"action": "verify", "rating": "3A"}, token_from=queue
    )
    assert ok.status_code == 303 and ok.headers["location"] == queue
    row = await Organization.select(Organization.status, Organization.rating).where(
        Organization.id == first
    )
    assert row == [{"status": "verified", "rating": "3A"}]

    missing_reason = await post_form(
        client,
        f"{queue}/{second}/decision",
        {"action": "reject", "reason": ""},
        htmx=True,
        token_from=queue,
    )
    assert missing_reason.status_code == 422
    assert "<html" not in missing_reason.text
    assert 'id="reason-error"' in missing_reason.text
    wrong_state = await post_form(
        client, f"{queue}/{first}/decision", {"action": "reinstate"}, token_from=queue
    )
    assert wrong_state.status_code == 422
    assert 'id="action-error"' in wrong_state.text
    rejected = await post_form(
        client,
        f"{queue}/{second}/decision",
        {"action": "reject", "reason": "Forged licence"},
        token_from=queue,
    )
    assert rejected.status_code == 303
    assert (await Organization.select(Organization.status).where(Organization.id == second)) == [
        {"status": "rejected"}
    ]
