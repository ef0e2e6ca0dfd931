"""`market demo`'s history: about two years of the Minghu district's life, lived
through the real services under the injectable clock (composition/demo_timeline.py)
and ending at the present, so that every process is in the state its records say:
awarded tenders have an award, contracted ones a signed contract, completed ones
every milestone decided and their escrow settled, cancelled ones nothing held.

Deterministic: the order of events is fixed and every choice comes from one seeded
random.Random (composition.demo_cast.SEED); only the present moves.
"""

from __future__ import annotations

from datetime import datetime

from composition import demo_funding
from composition.demo_cast import Cast, history_start, prologue
from composition.demo_tenders import tender_story
from composition.demo_timeline import Story, Timeline
from market import clock
from market.demo import DemoDistrict
from market.tenders import demo_data


async def _opening(cast: Cast, at: datetime) -> Story:
    yield at
    await prologue(cast)


async def live_history(demo: DemoDistrict) -> Cast:
    """Run the district's history from two years ago up to the present."""
    present = clock.now()
    now = present.replace(second=0, microsecond=0)
    start = history_start(now)
    timeline = Timeline(start)
    cast = Cast(demo=demo, timeline=timeline, now=now)
    await timeline.add(_opening(cast, start))
    await timeline.add(demo_funding.pledges_story(cast))
    seen: dict[str, int] = {}
    for index, row in enumerate(demo_data.TENDERS):
        nth = seen.get(row[1], 0)
        seen[row[1]] = nth + 1
        await timeline.add(tender_story(cast, index, nth))
    await timeline.run(until=present)
    return cast
