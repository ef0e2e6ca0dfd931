"""The public open-data endpoints: OCDS release and record packages, 360Giving."""

from __future__ import annotations

from tests.opendata_schemas import giving_errors, ocds_errors
from tests.tender_builders import make_department, make_tender


async def test_an_empty_release_package_is_valid_json_without_a_next_link(client):
    response = await client.get("/ocds/releases.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["releases"] == [] and "links" not in body
    assert body["version"] == "1.1" and body["publisher"]["auditChain"]["length"] >= 0


async def test_releases_are_paged_by_cursor_and_filtered_by_ocid(client, frozen_clock):
    department = await make_department()
    ids = [await make_tender(department, status="published") for _ in range(3)]
    first = (await client.get("/ocds/releases.json", params={"limit": 2})).json()
    assert len(first["releases"]) == 2
    assert ocds_errors(first, "release") == []
    next_url = first["links"]["next"]
    assert next_url.startswith("http://testserver/ocds/releases.json?")  # the request's base
    second = (await client.get(next_url)).json()
    assert "links" not in second
    seen = [r["ocid"] for r in first["releases"] + second["releases"]]
    assert seen == [f"ocds-pgm001-{i}" for i in ids]

    only = (await client.get("/ocds/releases.json", params={"ocid": seen[1]})).json()
    assert [r["ocid"] for r in only["releases"]] == [seen[1]]


async def test_a_bad_cursor_or_limit_is_a_400_with_a_message(client):
    client.cookies.set("pgm_lang", "en")
    response = await client.get("/ocds/releases.json?after=abc")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]
    assert (await client.get("/ocds/releases.json?limit=0")).status_code == 400
    assert (await client.get("/ocds/releases.json?limit=100000")).status_code == 400


async def test_a_record_compiles_the_releases_of_one_ocid(client, frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="cancelled")
    response = await client.get(f"/ocds/records/ocds-pgm001-{tender_id}.json")
    assert response.status_code == 200
    package = response.json()
    assert ocds_errors(package, "record") == []
    record = package["records"][0]
    assert [r["tag"] for r in record["releases"]] == [["tender"], ["tenderCancellation"]]
    assert record["compiledRelease"]["tender"]["status"] == "cancelled"


async def test_an_unknown_ocid_is_a_clear_404(client):
    client.cookies.set("pgm_lang", "en")
    response = await client.get("/ocds/records/ocds-pgm001-999999.json")
    assert response.status_code == 404
    assert "ocds-pgm001-999999" in response.json()["error"]
    assert (await client.get("/ocds/records/ocds-pgm001-1")).status_code == 404


async def test_the_360giving_package_is_public(client):
    response = await client.get("/360giving/grants.json")
    assert response.status_code == 200
    body = response.json()
    assert body["grants"] == [] and body["version"] == "1.4"
    body["grants"] = [  # the package envelope is valid around any valid grant
        {
            "id": "360G-pgm001-test-1",
            "title": "t",
            "description": "d",
            "currency": "CNY",
            "amountAwarded": 1.5,
            "awardDate": "2026-11-02T09:00:00Z",
            "recipientOrganization": [{"id": "CN-USCI-1", "name": "r"}],
            "fundingOrganization": [{"id": "CN-USCI-2", "name": "f"}],
        }
    ]
    assert giving_errors(body) == []


async def test_the_open_data_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/api/schema/openapi.json")).json()
    assert {"/ocds/releases.json", "/ocds/records/{name}", "/360giving/grants.json"} <= set(
        schema["paths"]
    )
