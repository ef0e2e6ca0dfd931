"""Tender factories: a department with a funded budget, a valid tender form, tenders
in a given status (through the real services, with the clock moved as needed)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from market import clock
from market.money import Money
from market.sql import execute
from market.tenders import hooks, inputs, lifecycle, services
from tests.builders import make_org, make_user

_serial = itertools.count(1)
DAY = timedelta(days=1)


@contextmanager
def bids_app(
    live_bids: int | None = None, on_amended: hooks.AmendedHook | None = None
) -> Iterator[None]:
    """Stand in for the bids app's registrations (restored afterwards): `live_bids`
    is what the counter reports (None: no counter), `on_amended` the amendment hook."""
    saved_counter, saved_amended, saved_settler = (
        hooks._bid_counter,
        list(hooks._amended),
        hooks._settler,
    )
    hooks.clear()
    hooks.set_settler(saved_settler)  # the donors app's, not stood in for
    if live_bids is not None:

        async def count(tender_id: int) -> int:
            return live_bids

        hooks.set_live_bid_counter(count)
    if on_amended is not None:
        hooks.on_tender_amended(on_amended)
    try:
        yield
    finally:
        hooks.clear()
        hooks.set_live_bid_counter(saved_counter)
        hooks.set_settler(saved_settler)
        for hook in saved_amended:
            hooks.on_tender_amended(hook)


@dataclass(frozen=True)
class Department:
    id: int
    user_id: int
    email: str


async def make_department(*, budget_yuan: int = 10_000_000, name: str = "民政局") -> Department:
    n = next(_serial)
    email = f"dept{n}@example.org"
    user_id = await make_user(email, display_name="Department staff")
    department_id = await make_org(
        kind="department", name_zh=name, name_en="Civil Affairs Bureau", category="", admin=user_id
    )
    if budget_yuan:
        await lifecycle.appropriate_budget(
            department_id,
            Money(budget_yuan * 100, "CNY"),
            key=f"appropriation:{department_id}:{n}",
            actor="system:test",
        )
    return Department(department_id, user_id, email)


def local(at: datetime) -> str:
    return inputs.to_local_input(at)


def tender_form(now: datetime | None = None, **overrides: Any) -> dict[str, str]:
    """A valid form: enquiries 5 days, bids 10 days, opening 10 days + 1 hour from now."""
    now = now or clock.now()
    form = {
        "title_zh": "社区居家养老服务项目",
        "title_en": "Community home-based elderly care",
        "description_zh": "为辖区80岁以上独居老人提供上门服务。",
        "description_en": "Home visits for residents over 80 living alone.",
        "category": "community_services",
        "area_level": "street",
        "area": "湖滨街道",
        "budget": "200000.00",
        "goal_corporate": "50000",
        "goal_foundation": "",
        "goal_public": "20000",
        "goal_own": "",
        "min_bids": "2",
        "enquiry_end": local(now + 5 * DAY),
        "bid_deadline": local(now + 10 * DAY),
        "opening_at": local(now + 10 * DAY + timedelta(hours=1)),
        "criteria_dummy": "",
        "criterion_name_0": "Service plan",
        "criterion_weight_0": "50",
        "criterion_name_1": "Team experience",
        "criterion_weight_1": "20",
        "criterion_name_2": "Price",
        "criterion_weight_2": "30",
        "price_criterion": "2",
    }
    form.pop("criteria_dummy")
    form.update(overrides)
    return form


async def make_tender(
    department: Department,
    *,
    status: str = "draft",
    budget_line: int | None = None,
    **overrides: Any,
) -> int:
    """A tender in `status`, reached through the services (the clock is restored); with
    `budget_line`, its government budget is held against that line (and its place is
    the line's)."""
    if budget_line is not None:  # chosen in the form, as a department does
        rows = await execute(
            "SELECT place, category FROM market_budget_line WHERE id = {}", int(budget_line)
        )
        line = {"place": str(rows[0]["place"]), "category": rows[0]["category"]}
        overrides = line | {"budget_line": str(budget_line)} | overrides
    tender_id = await services.create_tender(
        user_id=department.user_id, department_id=department.id, form=tender_form(**overrides)
    )
    if status == "draft":
        return tender_id
    await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
    if status == "published":
        return tender_id
    if status == "cancelled":
        await services.cancel_tender(
            user_id=department.user_id, tender_id=tender_id, reason="No longer needed"
        )
        return tender_id
    real = clock._now
    start = clock.now()
    try:
        clock.set_clock(lambda: start + 5 * DAY + timedelta(minutes=1))
        await lifecycle.advance(tender_id)
        if status == "tendering":
            return tender_id
        clock.set_clock(lambda: start + 10 * DAY + timedelta(minutes=1))
        with bids_app(live_bids=0 if status == "unsuccessful" else 9):
            await lifecycle.advance(tender_id)
        if status == "evaluation":
            return tender_id
        if status == "unsuccessful":
            return tender_id
        await lifecycle.mark_tender_awarded(tender_id, actor="bids:test")
        if status == "awarded":
            return tender_id
        await lifecycle.mark_tender_contracted(tender_id, actor="bids:test")
        if status == "contracted":
            return tender_id
        await lifecycle.mark_tender_completed(tender_id, actor="bids:test")
        return tender_id
    finally:
        clock.set_clock(real)
