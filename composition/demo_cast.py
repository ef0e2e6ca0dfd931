"""Who acts in the demo district's history, and the few things set up before it starts.

Wang Qiang (civil affairs) and Li Na (Hubin street office) publish tenders and draw
up contracts, each against a budget line of the district's budget that Qian Fang
(the district finance bureau) records and allocates every year
(composition/demo_budget.py); each also sits in the other's department so that
milestones are approved by a second person (four eyes). Zhang Xiaoming (the donor) is the citizen
expert on every panel; Liu Fang (elder care) and Huang Lei (mediation) bid; Chen Min
(the operator) decides complaints and records bank transfers; Zhao Wei and Sun Li
fund match pledges and sponsorships.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from market.demo import DemoDistrict, email
from market.organizations.services import add_member

if TYPE_CHECKING:
    from composition.demo_timeline import Timeline

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SEED = 2026
YEARS = 2  # how far back the district's history goes
# demo staff slug → (department slug, the colleague who approves its milestones)
STAFF = {"civil_affairs": ("civil_affairs", "street"), "street": ("hubin", "civil_affairs")}
BIDDERS = (("org", "elder_care"), ("mediator", "mediation_assoc"))


def history_start(now: datetime) -> datetime:
    """A little over two years before `now`: the first appropriation and pledge."""
    return now - (YEARS * 365 + 70) * DAY


@dataclass
class Cast:
    demo: DemoDistrict
    timeline: Timeline
    now: datetime  # where the history ends: the present, to the minute
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311
    tenders: dict[int, int] = field(default_factory=dict)  # demo row index → tender id
    # (budget year, place slug, category) → budget line id (composition/demo_budget.py)
    lines: dict[tuple[int, str, str], int] = field(default_factory=dict)

    def user(self, slug: str) -> int:
        return self.demo.users[slug]

    def department(self, staff: str) -> int:
        return self.demo.departments[STAFF[staff][0]]

    def approver(self, staff: str) -> int:
        return self.user(STAFF[staff][1])

    @property
    def expert(self) -> int:
        return self.user("donor")

    @property
    def operator(self) -> int:
        return self.user("operator")

    def bidders(self) -> list[tuple[int, int]]:
        """(user id, social organization id) of the two bidding organizations."""
        return [(self.user(u), self.demo.social_orgs[org]) for u, org in BIDDERS]


async def prologue(cast: Cast) -> None:
    """Before the first tender: each member of staff added by the other as a colleague
    (through the organizations service). The departments' government money comes from
    the district's budget lines (composition/demo_budget.py)."""
    for staff, (department, colleague) in STAFF.items():
        department_id = cast.demo.departments[department]
        await add_member(
            admin_user_id=cast.user(staff),
            organization_id=department_id,
            email=email(colleague),
            role="member",
        )
