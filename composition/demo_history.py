"""`market demo`'s history: about two years of the Minghu district's life, lived
through the real services under the injectable clock (composition/demo_timeline.py)
and ending at the present. It starts when the cultivation centre opens (market.demo):
the established organizations join first (set up by the operator, or registered and
verified), then each year's appropriation and budget lines (composition/
demo_budget.py), the pledges and the tenders follow — and the community funds with
their gifts, calls, votes and grants (composition/demo_funds.py) — and two
registrations are still pending at the end. Every process is in the state its records say:
awarded tenders have an award, contracted ones a signed contract, completed ones
every milestone decided and their escrow settled, cancelled ones nothing held.

Deterministic: the order of events is fixed and every choice comes from one seeded
random.Random (composition.demo_cast.SEED); only the present moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from composition import demo_budget, demo_funding, demo_funds
from composition.demo_cast import Cast, history_start, prologue
from composition.demo_tenders import tender_story
from composition.demo_timeline import Story, Timeline
from market import clock
from market import demo as kernel_demo
from market.demo import PENDING, DemoDistrict, Joining
from market.tenders import demo_data

VERIFIED_AFTER = timedelta(days=kernel_demo.VERIFIED_AFTER_DAYS)


async def _opening(cast: Cast, at: datetime) -> Story:
    yield at
    await prologue(cast)


async def _joins(cast: Cast, joining: Joining) -> Story:
    """An established organization joins; one that registered itself is verified by
    the operator two days later."""
    yield joining.at
    registered = await kernel_demo.join(cast.demo, joining)
    if registered is not None:
        yield joining.at + VERIFIED_AFTER
        await kernel_demo.verify(cast.demo, joining, registered)


async def _registrations(cast: Cast) -> Story:
    """Registrations still in the operator's queue: one overdue, one fresh."""
    for slug, row in sorted(PENDING.items(), key=lambda item: -item[1][5]):
        yield cast.now - timedelta(days=row[5])
        await kernel_demo.register_pending(cast.demo, slug)


async def live_history(demo: DemoDistrict) -> Cast:
    """Run the district's history from the centre's founding up to the present."""
    present = clock.now()
    now = present.replace(second=0, microsecond=0)
    start = history_start(now)
    timeline = Timeline(demo.founded)
    cast = Cast(demo=demo, timeline=timeline, now=now)
    for joining in kernel_demo.joining_plan(demo.founded):
        await timeline.add(_joins(cast, joining))
    await timeline.add(_opening(cast, start))
    for year in demo_budget.budget_years(start, now):
        await timeline.add(demo_budget.budget_year_story(cast, year, start))
    await timeline.add(demo_funding.pledges_story(cast))
    await timeline.add(demo_funds.funds_story(cast))
    await timeline.add(_registrations(cast))
    seen: dict[str, int] = {}
    for index, row in enumerate(demo_data.TENDERS):
        nth = seen.get(row[1], 0)
        seen[row[1]] = nth + 1
        await timeline.add(tender_story(cast, index, nth))
    await timeline.run(until=present)
    return cast
