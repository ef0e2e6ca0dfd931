"""Recording a year's appropriation, opening budget lines and moving money between
them: one transaction each, every move a ledger transfer with its audit row. Only
the district's finance bureau may (market/budget/access.py), and only in an open
budget year (market/budget/rules.py).

Lock order (ARCHITECTURE.md): the ledger accounts a move touches are locked together,
in id order, before the money is compared with what the move needs (the appropriation
account and the line; two lines) — nothing else is locked."""

from __future__ import annotations

from dataclasses import dataclass

from market import clock
from market.audit import actor_of, append_audit
from market.budget import access
from market.budget import rules as budget_rules
from market.db import atomic
from market.errors import NotFound, ValidationFailed
from market.ledger.accounts import lock_accounts
from market.ledger.codes import TREASURY, appropriation_code, budget_line_code
from market.ledger.services import TransferResult, ensure_accounts, transfer
from market.money import Money
from market.places import rules as place_rules
from market.places.queries import get_place
from market.sql import execute
from market.tenders.inputs import CATEGORIES


@dataclass(frozen=True, slots=True)
class LineRef:
    id: int
    year: int
    appropriation: int
    district: int
    currency: str
    place: int = 0
    category: str = ""

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
    unallocated appropriation account. One per district and year, for the current
    budget year or the next; by the district's finance bureau."""
    if amount.amount <= 0:
        raise ValidationFailed.single("amount", "An appropriation must be more than zero.")
    if len(reference.strip()) > budget_rules.REFERENCE_MAX:
        raise ValidationFailed.single("reference", "A reference can be at most 200 characters.")
    budget_rules.check_appropriation_year(year, clock.now())
    async with atomic():
        await access.check_finance(user_id, district_id)
        district = await get_place(district_id)
        if district.tier != "district":
            raise ValidationFailed.single("place", "An appropriation belongs to a district.")
        if await execute(
            "SELECT id FROM market_budget_appropriation WHERE year = {} AND place = {}",
            year,
            district_id,
        ):
            raise ValidationFailed.single(
                "year", "The %(year)s appropriation is recorded already.", year=year
            )
        rows = await execute(
            "INSERT INTO market_budget_appropriation (year, place, currency, amount,"
            " reference, recorded_at, recorded_by) VALUES ({}, {}, {}, {}, {}, {}, {})"
            " RETURNING id",
            year,
            district_id,
            amount.currency,
            amount.amount,
            reference.strip(),
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
    if category not in CATEGORIES:
        raise ValidationFailed.single("category", "Choose a category from the list.")
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
        await access.check_finance(user_id, district_id)
        budget_rules.check_open(year, clock.now())
        place = await get_place(place_id)
        if not place_rules.contains((await get_place(district_id)).code, place.code):
            raise ValidationFailed.single("place", "The place is not in this district.")
        if await execute(
            "SELECT id FROM market_budget_line WHERE year = {} AND place = {} AND category = {}",
            year,
            place_id,
            category,
        ):
            raise ValidationFailed.single(
                "category", "This place already has a line for this category and year."
            )
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
        "SELECT l.id, l.year, l.appropriation, l.place, l.category, a.place AS district,"
        " a.currency FROM market_budget_line l"
        " JOIN market_budget_appropriation a ON a.id = l.appropriation WHERE l.id = {}",
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
        int(row["place"]),
        row["category"],
    )


def _positive(amount: Money) -> None:
    if amount.amount <= 0:
        raise ValidationFailed.single("amount", "Enter an amount greater than zero.")


async def allocate(*, line_id: int, amount: Money, key: str, user_id: int) -> TransferResult:
    """Move unallocated appropriation money into a line (refused beyond what is left)."""
    _positive(amount)
    async with atomic():
        line = await line_ref(line_id)
        await access.check_finance(user_id, line.district)
        budget_rules.check_open(line.year, clock.now(), field="line")
        balances = await lock_accounts([line.source, line.code])
        unallocated = Money(balances[line.source].available, amount.currency)
        if amount.amount > unallocated.amount:
            raise ValidationFailed.single(
                "amount",
                "Only %(left)s of the appropriation is unallocated.",
                left=unallocated,
            )
        return await transfer(
            f"budget:allocate:{key}",
            debit=line.source,
            credit=line.code,
            amount=amount,
            reason="allocation",
            reference=f"budget_line:{line_id}",
            actor=actor_of(user_id),
        )


async def reallocate(
    *, from_line: int, to_line: int, amount: Money, why: str, key: str, user_id: int
) -> TransferResult:
    """Move a line's free money to another line of the same appropriation, with the
    reason on the audit trail (`budget.reallocate`)."""
    why = budget_rules.check_reason(why)
    _positive(amount)
    if from_line == to_line:
        raise ValidationFailed.single("to_line", "Choose another line.")
    async with atomic():
        source, target = await line_ref(from_line), await line_ref(to_line)
        await access.check_finance(user_id, source.district)
        if source.appropriation != target.appropriation:
            raise ValidationFailed.single(
                "to_line", "Both lines must be of the same appropriation."
            )
        budget_rules.check_open(source.year, clock.now(), field="from_line")
        balances = await lock_accounts([source.code, target.code])
        free = Money(balances[source.code].available, amount.currency)
        if amount.amount > free.amount:
            raise ValidationFailed.single("amount", "The line has only %(free)s free.", free=free)
        result = await transfer(
            f"budget:reallocate:{key}",
            debit=source.code,
            credit=target.code,
            amount=amount,
            reason="reallocation",
            reference=f"budget_line:{from_line}->{to_line}",
            actor=actor_of(user_id),
        )
        if result.created:
            await append_audit(
                actor_of(user_id),
                "budget.reallocate",
                "budget_line",
                from_line,
                {
                    "to_line": to_line,
                    "amount": amount.amount,
                    "currency": amount.currency,
                    "why": why,
                },
            )
    return result
