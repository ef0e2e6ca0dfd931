"""Sandbox tenders on the pages: the draft form offers the acceleration only where the
sandbox is allowed, production refuses a crafted one, and a sandbox tender is marked
on its page, in the list and in the API — and absent from the public project pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from market.settings import get_settings, reset_settings
from market.sql import execute
from tests.builders import login
from tests.tender_builders import local, make_department
from tests.web.forms import find_form, submit
from tests.web.test_forms_tenders import required_tender_fields

pytestmark = pytest.mark.usefixtures("frozen_clock", "english")
BANNER = "Sandbox — training tender, not real money."


@pytest.fixture
def english(client) -> None:
    client.cookies.set("pgm_lang", "en")


@pytest.fixture
def production_settings():
    reset_settings(replace(get_settings(), sandbox=False))
    yield
    reset_settings(None)


async def test_a_sandbox_tender_is_drafted_published_and_marked(client, frozen_clock) -> None:
    department = await make_department()
    await login(client, department.email)
    page = await client.get("/workspace/tenders/new")
    assert "acceleration" in find_form(page.text, "/workspace/tenders/").names
    refused = await submit(
        client,
        page,
        "/workspace/tenders/",
        required_tender_fields(frozen_clock.at, acceleration="86401"),
    )
    assert refused.status_code == 422
    assert "The acceleration is a whole number from 1 to 86400." in refused.text
    response = await submit(
        client,
        page,
        "/workspace/tenders/",
        required_tender_fields(frozen_clock.at, acceleration="1440"),
    )
    assert response.status_code == 303, response.text
    tender_id = int(response.headers["location"].rsplit("/", 1)[1])
    edit = await client.get(f"/workspace/tenders/{tender_id}/edit")
    assert find_form(edit.text, f"/workspace/tenders/{tender_id}/edit").defaults()[
        "acceleration"
    ] == ["1440"]
    manage = await client.get(f"/workspace/tenders/{tender_id}")
    assert BANNER in manage.text
    # the draft's ten days of bidding, written as for a real tender, at 1440×
    assert "published now, it would take bids for 10 minutes." in manage.text
    publish = await submit(client, manage, f"/workspace/tenders/{tender_id}/publish")
    assert publish.status_code == 303, publish.text

    detail = await client.get(f"/tenders/{tender_id}")
    assert BANNER in detail.text and "Sandbox ×1440" in detail.text
    assert "Sandbox ×1440" in (await client.get("/tenders")).text
    assert "Sandbox ×1440" in (await client.get("/workspace/tenders")).text
    assert "Sandbox ×1440" in (await client.get("/workspace/evaluations")).text
    api = (await client.get(f"/api/v1/tenders/{tender_id}")).json()
    assert api["tender"]["acceleration"] == 1440
    # five days of enquiries at a day a minute: five minutes
    (row,) = await execute("SELECT enquiry_end, published_at FROM market_tender")
    assert local(row["enquiry_end"]) == local(frozen_clock.at + timedelta(minutes=5))
    assert (await client.get(f"/projects/{tender_id}")).status_code == 404
    # so nothing links there: not its page, not its donation form (sandbox card only)
    donate = (await client.get(f"/tenders/{tender_id}/donate")).text
    assert f"/projects/{tender_id}" not in detail.text + donate
    assert 'value="bank_transfer"' not in donate and 'value="community_fund"' not in donate


async def test_production_offers_no_sandbox_and_refuses_a_crafted_one(
    client, frozen_clock, production_settings
) -> None:
    department = await make_department()
    await login(client, department.email)
    page = await client.get("/workspace/tenders/new")
    form = find_form(page.text, "/workspace/tenders/")
    assert "acceleration" not in form.names
    data = form.fill(required_tender_fields(frozen_clock.at))
    data["department_id"] = [str(department.id)]
    data["acceleration"] = ["1440"]
    response = await client.post("/workspace/tenders/", data=data)
    assert response.status_code == 422
    assert "Sandbox tenders are not available here: this is the production system." in (
        response.text
    )
    assert not await execute("SELECT id FROM market_tender")


async def test_the_amend_page_states_the_accelerated_minimum_in_the_users_language(
    client, frozen_clock
) -> None:
    department = await make_department()
    await login(client, department.email)
    page = await client.get("/workspace/tenders/new")
    ids = []
    for factor in ("1440", "100", ""):  # a day a minute; 100 times; real time
        fields = required_tender_fields(frozen_clock.at, acceleration=factor)
        response = await submit(client, page, "/workspace/tenders/", fields)
        ids.append(int(response.headers["location"].rsplit("/", 1)[1]))
        manage = await client.get(f"/workspace/tenders/{ids[-1]}")
        assert (await submit(client, manage, f"/workspace/tenders/{ids[-1]}/publish")).is_redirect
    minute, hundredfold, real = ids

    def note(html: str) -> str:
        return html.split('<p class="notice">', 1)[1].split("</p>", 1)[0]

    amend = note((await client.get(f"/workspace/tenders/{minute}/amend")).text)
    assert "if less than 3 minutes would remain to bid" in amend  # 3 days ÷ 1440
    assert "runs 1440 times faster" in amend and "days" not in amend
    amend = note((await client.get(f"/workspace/tenders/{hundredfold}/amend")).text)
    assert "less than 43 minutes, 12 seconds would remain" in amend  # 3 days ÷ 100
    amend = note((await client.get(f"/workspace/tenders/{real}/amend")).text)
    assert "if less than 3 days would remain to bid" in amend and "sandbox" not in amend

    client.cookies.set("pgm_lang", "zh_Hans")
    amend = note((await client.get(f"/workspace/tenders/{minute}/amend")).text)
    assert "3分钟" in amend and "1440" in amend and "minute" not in amend
    amend = note((await client.get(f"/workspace/tenders/{hundredfold}/amend")).text)
    assert "43分钟12秒" in amend
