"""The budget execution read model (opendata/budget): every figure of every line equals
the sums straight over the ledger, a cancelled tender's hold goes back to its line,
the line identity holds, the appropriation adds up, and sandbox money never appears."""

from __future__ import annotations

from market.ledger.check import run_checks
from market.ledger.codes import budget_line_code
from market.sql import execute
from opendata.budget import rules
from opendata.budget.queries import read_budget
from tests.budget_read_builders import (
    appropriation_in_ledger,
    budget_lines,
    budget_world,
    cny,
    line_in_ledger,
    sandbox_touched_lines,
)
from tests.tender_builders import make_department, make_tender


async def test_every_line_figure_equals_the_ledger(frozen_clock):
    world = await budget_world(frozen_clock)
    budget = await read_budget()
    assert {line.id for line in budget.lines} == set(world.lines.values())
    for name, line_id in world.lines.items():
        line = next(ln for ln in budget.lines if ln.id == line_id)
        figures = budget.figures(line)
        expected = await line_in_ledger(line_id)
        assert {p: figures.get(p) for p in rules.LINE_PHASES} == expected, name
        assert figures.balanced, name
    lakeside = budget.figures(next(ln for ln in budget.lines if ln.id == world.lines["lakeside"]))
    # allocated ¥1,000,000 + ¥250,000 re-allocated in; the contracted tender posted
    # ¥150,000 of its ¥200,000 hold and released its first ¥75,000 tranche
    assert lakeside.allocated == cny(1_250_000).amount
    assert lakeside.committed == cny(75_000).amount
    assert lakeside.released == cny(75_000).amount
    assert lakeside.remaining == cny(1_250_000 - 150_000).amount
    district = budget.figures(next(ln for ln in budget.lines if ln.id == world.lines["district"]))
    assert district.returned == cny(1_200_000).amount
    assert (await run_checks()).ok


async def test_the_appropriation_adds_up(frozen_clock):
    world = await budget_world(frozen_clock)
    budget = await read_budget()
    (appropriation,) = budget.appropriations
    ledger = await appropriation_in_ledger(world)
    assert budget.appropriated(appropriation) == ledger["appropriated"] == appropriation.amount
    assert budget.unallocated(appropriation) == ledger["unallocated"]
    lines = rules.total(budget.figures(ln) for ln in budget.lines)
    # appropriated = committed + released + remaining (lines) + unallocated, the lines'
    # year-end returns being back in the unallocated balance
    assert appropriation.amount == (
        lines.committed + lines.released + lines.remaining + budget.unallocated(appropriation)
    )
    assert budget.unallocated(appropriation) == (
        appropriation.amount - lines.allocated + lines.returned
    )


async def test_a_cancelled_tenders_hold_goes_back_to_its_line(frozen_clock):
    world = await budget_lines()
    line = world.lines["lakeside"]
    department = await make_department()
    tender = await make_tender(department, status="published", budget_line=line)
    held = next(ln for ln in (await read_budget()).lines if ln.id == line)
    before = (await read_budget()).figures(held)
    assert before.committed == cny(200_000).amount
    assert before.remaining == cny(1_250_000 - 200_000).amount
    from market.tenders import services

    await services.cancel_tender(user_id=department.user_id, tender_id=tender, reason="No venue")
    budget = await read_budget()
    after = budget.figures(held)
    assert after.committed == 0
    assert after.remaining == cny(1_250_000).amount == (await line_in_ledger(line))["remaining"]
    (tender_figures,) = budget.execution.tenders.values()
    assert tender_figures.tender_id == tender
    assert tender_figures.held == tender_figures.back_to_line == cny(200_000).amount


async def test_sandbox_money_never_touches_a_line(frozen_clock):
    world = await budget_world(frozen_clock)
    assert await sandbox_touched_lines() == 0
    budget = await read_budget()
    assert world.tenders["sandbox"] not in budget.execution.tenders
    willow = next(ln for ln in budget.lines if ln.id == world.lines["willow"])
    assert budget.figures(willow) == rules.Figures(
        allocated=cny(500_000).amount, remaining=cny(500_000).amount
    )
    rows = await execute(
        "SELECT COUNT(*) AS n FROM ledger_transfer t JOIN ledger_account d"
        " ON d.id = t.debit_account WHERE d.code = {}",
        budget_line_code(world.lines["willow"]),
    )
    assert int(rows[0]["n"]) == 0


