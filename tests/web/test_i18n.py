"""The language of a page follows the cookie, then Accept-Language; /lang sets the cookie."""

from __future__ import annotations

from market.web import i18n
from tests.web.forms import post_form

LOG_IN_ZH = "登录"


async def test_login_page_is_chinese_for_a_chinese_browser(client):
    response = await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200
    assert LOG_IN_ZH in response.text
    assert ">Log in<" not in response.text


async def test_login_page_is_chinese_by_default(client):
    response = await client.get("/login")
    assert response.status_code == 200
    assert LOG_IN_ZH in response.text


async def test_the_language_cookie_overrides_the_browser(client):
    client.cookies.set(i18n.COOKIE, "en")
    response = await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200
    assert "Log in" in response.text
    assert LOG_IN_ZH not in response.text


async def test_switching_language_sets_the_cookie_and_redirects(client):
    response = await post_form(client, "/lang", {"lang": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert response.cookies.get(i18n.COOKIE) == "en"
    assert "Log in" in (await client.get("/login")).text


async def test_switching_to_an_unknown_language_falls_back_to_chinese(client):
    response = await post_form(client, "/lang", {"lang": "xx", "next": "/login"})
    assert response.status_code == 303
    assert response.cookies.get(i18n.COOKIE) == i18n.DEFAULT
    assert LOG_IN_ZH in (await client.get("/login")).text
