"""The finance bureau's desk: each form of the finance pages, parsed (market/budget/
inputs.py) and carried out by the budget services for the district the signed-in
officer keeps (market/budget/access.py) — so the pages' handlers stay one call each."""

from __future__ import annotations

from collections.abc import Mapping

from market import clock
from market.budget import access, inputs, queries, services
from market.budget.rules import is_closed, year_ends_at
from market.budget.year_end import YearEndResult, run_year_end
from market.errors import NotFound, ValidationFailed
from market.inputs import parse_id
from market.tenders.inputs import CATEGORIES

Form = Mapping[str, str]


async def _appropriation(user_id: int, year: int) -> queries.Appropriation:
    district = await access.finance_district(user_id)
    appropriation = await queries.appropriation_of(district, year)
    if appropriation is None:
        raise NotFound("No appropriation is recorded for this year.")
    return appropriation


async def _line_of(year: int, district: int, line_id: int, field: str) -> int:
    """The line, if it is one of this year's appropriation (else a field error)."""
    try:
        line = await services.line_ref(line_id)
    except NotFound:
        line = None
    if line is None or line.year != year or line.district != district:
        raise ValidationFailed.single(field, "Choose a budget line from the list.")
    return line.id


async def record(user_id: int, form: Form) -> int:
    """The form "Record an appropriation"; returns its year."""
    data = inputs.parse_appropriation(dict(form))
    await services.record_appropriation(
        year=data.year,
        district_id=await access.finance_district(user_id),
        amount=data.amount,
        reference=data.reference,
        user_id=user_id,
    )
    return data.year


async def open_line(user_id: int, year: int, form: Form) -> int:
    appropriation = await _appropriation(user_id, year)
    data = inputs.parse_line(dict(form), CATEGORIES)
    return await services.open_line(
        appropriation_id=appropriation.id,
        place_id=data.place,
        category=data.category,
        user_id=user_id,
    )


async def allocate(user_id: int, year: int, form: Form) -> None:
    appropriation = await _appropriation(user_id, year)
    data = inputs.parse_allocation(dict(form), appropriation.currency)
    line = await _line_of(year, appropriation.district, data.line, "line")
    await services.allocate(line_id=line, amount=data.amount, key=data.key, user_id=user_id)


async def reallocate(user_id: int, year: int, form: Form) -> None:
    appropriation = await _appropriation(user_id, year)
    data = inputs.parse_reallocation(dict(form), appropriation.currency)
    source = await _line_of(year, appropriation.district, data.from_line, "from_line")
    target = await _line_of(year, appropriation.district, data.to_line, "to_line")
    await services.reallocate(
        from_line=source,
        to_line=target,
        amount=data.amount,
        why=data.why,
        key=data.key,
        user_id=user_id,
    )


async def year_end(user_id: int, year: int) -> YearEndResult:
    """Run the year end of a closed year now (the job does it anyway)."""
    appropriation = await _appropriation(user_id, year)
    now = clock.now()
    if not is_closed(year, now):
        raise ValidationFailed.single(
            "year_end",
            "The %(year)s budget year closes on %(date)s; its year end runs after that.",
            year=year,
            date=year_ends_at(year).date().isoformat(),
        )
    await access.check_finance(user_id, appropriation.district)
    return await run_year_end(now, year=year)


async def designate(operator_id: int, form: Form) -> int:
    """The operator's form "Designate the finance bureau": a district and a department
    (ids; anything else is 400). Returns the district's id."""
    district = parse_id(form.get("district", ""), field="district")
    if not form.get("organization", "").strip():
        raise ValidationFailed.single("organization", "Choose a department from the list.")
    organization = parse_id(form.get("organization", ""), field="organization")
    await access.designate_finance_bureau(
        operator_id=operator_id, organization_id=organization, district_id=district
    )
    return district
