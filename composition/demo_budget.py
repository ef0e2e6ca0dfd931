"""The district's budget in the demo's history, year by year, true to its clock.

When the history begins the operator designates the Minghu District Finance Bureau
(明湖区财政局) as the district's finance bureau, and Qian Fang, its officer, records
that year's ¥20,000,000 community-building appropriation; every following year's is
recorded on 20 December before the year starts (the budget law is voted by then).
Each time she opens the lines the year's tenders will be held against — one per
place and priority category, allocated what the tenders of that line need and a
quarter more — and a reserve line per street for community services; some months
into the year she re-allocates part of a reserve, with a reason. When a year has
closed, the year-end job (run by the timeline's jobs, composition/demo_timeline.py)
returns what its lines have left to the appropriation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from composition.demo_cast import DAY, Cast
from composition.demo_tenders import schedule
from composition.demo_timeline import Story
from market.budget import services
from market.budget.access import designate_finance_bureau
from market.budget.rules import LOCAL_ZONE, budget_year, year_ends_at
from market.demo_data import place_slug
from market.money import Money
from market.tenders import demo_data

FINANCE = "finance"  # the finance officer's demo slug (and her bureau's)
APPROPRIATION_YUAN = 20_000_000
ROUND = 50_000  # allocations in whole ¥50,000
RESERVE_YUAN = 600_000  # each street's community-services reserve (when no tender needs it)
REALLOCATED_YUAN = 150_000
REALLOCATION_WHY = (
    "年中调剂：从街道社区服务预留额度转入需求最大的预算线。"
    " Mid-year: part of a street's community-services reserve moved to the busiest line."
)
STREETS = ("hubin", "beishan", "xinqiao")

Need = dict[tuple[str, str], int]  # (place slug, category) → yuan


def tender_moments(now: datetime) -> list[tuple[int, datetime]]:
    """(demo row index, the moment its budget is held — or, for a draft, drafted) of
    every demo tender, as composition/demo_history.py schedules them."""
    seen: dict[str, int] = {}
    out = []
    for index, row in enumerate(demo_data.TENDERS):
        nth = seen.get(row[1], 0)
        seen[row[1]] = nth + 1
        out.append((index, schedule(now, row[1], nth).published))
    return out


def needs(now: datetime) -> dict[int, Need]:
    """Per budget year, what each (place, category) line must hold for its tenders."""
    out: dict[int, Need] = defaultdict(lambda: defaultdict(int))
    for index, moment in tender_moments(now):
        row = demo_data.TENDERS[index]
        out[budget_year(moment)][(place_slug(row[4]), row[2])] += row[9]
    return out


def allocations(need: Need) -> dict[tuple[str, str], int]:
    """What each line of a year is allocated: its need and a quarter more, rounded up,
    and a reserve for community services in every street that has none."""
    lines = {key: -(-yuan * 5 // 4 // ROUND) * ROUND for key, yuan in need.items()}
    for street in STREETS:
        lines.setdefault((street, "community_services"), RESERVE_YUAN)
    return dict(sorted(lines.items()))


def recorded_at(year: int, start: datetime) -> datetime:
    """When the year's appropriation is recorded: at the start of the history for its
    first year, else on 20 December of the year before (10:00 Beijing)."""
    if year == budget_year(start):
        return start
    return datetime(year - 1, 12, 20, 10, tzinfo=LOCAL_ZONE)


async def _designate(cast: Cast) -> None:
    await designate_finance_bureau(
        operator_id=cast.operator,
        organization_id=cast.demo.departments[FINANCE],
        district_id=cast.demo.places["minghu"],
    )


async def _open_lines(cast: Cast, year: int, appropriation_id: int, need: Need) -> None:
    officer = cast.user(FINANCE)
    for (place, category), yuan in allocations(need).items():
        line = await services.open_line(
            appropriation_id=appropriation_id,
            place_id=cast.demo.places[place],
            category=category,
            user_id=officer,
        )
        await services.allocate(
            line_id=line, amount=Money(yuan * 100, "CNY"), key=f"demo:{line}", user_id=officer
        )
        cast.lines[(year, place, category)] = line


def _reallocation(cast: Cast, year: int, need: Need) -> tuple[int, int] | None:
    """(from, to): a street's reserve to the year's line with the largest need."""
    reserves = [k for k in allocations(need) if k not in need]
    if not reserves or not need:
        return None
    busiest = max(sorted(need), key=lambda key: need[key])
    return cast.lines[(year, *reserves[0])], cast.lines[(year, *busiest)]


async def budget_year_story(cast: Cast, year: int, start: datetime) -> Story:
    """One budget year: the appropriation and its lines, a re-allocation, the year end."""
    opened = recorded_at(year, start)
    yield opened
    if year == budget_year(start):
        await _designate(cast)
    need = needs(cast.now).get(year, {})
    appropriation_id = await services.record_appropriation(
        year=year,
        district_id=cast.demo.places["minghu"],
        amount=Money(APPROPRIATION_YUAN * 100, "CNY"),
        reference=f"明财预〔{year}〕1号",
        user_id=cast.user(FINANCE),
    )
    await _open_lines(cast, year, appropriation_id, need)
    ends = year_ends_at(year)
    if ends <= cast.now:  # the year-end job returns what the lines have left
        cast.timeline.due(ends + timedelta(minutes=10))
    moved = _reallocation(cast, year, need)
    moment = max(opened, datetime(year, 1, 1, 10, tzinfo=LOCAL_ZONE)) + 150 * DAY
    if moved is None or moment >= min(ends, cast.now):
        return
    yield moment
    await services.reallocate(
        from_line=moved[0],
        to_line=moved[1],
        amount=Money(REALLOCATED_YUAN * 100, "CNY"),
        why=REALLOCATION_WHY,
        key=f"demo:{year}:reallocation",
        user_id=cast.user(FINANCE),
    )


def budget_years(start: datetime, now: datetime) -> list[int]:
    """The budget years the history lives through."""
    return list(range(budget_year(start), budget_year(now) + 1))
