"""/organizations/{id}/record: full page, htmx fragment for the profile, clear 404s,
400 for a bad cursor, and the JSON twin; nothing sealed, no e-mail addresses."""

from __future__ import annotations

from tests.bid_builders import tender_with_bids
from tests.builders import htmx, make_org, make_user
from tests.services.test_track_record import completed_with_one_late_milestone

EN = {"pgm_lang": "en"}


async def test_profile_links_the_record_and_loads_it_with_htmx(client):
    org = await make_org(category="charity")
    client.cookies.update(EN)
    profile = await client.get(f"/organizations/{org}")
    assert profile.status_code == 200
    assert f'href="/organizations/{org}/record"' in profile.text  # works without JS
    assert f'hx-get="/organizations/{org}/record"' in profile.text
    fragment = await client.get(f"/organizations/{org}/record", headers=htmx())
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<section")
    assert 'id="track-record"' in fragment.text and "<html" not in fragment.text
    assert "No funds have been released to this organization yet." in fragment.text
    page = await client.get(f"/organizations/{org}/record")
    assert "<html" in page.text and "No signed contracts yet." in page.text


async def test_departments_have_no_record_link_or_page(client):
    department = await make_org(kind="department", category="")
    profile = await client.get(f"/organizations/{department}")
    assert "/record" not in profile.text
    assert (await client.get(f"/organizations/{department}/record")).status_code == 404


async def test_unknown_and_pending_organizations_are_404(client):
    pending = await make_org(status="pending")
    client.cookies.update(EN)
    for org in (pending, 999_999):
        page = await client.get(f"/organizations/{org}/record")
        assert page.status_code == 404
        assert "No such organization." in page.text
        api = await client.get(f"/api/v1/organizations/{org}/record")
        assert api.status_code == 404
        assert api.json()["error"] == "No such organization."


async def test_bad_cursor_is_a_400_with_a_message(client):
    org = await make_org()
    client.cookies.update(EN)
    page = await client.get(f"/organizations/{org}/record?before=abc")
    assert page.status_code == 400
    assert "The page cursor abc is not valid." in page.text
    api = await client.get(f"/api/v1/organizations/{org}/record?before=-1")
    assert api.status_code == 400
    assert api.json()["field"] == "before"
    assert (await client.get(f"/api/v1/organizations/{org}/record?limit=500")).status_code == 400


async def test_sealed_bids_do_not_show_before_the_deadline(client, frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    bidder = scenario.bidders[0]
    body = (await client.get(f"/api/v1/organizations/{bidder.org_id}/record")).json()
    assert body["bids_opened"] == 0 and body["contracts"] == []
    page = await client.get(f"/organizations/{bidder.org_id}/record")
    assert str(scenario.tender_id) not in page.text.split('id="contracts"')[1]
    assert bidder.email not in page.text


async def test_record_page_and_api_after_a_completed_contract(client, frozen_clock):
    _, contract_id, winner_org = await completed_with_one_late_milestone(frozen_clock)
    client.cookies.update(EN)
    page = await client.get(f"/organizations/{winner_org}/record")
    assert page.status_code == 200
    assert "1 of 2 decided (50%)" in page.text
    assert f'href="/contracts/{contract_id}"' in page.text
    assert 'id="funds-received"' in page.text and "<svg" in page.text
    assert "Government budget" in page.text and "Public donations" in page.text
    assert "@example.org" not in page.text
    body = (await client.get(f"/api/v1/organizations/{winner_org}/record?limit=1")).json()
    assert body["contracts_won"] == body["contracts_completed"] == 1
    assert body["milestones"]["approved_on_time"] == 1
    assert body["milestones"]["approved_late"] == 1
    assert body["funds_received_total"] == [{"amount": 15_000_000, "currency": "CNY"}]
    assert sum(f["amount"]["amount"] for f in body["funds_received"]) == 15_000_000
    assert [c["id"] for c in body["contracts"]] == [contract_id]
    assert body["next_before"] is None and body["next"] is None
    older = await client.get(f"/organizations/{winner_org}/record?before={contract_id}")
    assert older.status_code == 200 and "No more signed contracts." in older.text


async def test_the_record_is_public(client):
    user = await make_user()
    org = await make_org(admin=user)
    assert (await client.get(f"/organizations/{org}/record")).status_code == 200
    assert (await client.get(f"/api/v1/organizations/{org}/record")).status_code == 200
