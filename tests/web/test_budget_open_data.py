"""The budget as open data: `/api/v1/budget` (the page's filters, in the OpenAPI
schema, every figure equal to the ledger), the Fiscal Data Package
(`/budget/datapackage.json` + `/budget/budget-execution.csv`, validated offline with
`frictionless` and its CSV totals equal to the ledger), and OCDS `planning.budget`
naming the tender's budget line and appropriation."""

from __future__ import annotations

import csv
import io
import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import Package

from market.ledger.codes import appropriation_code, budget_line_code
from opendata.budget import fiscal, rules
from tests.budget_read_builders import (
    YEAR,
    appropriation_in_ledger,
    budget_lines,
    budget_world,
    cny,
    line_in_ledger,
)
from tests.opendata_builders import releases_of
from tests.opendata_schemas import ocds_errors
from tests.tender_builders import make_department, make_tender

FDP_SCHEMA = Path(__file__).resolve().parents[1] / "standards" / "fiscal-data-package.json"


def money(figures: dict[str, dict[str, int | str]]) -> dict[str, int]:
    return {phase: int(figures[phase]["amount"]) for phase in rules.LINE_PHASES}


async def test_the_api_gives_every_figure_of_the_ledger(client, frozen_clock):
    world = await budget_world(frozen_clock)
    body = (await client.get("/api/v1/budget")).json()
    assert body["currency"] == "CNY" and body["years"] == [YEAR]
    assert body["filters"]["year"] is None  # the API's default: every year
    assert body["lines_matching"] == len(world.lines)
    for line in body["lines"]:
        assert money(line["figures"]) == await line_in_ledger(line["id"])
        assert line["code"] == budget_line_code(line["id"])
    (appropriation,) = body["appropriations"]
    ledger = await appropriation_in_ledger(world)
    assert appropriation["appropriated"]["amount"] == ledger["appropriated"]
    assert appropriation["unallocated"]["amount"] == ledger["unallocated"]
    assert appropriation["code"] == appropriation_code(YEAR, world.places["district"])
    tiers = {g["key"]: money(g["figures"]) for g in body["by_tier"]}
    assert set(tiers) == {"district", "street", "community"}
    assert money(body["total"]) == {p: sum(t[p] for t in tiers.values()) for p in rules.LINE_PHASES}


async def test_the_api_takes_the_pages_filters_and_names_a_lines_tenders(client, frozen_clock):
    world = await budget_world(frozen_clock)
    hubin = world.codes["hubin"]
    body = (await client.get("/api/v1/budget", params={"place": hubin, "year": YEAR})).json()
    assert {line["id"] for line in body["lines"]} == {
        world.lines[n] for n in ("hubin", "lakeside", "willow")
    }
    page = await client.get("/budget", params={"place": hubin})
    assert page.status_code == 200 and f'data-line="{world.lines["willow"]}"' in page.text
    lakeside = world.lines["lakeside"]
    body = (await client.get("/api/v1/budget", params={"line": lakeside})).json()
    tenders = {t["id"]: t for t in body["tenders"]}
    assert set(tenders) == {world.tenders["cancelled"], world.tenders["contracted"]}
    cancelled = tenders[world.tenders["cancelled"]]
    assert cancelled["back_to_line"]["amount"] == cancelled["held"]["amount"] == cny(200_000).amount
    assert cancelled["committed"]["amount"] == 0
    assert tenders[world.tenders["contracted"]]["project_url"].startswith("/projects/")


async def test_bad_api_filters_are_400(client):
    await budget_lines()
    for query in ("year=20x6", "year=1999", "tier=province", "category=x", "after=77"):
        response = await client.get(f"/api/v1/budget?{query}")
        assert response.status_code == 400, query
        assert "error" in response.json()
    unknown = await client.get("/api/v1/budget?place=110101000000")
    assert unknown.status_code == 404 and "error" in unknown.json()


