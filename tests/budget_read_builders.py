# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""A district's budget built through the real services (market/budget/services.py and
the tender lifecycle), and its figures recomputed straight from the ledger's tables
to compare the /budget page, its API and its Fiscal Data Package with.

The world: the 2026 appropriation of ¥20,000,000 with five lines (the district, two
streets, two communities); a re-allocation; a tender held on a community line that is
cancelled (its hold goes back); one contracted for less than its budget (the unposted
part goes back) with its first tranche released; one still open; a sandbox tender
pointed at a line (which must not touch it); and a year-end return of a line's free
money to the appropriation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bids import milestones
from bids.milestones import Upload
from market import clock
from market.budget import services as budget
from market.ledger.codes import appropriation_code, budget_line_code
from market.ledger.services import transfer
from market.money import Money
from market.places.services import add_place
from market.sql import execute
from market.tenders import services as tender_services
from tests.bid_builders import add_approver, contracted, tender_with_bids
from tests.budget_builders import District, make_finance
from tests.builders import make_user
from tests.tender_builders import make_department, make_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YEAR = 2026


def cny(yuan: int) -> Money:
    return Money(yuan * 100, "CNY")


@dataclass
class BudgetWorld:
    user: int
    places: dict[str, int] = field(default_factory=dict)  # slug → id
    codes: dict[str, str] = field(default_factory=dict)  # slug → 12-digit code
    appropriation: int = 0
    lines: dict[str, int] = field(default_factory=dict)  # name → line id
    tenders: dict[str, int] = field(default_factory=dict)  # name → tender id


PLACES = (  # slug, code, zh, en, parent slug
    ("district", "330109000000", "明湖区", "Minghu District", None),
    ("hubin", "330109001000", "湖滨街道", "Hubin Subdistrict", "district"),
    ("lakeside", "330109001001", "湖畔社区", "Lakeside Community", "hubin"),
    ("willow", "330109001002", "柳岸社区", "Willow Bank Community", "hubin"),
    ("beishan", "330109002000", "北山街道", "Beishan Subdistrict", "district"),
)
LINES = (  # name, place slug, category, yuan allocated
    ("district", "district", "coordination_management", 2_000_000),
    ("hubin", "hubin", "community_services", 3_000_000),
    ("lakeside", "lakeside", "community_services", 1_000_000),
    ("willow", "willow", "dispute_mediation", 500_000),
    ("beishan", "beishan", "charity", 1_500_000),
)


async def budget_lines(year: int = YEAR) -> BudgetWorld:
    """The places, the appropriation and its lines, allocated and re-allocated."""
    world = BudgetWorld(await make_user())
    actor = f"user:{world.user}"
    for slug, code, zh, en, parent in PLACES:
        place = await add_place(
            code=code,
            name_zh=zh,
            name_en=en,
            parent_id=world.places[parent] if parent else None,
            actor=actor,
        )
        world.places[slug], world.codes[slug] = place.id, code
    # The finance bureau's officer keeps the budget (market.budget.access).
    bureau = District(world.places["district"], world.codes["district"], [], [], {})
    world.user = (await make_finance(bureau)).user_id
    world.appropriation = await budget.record_appropriation(
        year=year,
        district_id=world.places["district"],
        amount=cny(20_000_000),
        reference=f"明财预〔{year}〕1号",
        user_id=world.user,
    )
    for name, slug, category, yuan in LINES:
        line = await budget.open_line(
            appropriation_id=world.appropriation,
            place_id=world.places[slug],
            category=category,
            user_id=world.user,
        )
        world.lines[name] = line
        await budget.allocate(
            line_id=line, amount=cny(yuan), key=f"alloc:{line}", user_id=world.user
        )
    await budget.reallocate(
        from_line=world.lines["hubin"],
        to_line=world.lines["lakeside"],
        amount=cny(250_000),
        why="two new day centres in Lakeside",
        key=f"realloc:{world.lines['hubin']}",
        user_id=world.user,
    )
    return world


