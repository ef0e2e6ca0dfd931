"""Published links follow the request's base URL unless MARKET_BASE_URL is set.

A client on a non-default host and port reads the OCDS packages and the 360Giving
package; every link we publish (links.next, package and record uri, publisher uri,
transaction uri, documents, grant URLs) is on that host and port. With
MARKET_BASE_URL set they are on it instead, and the CLI export uses it (or its default).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from market.settings import get_settings, reset_settings
from opendata import cli
from tests.bid_builders import contracted
from tests.opendata_builders import funded_process, pay_first_tranche

OTHER = "http://data.example.test:8765"
FIXED = "https://open.example.cn"
EXTERNAL = {"creativecommons.org", "raw.githubusercontent.com"}


def urls(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for value in data.values():
            yield from urls(value)
    elif isinstance(data, list):
        for value in data:
            yield from urls(value)
    elif isinstance(data, str) and "://" in data:
        yield data


def our_origins(data: Any) -> set[str]:
    """scheme://host[:port] of every published URL that is not a standard's."""
    found = {urlsplit(u) for u in urls(data)}
    return {f"{u.scheme}://{u.netloc}" for u in found if u.hostname not in EXTERNAL}


@pytest.fixture
async def paid_process(frozen_clock):  # type: ignore[no-untyped-def]
    scenario, _, _ = await funded_process(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    await pay_first_tranche(scenario, contract_id)
    return scenario.tender_id


async def read_everything(client: httpx.AsyncClient, tender_id: int) -> dict[str, Any]:
    ocid = f"ocds-pgm001-{tender_id}"
    page = (await client.get("/ocds/releases.json", params={"limit": 2})).json()
    record = (await client.get(f"/ocds/records/{ocid}.json")).json()
    grants = (await client.get("/360giving/grants.json")).json()
    return {"page": page, "record": record, "grants": grants}


def assert_all_on(found: dict[str, Any], base: str) -> None:
    text = json.dumps(found)
    assert "published.invalid" not in text and "127.0.0.1:8000" not in text
    assert our_origins(found) == {base}
    page, record, grants = found["page"], found["record"], found["grants"]
    assert page["links"]["next"].startswith(f"{base}/ocds/releases.json?")
    assert page["uri"].startswith(f"{base}/ocds/releases.json?")
    assert record["uri"] == f"{base}/ocds/records/{record['records'][0]['ocid']}.json"
    compiled = record["records"][0]["compiledRelease"]
    transactions = compiled["contracts"][0]["implementation"]["transactions"]
    assert transactions and all(t["uri"].startswith(f"{base}/api/v1/") for t in transactions)
    assert grants["downloadURL"] == f"{base}/360giving/grants.json"
    assert grants["grants"] and all(
        g["url"].startswith(f"{base}/projects/") for g in grants["grants"]
    )


async def test_links_follow_the_host_and_port_the_request_arrived_on(app, paid_process):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=OTHER) as other:
        assert_all_on(await read_everything(other, paid_process), OTHER)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        assert_all_on(await read_everything(plain, paid_process), "http://testserver")


@pytest.fixture
def fixed_base_url() -> Iterator[None]:
    saved = get_settings()
    reset_settings(dataclasses.replace(saved, base_url=FIXED + "/", base_url_fixed=True))
    try:
        yield
    finally:
        reset_settings(saved)


async def test_with_market_base_url_set_links_use_it_whatever_the_request(
    app, paid_process, fixed_base_url
):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=OTHER) as other:
        assert_all_on(await read_everything(other, paid_process), FIXED)


async def test_the_cli_export_uses_market_base_url_or_its_default(
    paid_process, tmp_path: Path
) -> None:
    await cli.export(tmp_path / "default")
    default = get_settings().base_url.rstrip("/")
    written = [json.loads(p.read_text()) for p in sorted((tmp_path / "default").rglob("*.json"))]
    assert our_origins(written) == {default}

    saved = get_settings()
    reset_settings(dataclasses.replace(saved, base_url=FIXED, base_url_fixed=True))
    try:
        await cli.export(tmp_path / "fixed")
    finally:
        reset_settings(saved)
    written = [json.loads(p.read_text()) for p in sorted((tmp_path / "fixed").rglob("*.json"))]
    assert our_origins(written) == {FIXED}


async def test_forwarded_scheme_and_host_count_only_from_a_trusted_proxy(app, frozen_clock):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "market.example.cn"}
    transport = httpx.ASGITransport(app=app)  # the peer is 127.0.0.1
    async with httpx.AsyncClient(transport=transport, base_url=OTHER, headers=forwarded) as c:
        package = (await c.get("/360giving/grants.json")).json()
        assert package["downloadURL"] == f"{OTHER}/360giving/grants.json"
        saved = get_settings()
        reset_settings(dataclasses.replace(saved, trusted_proxies=("127.0.0.1/32",)))
        try:
            package = (await c.get("/360giving/grants.json")).json()
        finally:
            reset_settings(saved)
        assert package["downloadURL"] == "https://market.example.cn/360giving/grants.json"