async def test_the_read_is_a_fixed_number_of_queries(frozen_clock, monkeypatch):
    """Ten queries whatever the number of lines, tenders and transfers: the years and
    the places, the appropriations and lines chosen, their accounts, transfers, the
    tenders' escrow outflows and resolutions, and the appropriations' two sums."""
    from market.places import queries as place_queries
    from opendata.budget import queries

    seen: list[str] = []
    for module in (queries, place_queries):
        original = module.execute

        async def counted(sql: str, *args: object, _original=original) -> object:
            seen.append(sql)
            return await _original(sql, *args)

        monkeypatch.setattr(module, "execute", counted)
    world = await budget_lines()
    department = await make_department()
    await make_tender(department, status="published", budget_line=world.lines["lakeside"])
    seen.clear()
    await read_budget()
    few = len(seen)
    for name in ("lakeside", "willow", "hubin", "beishan"):
        await make_tender(department, status="published", budget_line=world.lines[name])
    seen.clear()
    budget = await read_budget()
    assert len(seen) == few == 10
    assert len(budget.execution.tenders) == 5


async def test_the_sql_chooses_the_lines_as_the_filter_defines_them(frozen_clock, monkeypatch):
    """Every filter read (year, tier, place, category, line, together) gives exactly
    the lines `BudgetFilter.matches` chooses out of the whole budget, with the same
    figures, and reads the money of those lines and their appropriation only."""
    import itertools

    from opendata.budget import queries
    from opendata.budget.lines import BudgetFilter

    world = await budget_world(frozen_clock)
    whole = await read_budget()
    asked: list[list[str]] = []
    original = queries.ledger_moves

    async def recorded(codes):  # type: ignore[no-untyped-def]
        asked.append(sorted(codes))
        return await original(codes)

    monkeypatch.setattr(queries, "ledger_moves", recorded)
    places = ("", world.codes["district"], world.codes["hubin"], world.codes["lakeside"])
    tiers = ("", "district", "street", "community")
    categories = ("", "community_services", "charity")
    for year, tier, place, category in itertools.product(
        (None, 2026, 2027), tiers, places, categories
    ):
        chosen = BudgetFilter(year=year, tier=tier, place=place, category=category)
        expected = [ln for ln in whole.lines if chosen.matches(ln)]
        asked.clear()
        budget = await read_budget(chosen)
        assert budget.lines == expected, chosen
        assert {ln.code: budget.figures(ln) for ln in budget.lines} == {
            ln.code: whole.figures(ln) for ln in expected
        }, chosen
        appropriations = [a.code for a in budget.appropriations]
        assert asked == [sorted(appropriations + [ln.code for ln in expected])], chosen
    one = await read_budget(BudgetFilter(line=world.lines["willow"]))
    assert [ln.id for ln in one.lines] == [world.lines["willow"]]


async def test_a_filtered_read_keeps_the_appropriation_whole_and_a_cancelled_hold_back_in_its_line(
    frozen_clock,
):
    """Community lines of the community-services category: only Lakeside's; its figures
    equal the ledger with the cancelled tender's ¥200,000 back in it, and the
    appropriation's lines added up are still all five lines' sums over the ledger."""
    from opendata.budget.lines import BudgetFilter

    world = await budget_world(frozen_clock)
    chosen = BudgetFilter(year=2026, tier="community", category="community_services")
    budget = await read_budget(chosen)
    (lakeside,) = budget.lines
    assert lakeside.id == world.lines["lakeside"]
    figures = budget.figures(lakeside)
    assert {p: figures.get(p) for p in rules.LINE_PHASES} == await line_in_ledger(lakeside.id)
    cancelled = budget.execution.tenders[world.tenders["cancelled"]]
    assert cancelled.held == cancelled.back_to_line == cny(200_000).amount
    assert cancelled.committed == 0
    # ¥1,250,000 allocated; only the contracted tender's ¥150,000 is out of it
    assert figures.remaining == cny(1_250_000 - 150_000).amount
    (appropriation,) = budget.appropriations
    every = [await line_in_ledger(i) for i in world.lines.values()]
    summed = {p: sum(f[p] for f in every) for p in rules.LINE_PHASES}
    lines = budget.appropriation_lines[appropriation.id]
    assert {p: lines.get(p) for p in rules.LINE_PHASES} == summed
    assert lines == rules.total((await read_budget()).execution.lines.values())
