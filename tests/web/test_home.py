"""The home page shows the verified organizations of the district."""

from __future__ import annotations

from market.demo import load_demo


async def test_home_lists_the_demo_organizations_in_both_languages(client):
    await load_demo()
    zh = await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200
    assert "民政局" in zh.text
    en = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert en.status_code == 200
    assert "Civil Affairs" in en.text


async def test_home_without_organizations_shows_the_empty_state(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/organizations/register"' in response.text