async def test_the_budget_endpoints_are_in_the_openapi_schema(client):
    schema = (await client.get("/api/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/budget"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"year", "tier", "place", "category", "line", "after"} <= names
    assert "200" in operation["responses"] and "400" in operation["responses"]
    assert "/budget/datapackage.json" in schema["paths"]
    assert "/budget/budget-execution.csv" in schema["paths"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation must not fetch anything (no remote profile, no remote data)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


async def fiscal_package(client, folder: Path) -> tuple[dict, list[dict[str, str]]]:
    descriptor = (await client.get("/budget/datapackage.json")).json()
    response = await client.get("/budget/budget-execution.csv")
    assert response.headers["content-type"].startswith("text/csv")
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (folder / fiscal.PATH).write_bytes(response.content)
    return descriptor, list(csv.DictReader(io.StringIO(response.text)))


async def test_the_fiscal_data_package_validates_with_frictionless(
    client, frozen_clock, tmp_path, no_network
):
    await budget_world(frozen_clock)
    descriptor, _ = await fiscal_package(client, tmp_path)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # The JSON schema validators load for "fiscal-data-package", read from a local copy
    # (tests/standards/README.md) by frictionless's own profile validation.
    errors = list(super(Package, Package).metadata_validate(descriptor, profile=str(FDP_SCHEMA)))
    assert [e.note for e in errors] == []
    broken = {k: v for k, v in descriptor.items() if k != "model"}
    assert list(super(Package, Package).metadata_validate(broken, profile=str(FDP_SCHEMA)))
    fields = descriptor["resources"][0]["schema"]["fields"]
    phases = [f for f in fields if "normalize" in f]  # each unpivots to amount + phase
    assert all("columnType" in f for f in fields if f not in phases and f["name"] != "tier")
    assert [f["normalize"]["phase"] for f in phases] == list(rules.PHASES)


async def test_the_csv_totals_equal_the_ledger(client, frozen_clock, tmp_path):
    world = await budget_world(frozen_clock)
    _, rows = await fiscal_package(client, tmp_path)
    lines = {r["budget_line_id"]: r for r in rows if r["budget_line_id"].startswith("budget:line:")}
    assert set(lines) == {budget_line_code(i) for i in world.lines.values()}

    def fen(text: str) -> int:
        return int(Decimal(text or "0") * 100)

    for line_id in world.lines.values():
        row = lines[budget_line_code(line_id)]
        assert {p: fen(row[p]) for p in rules.LINE_PHASES} == await line_in_ledger(line_id)
        assert row["currency"] == "CNY" and row["appropriated"] == ""
    every = [await line_in_ledger(i) for i in world.lines.values()]
    for phase in rules.LINE_PHASES:
        assert sum(fen(r[phase]) for r in lines.values()) == sum(f[phase] for f in every)
    (own,) = [
        r for r in rows if r["budget_line_id"] == appropriation_code(YEAR, world.places["district"])
    ]
    ledger = await appropriation_in_ledger(world)
    assert fen(own["appropriated"]) == ledger["appropriated"] == cny(20_000_000).amount
    assert fen(own["remaining"]) == ledger["unallocated"]
    # over all rows: appropriated = committed + released + remaining
    assert sum(fen(r["appropriated"]) for r in rows) == sum(
        fen(r["committed"]) + fen(r["released"]) + fen(r["remaining"]) for r in rows
    )
    lakeside = lines[budget_line_code(world.lines["lakeside"])]
    assert lakeside["community_code"] == world.codes["lakeside"]
    assert lakeside["street_name_zh"] == "湖滨街道" and lakeside["category_name_en"]
    assert lakeside["released"] == "75000.00"


async def test_ocds_planning_budget_names_the_line_and_its_appropriation(frozen_clock):
    department = await make_department()
    # A tender from before the district's places and budget lines: the department's budget.
    other = await make_tender(department, status="published")
    world = await budget_lines()
    line = world.lines["lakeside"]
    tender = await make_tender(department, status="published", budget_line=line)
    (release,) = await releases_of(tender)
    budget = release["planning"]["budget"]
    assert budget["id"] == budget_line_code(line)
    assert "湖畔社区" in budget["description"] and str(YEAR) in budget["description"]
    assert "Lakeside Community" in budget["description"]
    assert "Community services" in budget["description"]
    assert budget["projectID"] == appropriation_code(YEAR, world.places["district"])
    assert budget["project"].startswith(f"{YEAR}年明湖区社区建设专项资金")
    assert budget["uri"].endswith(f"/api/v1/budget?line={line}&year={YEAR}")
    assert budget["amount"]["amount"] == 200_000
    package = {
        "uri": "http://example.org/ocds/releases.json",
        "publishedDate": release["date"],
        "version": "1.1",
        "publisher": {"name": "test"},
        "releases": [release],
    }
    assert ocds_errors(package, "release") == []
    (plain,) = await releases_of(other)
    assert plain["planning"]["budget"]["id"] == f"{plain['ocid']}-budget"
    assert "projectID" not in plain["planning"]["budget"]
