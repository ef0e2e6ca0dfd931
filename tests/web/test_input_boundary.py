"""The one input boundary: the five causes of 500s an independent probe found, and the
error body every JSON error shares (as the OpenAPI document declares it).

1. ids and cursors beyond 64 bits (every route with an int path parameter, from the
   app's route table); 2. amounts longer than 4,300 digits and non-ASCII digits as
   money; 3. superscript digits in open-data cursors; 4. a tender date in year 0001
   (and 9999, and an enquiry end in the past for drafts); 5. a signed webhook with a
   huge payment id.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import jsonschema
import pytest
from litestar.routes import HTTPRoute

from market import clock
from market.cursor import decode_id
from market.errors import ValidationFailed
from market.inputs import (
    MAX_ID,
    InputInvalid,
    parse_date,
    parse_id,
    parse_limit,
)
from market.money import MAX_AMOUNT, InvalidAmount, parse_money
from market.tenders import inputs as tender_inputs
from market.tenders import services
from tests.builders import login, post_form
from tests.tender_builders import local, make_department, make_tender, tender_form
from tests.web.test_webhooks import SECRET, deliver, event, stripe_configured

__all__ = ["SECRET", "stripe_configured"]  # the fixture is used by name below

HUGE = str(2**64)
NOT_ASCII = ("²", "١٢", "１２", "߁")  # superscript, Arabic-Indic, full-width, NKo digits
EN = {"Accept-Language": "en"}


def int_path_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET path with an int parameter, straight from the route table."""
    paths = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and ":int}" in route.path and "GET" in route.methods:
            paths.append(route.path)
    return sorted(set(paths))


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[a-z_]+:int\}", value, path)


# --- 1. ids beyond 64 bits -----------------------------------------------------------


async def test_ids_beyond_the_column_range_are_a_4xx_on_every_route(app, client) -> None:
    paths = int_path_routes(app)
    assert len(paths) >= 16  # the probe found 16 public ones; the table has more
    for path in paths:
        for value in (HUGE, str(MAX_ID + 1), "9" * 5000, *NOT_ASCII):
            response = await client.get(fill(path, value), headers=EN)
            assert 300 <= response.status_code < 500, (path, value, response.status_code)


async def test_a_huge_id_on_the_api_is_a_400_in_the_documented_error_shape(app, client) -> None:
    schema = app.openapi_schema.to_schema()
    error_body = schema["components"]["schemas"]["ErrorBody"]
    for path in ("/api/v1/tenders/", "/api/v1/projects/", "/api/v1/organizations/"):
        suffix = "/record" if "organizations" in path else ""
        response = await client.get(f"{path}{HUGE}{suffix}", headers=EN)
        assert response.status_code == 400
        body = response.json()
        jsonschema.validate(body, error_body)
        assert body["status"] == 400 and body["field"].endswith("_id")
        assert "not valid" in body["error"]
    documented = schema["paths"]["/api/v1/tenders/{tender_id}"]["get"]
    assert documented["parameters"][0]["schema"]["maximum"] == MAX_ID
    assert documented["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


async def test_a_tender_cursor_beyond_an_id_is_a_400(client) -> None:
    for after in (f"1.{HUGE}", "1." + "9" * 5000, "²." + "1", "1.1.1", "x"):
        response = await client.get("/api/v1/tenders", params={"after": after}, headers=EN)
        assert response.status_code == 400, after
        assert "cursor" in response.json()["error"]


def test_ids_and_cursors_are_ascii_digits_within_range() -> None:
    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    assert decode_id(None) is None and decode_id("") is None
    for bad in ("0", "-1", "1.5", " ", str(MAX_ID + 1), HUGE, "9" * 5000, *NOT_ASCII):
        with pytest.raises(InputInvalid) as caught:
            parse_id(bad)
        assert caught.value.status_code == 400
        with pytest.raises(InputInvalid):
            decode_id(bad)
    assert parse_limit(None, default=20, maximum=100) == 20
    for bad in ("0", "101", "１０", "²", "9" * 5000):
        with pytest.raises(InputInvalid):
            parse_limit(bad, default=20, maximum=100)


# --- 2. amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["9" * 4301, "1" * 5000 + ".00", "0." + "0" * 5000, "١٢٣", "１２３", "12²", "1,２34"]
)
def test_huge_or_non_ascii_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_money(text, "CNY")


