"""Recording a year's appropriation, opening budget lines and moving money between
them: one transaction each, every move a ledger transfer with its audit row."""

from __future__ import annotations

from dataclasses import dataclass

from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, NotFound, ValidationFailed
from market.ledger.codes import TREASURY, appropriation_code, budget_line_code
from market.ledger.rules import ExceedsCredits
from market.ledger.services import TransferResult, ensure_accounts, transfer
from market.money import Money, format_money
from market.places.queries import get_place
from market.sql import execute


@dataclass(frozen=True, slots=True)
class LineRef:
    id: int
    year: int
    appropriation: int
    district: int
    currency: str

    @property
    def code(self) -> str:
        return budget_line_code(self.id)

    @property
    def source(self) -> str:
        return appropriation_code(self.year, self.district)


async def record_appropriation(
    *, year: int, district_id: int, amount: Money, reference: str, user_id: int
) -> int:
    """The year's appropriation for a district, funded from the treasury into the
    unallocated appropriation account. One per district and year."""
    if amount.amount <= 0:
        raise ValidationFailed.single("amount", "An appropriation must be more than zero.")
    async with atomic():
        district = await get_place(district_id)
        if district.tier != "district":
            raise ValidationFailed.single("place", "An appropriation belongs to a district.")
        if await execute(
            "SELECT id FROM market_budget_appropriation WHERE year = {} AND place = {}",
            year,
            district_id,
        ):
            raise Conflict(f"The {year} appropriation is recorded already.")
        rows = await execute(
            "INSERT INTO market_budget_appropriation (year, place, currency, amount,"
            " reference, recorded_at, recorded_by) VALUES ({}, {}, {}, {}, {}, {}, {})"
            " RETURNING id",
            year,
            district_id,
            amount.currency,
            amount.amount,
            reference.strip()[:200],
            clock.now(),
            user_id,
        )
        appropriation_id = int(rows[0]["id"])
        code = appropriation_code(year, district_id)
        await ensure_accounts([TREASURY, code], amount.currency)
        await transfer(
            f"appropriation:{appropriation_id}",
            debit=TREASURY,
            credit=code,
            amount=amount,
            reason="appropriation",
            reference=f"appropriation:{appropriation_id}",
            actor=actor_of(user_id),
        )
    return appropriation_id


async def open_line(*, appropriation_id: int, place_id: int, category: str, user_id: int) -> int:
    """A budget line of an appropriation for one place (in its district) and category."""
    async with atomic():
        rows = await execute(
            "SELECT year, place, currency FROM market_budget_appropriation WHERE id = {}",
            appropriation_id,
        )
        if not rows:
            raise NotFound("No such appropriation.")
        year, district_id, currency = (
            int(rows[0]["year"]),
            int(rows[0]["place"]),
            rows[0]["currency"],
        )
        place = await get_place(place_id)
        if not place.code.startswith((await get_place(district_id)).code[:6]):
            raise ValidationFailed.single("place", "The place is not in this district.")
        if await execute(
            "SELECT id FROM market_budget_line WHERE year = {} AND place = {} AND category = {}",
            year,
            place_id,
            category,
        ):
            raise Conflict("This place already has a line for this category and year.")
        rows = await execute(
            "INSERT INTO market_budget_line (appropriation, year, place, category,"
            " created_at, created_by) VALUES ({}, {}, {}, {}, {}, {}) RETURNING id",
            appropriation_id,
            year,
            place_id,
            category,
            clock.now(),
            user_id,
        )
        line_id = int(rows[0]["id"])
        await ensure_accounts([budget_line_code(line_id)], currency)
        await append_audit(
            actor_of(user_id),
            "budget.line_open",
            "budget_line",
            line_id,
            {
                "appropriation": appropriation_id,
                "year": year,
                "place": place_id,
                "category": category,
            },
        )
    return line_id


async def line_ref(line_id: int) -> LineRef:
    rows = await execute(
        "SELECT l.id, l.year, l.appropriation, a.place AS district, a.currency"
        " FROM market_budget_line l JOIN market_budget_appropriation a ON a.id = l.appropriation"
        " WHERE l.id = {}",
        line_id,
    )
    if not rows:
        raise NotFound("No such budget line.")
    row = rows[0]
    return LineRef(
        int(row["id"]),
        int(row["year"]),
        int(row["appropriation"]),
        int(row["district"]),
        row["currency"],
    )


async def allocate(*, line_id: int, amount: Money, key: str, user_id: int) -> TransferResult:
    """Move unallocated appropriation money into a line (refused beyond what is left)."""
    async with atomic():
        line = await line_ref(line_id)
        try:
            return await transfer(
                key,
                debit=line.source,
                credit=line.code,
                amount=amount,
                reason="allocation",
                reference=f"budget_line:{line_id}",
                actor=actor_of(user_id),
            )
        except ExceedsCredits:
            raise ValidationFailed.single(
                "amount",
                f"Only part of the appropriation is unallocated; {format_money(amount)} is more.",
            ) from None


async def reallocate(
    *, from_line: int, to_line: int, amount: Money, why: str, key: str, user_id: int
) -> TransferResult:
    """Move a line's free money to another line of the same appropriation, with the
    reason on the audit trail."""
    if not why.strip():
        raise ValidationFailed.single("reason", "Say why the money moves.")
    if from_line == to_line:
        raise ValidationFailed.single("to_line", "Choose another line.")
    async with atomic():
        source, target = await line_ref(from_line), await line_ref(to_line)
        if source.appropriation != target.appropriation:
            raise ValidationFailed.single(
                "to_line", "Both lines must be of the same appropriation."
            )
        try:
            result = await transfer(
                key,
                debit=source.code,
                credit=target.code,
                amount=amount,
                reason="reallocation",
                reference=f"budget_line:{from_line}->{to_line}",
                actor=actor_of(user_id),
            )
        except ExceedsCredits:
            raise ValidationFailed.single(
                "amount", "The line does not have that much free money."
            ) from None
        await append_audit(
            actor_of(user_id),
            "budget.reallocate",
            "budget_line",
            from_line,
            {
                "to_line": to_line,
                "amount": amount.amount,
                "currency": amount.currency,
                "why": why.strip()[:500],
            },
        )
    return result