async def first_tranche(fc: clock.FrozenClock, world: BudgetWorld, line: str) -> int:
    """A tender held on `line`, contracted at ¥150,000 of its ¥200,000 budget (the
    other ¥50,000 goes back to the line), its first milestone approved (¥75,000)."""
    scenario = await tender_with_bids(fc, budget_line=world.lines[line])
    contract_id = await contracted(fc, scenario)
    approver = await add_approver(scenario)
    rows = await execute(
        "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    first = int(rows[0]["id"])
    await milestones.submit_evidence(
        user_id=winner.user_id,
        milestone_id=first,
        note="Visited 120 residents",
        uploads=[Upload("attendance.pdf", PDF, "Attendance sheet")],
    )
    await milestones.approve_milestone(user_id=approver, milestone_id=first)
    return scenario.tender_id


async def year_end_return(world: BudgetWorld, line: str, yuan: int, year: int = YEAR) -> None:
    """What BUDGET's `budget.year_end` job does for one line: its free money back."""
    line_id = world.lines[line]
    await transfer(
        f"budget:line:{line_id}:year_end",
        debit=budget_line_code(line_id),
        credit=appropriation_code(year, world.places["district"]),
        amount=cny(yuan),
        reason="year_end_return",
        reference=f"budget_line:{line_id}",
        actor="system:test",
    )


async def budget_world(fc: clock.FrozenClock) -> BudgetWorld:
    """The whole story (see the module docstring)."""
    world = await budget_lines()
    department = await make_department()
    cancelled = await make_tender(
        department, status="published", budget_line=world.lines["lakeside"]
    )
    await tender_services.cancel_tender(
        user_id=department.user_id, tender_id=cancelled, reason="The venue fell through"
    )
    world.tenders["cancelled"] = cancelled
    world.tenders["open"] = await make_tender(
        department, status="published", budget_line=world.lines["hubin"], budget="300000.00"
    )
    world.tenders["sandbox"] = await make_tender(  # a sandbox tender takes no budget line
        department, status="published", place=str(world.places["willow"]), acceleration="1440"
    )
    world.tenders["contracted"] = await first_tranche(fc, world, "lakeside")
    fc.advance(days=1)
    await year_end_return(world, "district", 1_200_000)
    return world


async def ledger_sum(sql: str, *args: object) -> int:
    rows = await execute(sql, *args)
    return int(rows[0]["n"] or 0) if rows else 0


_T = (
    "SELECT COALESCE(SUM(t.amount), 0) AS n FROM ledger_transfer t"
    " JOIN ledger_account d ON d.id = t.debit_account"
    " JOIN ledger_account c ON c.id = t.credit_account"
)


async def line_in_ledger(line_id: int) -> dict[str, int]:
    """A line's phases summed straight over ledger_transfer and ledger_account (not
    through the read model), as the shared design of #18 defines them."""
    code = budget_line_code(line_id)
    tenders = "(SELECT id FROM market_tender WHERE budget_line = {} AND acceleration = 1)"
    allocated = await ledger_sum(
        _T + " WHERE c.code = {} AND t.reason IN ('allocation', 'reallocation')", code
    ) - await ledger_sum(_T + " WHERE d.code = {} AND t.reason = 'reallocation'", code)
    open_holds = await ledger_sum(
        _T + " WHERE d.code = {} AND t.kind = 'pending' AND NOT EXISTS"
        " (SELECT 1 FROM ledger_transfer r WHERE r.pending = t.id)",
        code,
    )
    escrow_left = await ledger_sum(
        "SELECT COALESCE(SUM(credits_posted - debits_posted), 0) AS n FROM ledger_account"
        " WHERE code IN (SELECT 'tender:' || id || ':escrow:government' FROM market_tender"
        " WHERE budget_line = {} AND acceleration = 1)",
        line_id,
    )
    released = await ledger_sum(
        _T + " WHERE t.reason = 'release' AND t.source = 'government'"
        f" AND t.tender_id IN {tenders}",
        line_id,
    )
    returned = await ledger_sum(_T + " WHERE d.code = {} AND t.reason = 'year_end_return'", code)
    balance = (
        await execute(
            "SELECT credits_posted - debits_posted - debits_pending AS n FROM ledger_account"
            " WHERE code = {}",
            code,
        )
    )[0]["n"]
    return {
        "allocated": allocated,
        "committed": open_holds + escrow_left,
        "released": released,
        "returned": returned,
        "remaining": int(balance),
    }


async def appropriation_in_ledger(world: BudgetWorld, year: int = YEAR) -> dict[str, int]:
    code = appropriation_code(year, world.places["district"])
    row = (
        await execute(
            "SELECT credits_posted - debits_posted AS n FROM ledger_account WHERE code = {}", code
        )
    )[0]
    appropriated = await ledger_sum(_T + " WHERE c.code = {} AND t.reason = 'appropriation'", code)
    return {"appropriated": appropriated, "unallocated": int(row["n"])}


async def sandbox_touched_lines() -> int:
    """Transfers of sandbox tenders that touch a budget line (there must be none)."""
    return await ledger_sum(
        "SELECT COUNT(*) AS n FROM ledger_transfer t"
        " JOIN ledger_account d ON d.id = t.debit_account"
        " JOIN ledger_account c ON c.id = t.credit_account"
        " WHERE (d.code LIKE 'budget:%' OR c.code LIKE 'budget:%')"
        " AND t.tender_id IN (SELECT id FROM market_tender WHERE acceleration > 1)"
    )
