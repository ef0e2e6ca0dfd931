"""The cache of public pages (market/web/page_cache.py): never one person's page for
another, every visitor's own CSRF token, and a change shown at once in this process.
(Across processes, within a second: tests/web/test_page_cache_served.py.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from market.audit import append_audit
from market.sql import execute
from tests.builders import htmx, login, make_org, make_user, post_form
from tests.tender_builders import make_department, make_tender

NOTICE = '<p class="notice" role="status">'  # "your question was submitted", to the asker
EMPTY = '<p class="empty">'  # no tender matches these filters
TOKEN = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


def public_pages(tender_id: int) -> list[str]:
    return ["/", "/tenders", f"/tenders/{tender_id}", f"/projects/{tender_id}", "/statistics"]


@asynccontextmanager
async def visitor(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Another browser on the same app (the same cache)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        yield browser


def token_in(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


async def test_a_signed_in_persons_pages_reach_no_one_else(app, client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await make_user("alice@example.org", display_name="Alice Onlyhers")
    await make_user("bob@example.org", display_name="Bob Onlyhis")
    async with visitor(app) as alice, visitor(app) as bob:
        for path in public_pages(tender_id):  # anonymous first: the page is in the cache
            assert (await client.get(path)).status_code == 200, path
        await login(alice, "alice@example.org")
        await login(bob, "bob@example.org")
        for path in public_pages(tender_id):
            before = await client.get(path)
            hers, his = await alice.get(path), await bob.get(path)
            after = await client.get(path)
            assert "Alice Onlyhers" in hers.text and "Bob Onlyhis" not in hers.text, path
            assert "Bob Onlyhis" in his.text and "Alice Onlyhers" not in his.text, path
            assert hers.headers["cache-control"] == "private, no-store"
            for public in (before, after):
                assert "Onlyhers" not in public.text and "Onlyhis" not in public.text, path
                assert 'href="/dashboard"' not in public.text and 'href="/login"' in public.text
                assert public.headers["cache-control"] == "private, no-cache"
            # A person signed in after the anonymous page was cached gets their own.
            assert token_in(hers) != token_in(after)


async def test_a_page_with_a_flash_message_is_never_cached(app, client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    ngo = await make_user("asker@example.org", display_name="Asker Person")
    await make_org(kind="social_org", admin=ngo)
    path = f"/tenders/{tender_id}"
    async with visitor(app) as anonymous:
        assert "Are home visits weekly?" not in (await anonymous.get(path)).text
        await login(client, "asker@example.org")
        asked = await post_form(
            client, f"{path}/questions", {"question": "Are home visits weekly?"}, token_from=path
        )
        assert asked.status_code == 303
        flashed = await client.get(path)
        assert 'class="flash' in flashed.text and NOTICE in flashed.text
        for _ in range(2):
            public = await anonymous.get(path)
            assert "Are home visits weekly?" in public.text  # the change, at once
            assert 'class="flash' not in public.text and NOTICE not in public.text
            assert "Asker Person" not in public.text
        client.cookies.clear()  # the asker, signed out: the public page, without the flash
        assert 'class="flash' not in (await client.get(path)).text


async def test_every_visitor_gets_a_csrf_token_of_their_own(app, client) -> None:
    async with visitor(app) as other:
        first, second = await client.get("/tenders"), await other.get("/tenders")
        mine, theirs = token_in(first), token_in(second)
        assert mine != theirs
        assert client.cookies["pgm_csrf"] == mine and other.cookies["pgm_csrf"] == theirs
        assert f'"x-csrftoken": "{theirs}"' in second.text
        again = await client.get("/tenders")
        assert token_in(again) == mine and "set-cookie" not in again.headers
        switch = {"lang": "en", "next": "/tenders"}
        refused = await other.post("/lang", data={**switch, "_csrf_token": mine})
        assert refused.status_code == 403
        switched = await other.post("/lang", data={**switch, "_csrf_token": theirs})
        assert switched.status_code == 303
    # A cookie that is not a token Litestar signed is replaced, never echoed.
    for forged in ("<script>", "a" * 128):
        page = await app_get(app, "/tenders", {"Cookie": f"pgm_csrf={forged}"})
        assert forged not in page.text
        assert page.headers["set-cookie"].startswith(f"pgm_csrf={token_in(page)};")


async def app_get(app, path: str, headers: dict[str, str]) -> httpx.Response:  # type: ignore[no-untyped-def]
    """One request with exactly these headers (no cookie jar)."""
    async with visitor(app) as browser:
        return await browser.get(path, headers=headers)


async def test_a_page_is_served_from_the_cache_until_the_data_changes(app, client) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    path = f"/tenders/{tender_id}"
    assert (await client.get(path)).status_code == 200
    # Behind the app's back (no audit row): the cached page does not know.
    await execute(
        "UPDATE market_tender SET title_zh = {} WHERE id = {}", "悄悄改过的标题", tender_id
    )
    assert "悄悄改过的标题" not in (await client.get(path)).text
    await make_user("reader@example.org")
    async with visitor(app) as signed_in:
        await login(signed_in, "reader@example.org")
        assert "悄悄改过的标题" in (await signed_in.get(path)).text  # never from the cache
    # Any state change appends an audit row: every cached page is stale from then on.
    await append_audit("system", "test_change", "tender", tender_id, {})
    assert "悄悄改过的标题" in (await client.get(path)).text


async def test_languages_fragments_and_queries_are_cached_apart(client) -> None:
    department = await make_department()
    await make_tender(department, status="published")
    zh = await client.get("/tenders", headers={"Accept-Language": "zh-CN"})
    en = await client.get("/tenders", headers={"Accept-Language": "en-GB"})
    assert '<html lang="zh-Hans">' in zh.text and '<html lang="en">' in en.text
    chosen = await client.get(
        "/tenders", headers={"Accept-Language": "zh-CN", "Cookie": "pgm_lang=en"}
    )
    assert '<html lang="en">' in chosen.text
    fragment = await client.get("/tenders", headers=htmx())
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    assert "<html" in (await client.get("/tenders")).text
    filtered = await client.get("/tenders?status=cancelled&category=charity")
    assert EMPTY in filtered.text
    same = await client.get("/tenders?category=charity&status=cancelled")
    assert EMPTY in same.text
    assert EMPTY not in (await client.get("/tenders")).text


async def test_a_page_is_compressed_with_the_visitors_token_in_it(client) -> None:
    department = await make_department()
    for _ in range(3):
        await make_tender(department, status="published")
    for _ in range(2):  # the second time from the cache
        page = await client.get("/tenders", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert page.headers["content-encoding"] == "gzip"
        assert token_in(page) == client.cookies["pgm_csrf"]
        assert page.text.rstrip().endswith("</html>")
