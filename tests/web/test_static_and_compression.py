"""Static files under fingerprinted names, cached for a year; pages and downloads sent
compressed when the browser accepts it; and no shared cache ever keeps the page of a
person with a session. All through the app, as a browser would ask."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import httpx
import pytest

from donors import receipts
from market.web.assets import STATIC
from market.web.compression import MINIMUM_SIZE, negotiate
from tests.builders import login, make_user
from tests.donation_builders import make_tender
from tests.transparency_builders import funded_project
from tests.web.forms import post_form
from tests.web.pages import varies_on
from tests.web.test_receipt_pdf import _receipt_pdf_path

IMMUTABLE = "public, max-age=31536000, immutable"


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


async def fetch(
    client: httpx.AsyncClient, url: str, accept: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response to a GET with this Accept-Encoding, and its body as sent."""
    headers["Accept-Encoding"] = accept
    async with client.stream("GET", url, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


def decoded(response: httpx.Response, sent: bytes) -> bytes:
    encoding = response.headers.get("content-encoding", "")
    if encoding == "br":
        return bytes(brotli.decompress(sent))
    return gzip.decompress(sent) if encoding == "gzip" else sent


async def test_every_asset_a_page_links_is_fingerprinted_and_cached_for_a_year(client) -> None:
    page = await client.get("/tenders")
    urls = asset_urls(page.text)
    names = {Path(url).name for url in urls}
    assert len(urls) == 4 and not {"app.css", "app.js"} & names  # favicon, css, htmx, app.js
    for url in urls:
        name = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url.removeprefix("/static/"))
        on_disk = (STATIC / name).read_bytes()
        for accept in ("br", "gzip", "identity"):
            response, sent = await fetch(client, url, accept)
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == IMMUTABLE
            assert decoded(response, sent) == on_disk, (url, accept)
            if len(on_disk) > 4096 and accept != "identity":  # htmx, the CSS, app.js
                assert response.headers["content-encoding"] == accept
                assert len(sent) < len(on_disk) / 2


async def test_an_old_fingerprint_redirects_to_the_current_file_and_a_stranger_is_404(
    client,
) -> None:
    current = next(u for u in asset_urls((await client.get("/")).text) if u.endswith(".css"))
    old = await client.get("/static/app.0123456789ab.css")
    assert old.status_code == 307 and old.headers["location"] == current
    assert "no-store" in old.headers["cache-control"]
    for url in (
        "/static/nothing.0123456789ab.css",
        "/static/nothing.css",
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/",
    ):
        assert (await client.get(url)).status_code == 404, url


async def test_a_plain_static_name_is_revalidated_with_its_etag(client) -> None:
    first = await client.get("/static/app.css")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = await client.get("/static/app.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_pages_and_fragments_come_compressed_and_decompress_to_the_same_html(
    client, frozen_clock
) -> None:
    for _ in range(4):  # a list fragment over MINIMUM_SIZE (smaller ones go as they are)
        await make_tender()
    await client.get("/tenders")  # the CSRF cookie the page's forms carry, from now on
    for headers in ({}, {"HX-Request": "true"}):
        plain, html = await fetch(client, "/tenders", "identity", **headers)
        assert "content-encoding" not in plain.headers and len(html) > MINIMUM_SIZE
        for accept, expected in (
            ("br", "br"),
            ("gzip, deflate", "gzip"),
            ("br;q=0, gzip", "gzip"),
            ("gzip;q=0.5, br", "br"),
        ):
            packed, sent = await fetch(client, "/tenders", accept, **headers)
            assert packed.headers["content-encoding"] == expected, accept
            assert "Accept-Encoding" in varies_on(packed.headers)
            assert len(sent) < len(html) / 2
            assert decoded(packed, sent) == html


async def test_csv_and_json_downloads_come_compressed(client, frozen_clock) -> None:
    built = await funded_project(frozen_clock)
    for url in (f"/projects/{built.tender_id}/transfers.csv", "/ocds/releases.json"):
        plain, body = await fetch(client, url, "identity")
        packed, sent = await fetch(client, url, "br")
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["content-encoding"] == "br", url
        assert decoded(packed, sent) == body and len(body) > 500


@pytest.mark.skipif(receipts.cjk_font() is None, reason="no CJK font (make fonts)")
async def test_a_pdf_receipt_is_sent_as_it_is(client) -> None:
    path = await _receipt_pdf_path(client)
    response, sent = await fetch(client, path, "br, gzip")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert sent.startswith(b"%PDF")


async def test_no_shared_cache_keeps_a_page_of_someone_with_a_session(app, client) -> None:
    page = await client.get("/tenders")
    assert page.headers["cache-control"] == "private, no-cache"  # a visitor's CSRF token
    assert (await client.get("/api/v1/tenders")).headers["cache-control"] == "no-cache"
    email, password, new = "cache-control@example.org", "correct horse battery", "a new one!"
    await make_user(email, password=password)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        for browser in (client, other):
            await login(browser, email, password)
            for headers in ({}, {"HX-Request": "true"}):
                response = await browser.get("/tenders", headers=headers)
                assert response.headers["cache-control"] == "private, no-store"
        changed = await post_form(
            client, "/profile/password", {"current": password, "new": new}, token_from="/profile"
        )
        assert changed.status_code == 303  # which signs the other browser out
        response = await other.get("/tenders")
        assert 'href="/login"' in response.text  # its session cookie ended, not yet forgotten
        assert response.headers["cache-control"] == "private, no-store"


def test_accept_encoding_is_read_by_its_weights() -> None:
    assert negotiate("gzip, deflate, br") == "br"
    assert negotiate("gzip") == "gzip"
    assert negotiate("br;q=0, gzip;q=0.8") == "gzip"
    assert negotiate("gzip;q=1, br;q=0.5") == "gzip"
    assert negotiate("*") == "br"
    assert negotiate("*;q=0, identity") == ""
    assert negotiate("deflate, identity") == ""
    assert negotiate("") == ""
    assert negotiate("br;q=nonsense, gzip") == "gzip"
