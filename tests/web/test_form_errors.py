"""Every form's errors are announced and tied to their fields, with and without htmx:
each field error has an id a control points at (aria-describedby, aria-invalid), and
a role=alert block says the form has errors. Bad input is typed into the page's own
form as a person would; nothing may show the text None."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from market.sql import execute
from tests.builders import login, make_operator, make_org, make_user
from tests.donation_builders import make_sponsor
from tests.donation_builders import make_tender as make_donation_tender
from tests.tender_builders import make_department, make_tender
from tests.web.forms import error_problems, none_values, submit

pytestmark = pytest.mark.usefixtures("frozen_clock")


@dataclass
class Case:
    page: str
    action: str
    values: dict[str, str]
    button: tuple[str, str] | None = None


async def _email(user_id: int) -> str:
    return str((await execute("SELECT email FROM market_user WHERE id = {}", user_id))[0]["email"])


async def signup(client: httpx.AsyncClient) -> Case:
    return Case("/signup", "/signup", {"email": "x", "display_name": "李娜", "password": "short"})


async def profile(client: httpx.AsyncClient) -> Case:
    await make_user("p@example.org")
    await login(client, "p@example.org")
    return Case("/profile", "/profile", {"display_name": ""})


async def password(client: httpx.AsyncClient) -> Case:
    await make_user("pw@example.org")
    await login(client, "pw@example.org")
    return Case("/profile", "/profile/password", {"current": "wrong one", "new": "x"})


async def register(client: httpx.AsyncClient) -> Case:
    await make_user("reg@example.org")
    await login(client, "reg@example.org")
    return Case("/organizations/register", "/organizations/register", {"uscc": "123"})


async def members(client: httpx.AsyncClient) -> Case:
    org = await make_org(admin=await make_user("adm@example.org"))
    await login(client, "adm@example.org")
    return Case(
        f"/organizations/{org}/members", f"/organizations/{org}/members", {"email": "no@x.org"}
    )


async def operator_reject(client: httpx.AsyncClient) -> Case:
    await make_operator("op@example.org")
    org = await make_org(status="pending")
    await login(client, "op@example.org")
    action = f"/operator/organizations/{org}/decision"
    return Case("/operator/organizations", action, {}, ("action", "reject"))


async def new_tender(client: httpx.AsyncClient) -> Case:
    department = await make_department()
    await login(client, department.email)
    return Case(
        "/workspace/tenders/new",
        "/workspace/tenders/",
        {"title_zh": "x", "budget": "abc", "criterion_name_0": "方案", "criterion_weight_0": "90"},
    )


async def cancel(client: httpx.AsyncClient) -> Case:
    department = await make_department()
    tender = await make_tender(department)
    await login(client, department.email)
    base = f"/workspace/tenders/{tender}"
    return Case(base, f"{base}/cancel", {})


async def question(client: httpx.AsyncClient) -> Case:
    tender = await make_tender(await make_department(), status="published")
    await make_org(admin=await make_user("ask@example.org"))
    await login(client, "ask@example.org")
    return Case(f"/tenders/{tender}", f"/tenders/{tender}/questions", {"question": " "})


async def bid(client: httpx.AsyncClient) -> Case:
    tender = await make_tender(await make_department(), status="published")
    await make_org(admin=await make_user("bid@example.org"))
    await login(client, "bid@example.org")
    return Case(f"/tenders/{tender}/bid", f"/tenders/{tender}/bid", {"price": "abc"})


async def donate(client: httpx.AsyncClient) -> Case:
    tender = await make_donation_tender()
    return Case(f"/tenders/{tender}/donate", f"/tenders/{tender}/donate", {"amount": "-5"})


async def pledge(client: httpx.AsyncClient) -> Case:
    user, _ = await make_sponsor()
    await login(client, await _email(user))
    return Case("/sponsor", "/sponsor/pledges", {"per_donation_cap": "x", "total_cap": "1"})


async def contribute(client: httpx.AsyncClient) -> Case:
    tender = await make_donation_tender()
    user, _ = await make_sponsor()
    await login(client, await _email(user))
    return Case(f"/tenders/{tender}/contribute", f"/tenders/{tender}/contribute", {"amount": "x"})


async def bank_transfer(client: httpx.AsyncClient) -> Case:
    await make_operator("bank@example.org")
    await login(client, "bank@example.org")
    return Case(
        "/operator/bank-transfers",
        "/operator/bank-transfers",
        {"reference_code": "NOPE", "amount": "x", "bank_reference": "line"},
    )


CASES: dict[str, Callable[[httpx.AsyncClient], Awaitable[Case]]] = {
    f.__name__: f
    for f in (
        signup, profile, password, register, members, operator_reject, new_tender, cancel,
        question, bid, donate, pledge, contribute, bank_transfer,
    )
}  # fmt: skip


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("name", sorted(CASES))
async def test_errors_are_announced_and_tied_to_their_fields(client, name, htmx) -> None:
    client.cookies.set("pgm_lang", "en")
    case = await CASES[name](client)
    page = await client.get(case.page)
    assert page.status_code == 200 and not none_values(page.text)
    response = await submit(
        client, page, case.action, case.values, button=case.button, htmx=htmx, complete=False
    )
    assert response.status_code == 422, response.text[-2000:]
    assert 'role="alert"' in response.text
    assert not error_problems(response.text), error_problems(response.text)
    assert not none_values(response.text)
