"""Organizations belong to a place: chosen from the district's places when they
register, changed by their administrators on the members page; the old `area` (which
the directory's filter still reads) follows from the place."""

from __future__ import annotations

import pytest

from market.sql import execute
from tests.budget_builders import make_district
from tests.builders import login, make_org, make_user, next_uscc
from tests.web.forms import submit

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def organization(org_id: int) -> dict[str, object]:
    rows = await execute("SELECT area, place FROM market_organization WHERE id = {}", org_id)
    return dict(rows[0])


async def test_a_registration_names_its_place_and_the_area_follows(client) -> None:  # type: ignore[no-untyped-def]
    district = await make_district()
    await make_user("founder@example.org")
    client.cookies.set("pgm_lang", "en")
    await login(client, "founder@example.org")
    page = await client.get("/organizations/register")
    assert 'name="place"' in page.text and 'name="area"' not in page.text
    community = district.communities[1]
    response = await submit(
        client,
        page,
        "/organizations/register",
        {
            "kind": "social_org",
            "name_zh": "柳岸邻里服务社",
            "uscc": next_uscc(),
            "category": "community_services",
            "place": str(community),
        },
    )
    assert response.status_code == 303, response.text
    org_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert await organization(org_id) == {"area": "湖滨街道·柳岸社区", "place": community}
    directory = await client.get("/organizations", params={"area": "湖滨街道·柳岸社区"})
    assert directory.status_code == 200


async def test_an_admin_moves_the_organization_to_another_place(client) -> None:  # type: ignore[no-untyped-def]
    district = await make_district()
    admin = await make_user("admin@example.org")
    member = await make_user("member@example.org")
    org_id = await make_org(name_zh="北山互助社", admin=admin, area="旧地址")
    from tests.builders import make_member

    await make_member(member, org_id)
    client.cookies.set("pgm_lang", "en")
    await login(client, "admin@example.org")
    page = await client.get(f"/organizations/{org_id}/members")
    street = district.streets[1]
    saved = await submit(client, page, f"/organizations/{org_id}/place", {"place": str(street)})
    assert saved.status_code == 303
    assert await organization(org_id) == {"area": "北山街道", "place": street}
    page = await client.get(f"/organizations/{org_id}/members")
    refused = await submit(
        client, page, f"/organizations/{org_id}/place", {"place": ""}, complete=False
    )
    assert refused.status_code == 422 and "Choose the place from the list." in refused.text
    await client.post("/logout")
    await login(client, "member@example.org")
    page = await client.get(f"/organizations/{org_id}/members")
    assert f"/organizations/{org_id}/place" not in page.text  # members do not see the form
    audit = await execute("SELECT action FROM audit_event WHERE action = 'organization.place'")
    assert len(audit) == 1