def test_the_ledger_maximum_is_one_constant() -> None:
    from market.ledger import rules

    assert rules.MAX_AMOUNT is MAX_AMOUNT
    assert parse_money(str(MAX_AMOUNT // 100), "CNY").amount == MAX_AMOUNT
    with pytest.raises(InvalidAmount):
        parse_money(str(MAX_AMOUNT // 100) + ".01", "CNY")


async def test_a_donation_of_5000_digits_is_a_422_beside_the_field(client) -> None:
    department = await make_department()
    tender = await make_tender(department, status="published")
    for amount in ("9" * 5000, "١٠٠", "１００"):
        data = {"amount": amount, "provider": "sandbox", "on_failure": "refund"}
        response = await post_form(client, f"/tenders/{tender}/donate", data)
        assert response.status_code == 422, (amount, response.status_code)
        assert 'id="amount-error"' in response.text


# --- 3. superscript digits in open-data cursors ---------------------------------------


@pytest.mark.parametrize("value", NOT_ASCII)
async def test_non_ascii_digits_in_open_data_cursors_are_a_400(client, value: str) -> None:
    for path, name in (
        ("/api/v1/audit/events", "before"),
        ("/audit", "before"),
        ("/ocds/releases.json", "after"),
        ("/api/v1/audit/events", "limit"),
        ("/ocds/releases.json", "limit"),
    ):
        response = await client.get(path, params={name: value}, headers=EN)
        assert response.status_code == 400, (path, name, value, response.status_code)


# --- 4. dates ------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["0001", "1999", "2101", "9999"])
def test_tender_dates_outside_2000_to_2100_are_field_errors(year: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tender_inputs.validate_tender(tender_form(enquiry_end=f"{year}-01-01T00:00"))
    assert set(caught.value.errors) >= {"enquiry_end"}
    assert "between the years" in caught.value.errors["enquiry_end"]


def test_dates_are_bounded_and_in_iso_form() -> None:
    assert parse_date("2026-12-01", field="due").isoformat() == "2026-12-01"
    for bad in ("0001-01-01", "9999-12-31", "20261201", "２０２６-12-01", "2026-02-30", ""):
        with pytest.raises(InputInvalid):
            parse_date(bad, field="due")


async def test_a_draft_cannot_end_its_enquiries_in_the_past(client) -> None:
    department = await make_department()
    now = clock.now()
    form = tender_form(now, enquiry_end=local(now - timedelta(days=1)))
    with pytest.raises(ValidationFailed) as caught:
        await services.create_tender(
            user_id=department.user_id, department_id=department.id, form=form
        )
    assert "enquiry_end" in caught.value.errors


async def test_a_tender_form_in_year_0001_is_a_422_not_a_500(client) -> None:
    department = await make_department()
    await login(client, department.email)
    form = {
        **tender_form(enquiry_end="0001-01-01T00:00", bid_deadline="0001-01-02T00:00"),
        "department_id": str(department.id),
    }
    response = await post_form(client, "/workspace/tenders", form, token_from="/workspace/tenders")
    assert response.status_code == 422, response.status_code


# --- 5. a signed webhook with a huge payment id ----------------------------------------


async def test_a_signed_webhook_with_a_huge_payment_id_is_a_4xx(
    client: httpx.AsyncClient, stripe_configured: None
) -> None:
    for payment_id in (MAX_ID + 1, 2**64, 2**200):
        response = await deliver(client, event(payment_id, 100_00, n=900))
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "payment_id"


# --- error shape and 405 ----------------------------------------------------------------


async def test_405_carries_allow_and_the_error_body(client) -> None:
    response = await client.request("TRACE", "/api/v1/audit")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert set(response.json()) == {"error", "status", "request_id"}
    assert response.json()["request_id"] == response.headers["x-request-id"]
    page = await client.delete("/tenders")
    assert page.status_code == 405 and "GET" in page.headers["allow"]


async def test_nul_bytes_in_query_or_form_text_are_a_400(client) -> None:
    assert (await client.get("/tenders", params={"q": "a\x00b"})).status_code == 400
    assert (await client.get("/api/v1/tenders", params={"q": "a\x00"})).status_code == 400
    department = await make_department()
    tender = await make_tender(department, status="published")
    data = {"amount": "10", "provider": "sandbox", "on_failure": "refund", "message": "hi\x00"}
    response = await post_form(client, f"/tenders/{tender}/donate", data)
    assert response.status_code == 400


async def test_a_pledge_form_with_huge_or_non_ascii_numbers_is_a_422(client) -> None:
    from market.sql import execute
    from tests.donation_builders import make_sponsor

    user, org = await make_sponsor("foundation")
    email = (await execute("SELECT email FROM market_user WHERE id = {}", user))[0]["email"]
    await login(client, email)
    base = {
        "organization_id": str(org),
        "ratio_sponsor": "2",
        "ratio_donor": "1",
        "per_donation_cap": "100",
        "total_cap": "5000",
        "provider": "bank_transfer",
    }
    for field, value in (
        ("ratio_sponsor", "9" * 5000),
        ("ratio_sponsor", "２"),
        ("tender_ids", "²"),
        ("tender_ids", HUGE),
        ("valid_until", "0001-01-01"),
        ("valid_until", "9999-12-31"),
        ("total_cap", "9" * 5000),
    ):
        response = await post_form(client, "/sponsor/pledges", {**base, field: value})
        assert response.status_code == 422, (field, value, response.status_code)
    rows = await execute("SELECT COUNT(*) AS n FROM donors_pledge")
    assert int(rows[0]["n"]) == 0
