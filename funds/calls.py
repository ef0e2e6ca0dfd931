"""Opening a call for proposals: the committee's chair fills in a light form (titles,
what the call is for, the pot, the cap per grant, the deadline, when the projects end)
and, in one transaction, the call becomes a kernel tender owned by the fund's
organization (`create_tender(fund_place=...)`: its budget is held from the fund), the
three committee members take their seats on its evaluation panel (the bids app's
`appoint_evaluator`: the same declarations and conflict-of-interest rules as any
panel), the tender is published — the kernel holds the whole pot from
`community:{place}:fund` into the call's escrow, refused when the fund does not have
it — and the call row records the cap and the end date.

Everything after is the tender's own lifecycle: enquiries, sealed proposals (bids),
the chronograph closing it at the deadline, the bids app opening the proposals; then
the committee scores them on the panel pages and votes here (funds.decisions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bids.evaluation import appoint_evaluator
from funds import rules
from funds.tables import Call, Fund
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.directory import contacts, members_of
from market.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from market.inputs import InputInvalid, parse_date
from market.money import MoneyError, parse_money
from market.tables import Membership
from market.tenders.inputs import parse_local_datetime, to_local_input
from market.tenders.services import create_tender, publish_tender

# The light call's criteria, scored 0–100 by each member free of conflict (names in
# both languages: a tender's criterion has one name).
CRITERIA = (
    ("社区需要 Community need", 40),
    ("可行性 Feasibility", 30),
    ("居民参与 Residents' participation", 30),
)
TEXTS = ("title_zh", "title_en", "description_zh", "description_en")


@dataclass(frozen=True, slots=True)
class CallInput:
    texts: dict[str, str]
    pot: int
    cap: int
    deadline: datetime
    ends: date


def parse_call(form: dict[str, str], currency: str = "CNY") -> CallInput:
    """The chair's form: every field error at once (ValidationFailed)."""
    errors: dict[str, str] = {}
    texts = {name: str(form.get(name, "") or "").strip() for name in TEXTS}
    money: dict[str, int] = {}
    for name in ("pot", "cap"):
        try:
            money[name] = parse_money(str(form.get(name, "") or ""), currency).amount
        except MoneyError:
            errors[name] = "Enter an amount greater than zero, e.g. 20000.00."
    deadline: datetime | None = None
    ends: date | None = None
    try:
        deadline = parse_local_datetime(str(form.get("deadline", "") or ""), "deadline")
    except InputInvalid:
        errors["deadline"] = "Enter the deadline for proposals."
    try:
        ends = parse_date(str(form.get("ends", "") or ""), field="ends")
    except InputInvalid:
        errors["ends"] = "Enter the date the funded projects end by."
    if errors:
        raise ValidationFailed(errors)
    assert deadline is not None and ends is not None  # noqa: S101 - no error above
    rules.check_call(pot=money["pot"], cap=money["cap"], ends=ends, deadline=deadline.date())
    return CallInput(texts, money["pot"], money["cap"], deadline, ends)


def tender_form(data: CallInput, place_id: int) -> dict[str, str]:
    """The kernel tender form the call is: a community service in the fund's community
    (its place; no budget line: the money is the fund's, not the appropriation's), its
    pot as the budget held, one proposal enough, enquiries until a day before the
    deadline, opened at the deadline."""
    form = {
        **data.texts,
        "category": "community_services",
        "place": str(place_id),
        "budget": f"{data.pot // 100}.{data.pot % 100:02d}",
        "min_bids": "1",
        "enquiry_end": to_local_input(data.deadline - timedelta(days=1)),
        "bid_deadline": to_local_input(data.deadline),
        "opening_at": "",
    }
    for i, (name, weight) in enumerate(CRITERIA):
        form[f"criterion_name_{i}"] = name
        form[f"criterion_weight_{i}"] = str(weight)
    return form


async def fund_of(fund_id: int) -> dict[str, Any]:
    row = await Fund.select().where(Fund.id == fund_id).first()
    if row is None:
        raise NotFound("No such community fund.")
    return row


async def committee(organization_id: int) -> list[int]:
    """The committee: the members of the fund's organization, by user id."""
    return sorted((await members_of([organization_id])).get(organization_id, set()))


async def check_chair(user_id: int, organization_id: int) -> None:
    if not await Membership.exists().where(
        (Membership.user == user_id)
        & (Membership.organization == organization_id)
        & (Membership.role == "admin")
    ):
        raise PermissionDenied("Only the chair of the fund's committee may do this.")


async def open_call(*, user_id: int, fund_id: int, form: dict[str, str]) -> int:
    """A published call for proposals of the fund; returns the tender id."""
    data = parse_call(form)
    fund = await fund_of(fund_id)
    organization_id, place_id = int(fund["organization"]), int(fund["place"])
    await check_chair(user_id, organization_id)
    members = await committee(organization_id)
    if len(members) != rules.COMMITTEE_SIZE:
        raise DomainError("The committee needs three members before it opens a call.")
    emails = await contacts(members)
    async with atomic():
        with _as_call_fields():
            tender_id = await create_tender(
                user_id=user_id,
                department_id=organization_id,
                form=tender_form(data, place_id),
                fund_place=place_id,
            )
        for member in members:
            await appoint_evaluator(user_id=user_id, tender_id=tender_id, email=emails[member][0])
        with _as_call_fields():
            await publish_tender(user_id=user_id, tender_id=tender_id)
        call = await Call.insert(
            Call(
                tender=tender_id,
                fund=fund_id,
                cap=data.cap,
                ends=data.ends,
                created_by=user_id,
                created_at=clock.now(),
            )
        ).returning(Call.id)
        await append_audit(
            actor_of(user_id),
            "fund.call_open",
            "tender",
            tender_id,
            {"fund": fund_id, "call": int(call[0]["id"]), "pot": data.pot, "cap": data.cap},
        )
    return tender_id


@contextmanager
def _as_call_fields() -> Iterator[None]:
    """The kernel's refusals of the tender the call is, named by the call form's fields."""
    try:
        yield
    except ValidationFailed as refused:
        renamed = {"budget": "pot", "bid_deadline": "deadline", "enquiry_end": "deadline"}
        failure = ValidationFailed({renamed.get(k, k): v for k, v in refused.errors.items()})
        params = getattr(refused, "field_params", {})
        failure.field_params = {renamed.get(k, k): v for k, v in params.items()}  # type: ignore[attr-defined]
        raise failure from None
