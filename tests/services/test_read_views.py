"""The read-contract views the kernel, bids, donors and notify publish for reporting apps
(market/read_views.py, bids/read_views.py, donors/read_views.py, notify/read_views.py):
each exists after migrating, shows the owner's rows, and shows none of the columns the
contract leaves out."""

from __future__ import annotations

import pytest

from bids import read_views as bids_views
from donors import read_views as donors_views
from market import read_views as market_views
from market.sql import execute
from notify import read_views as notify_views
from tests.builders import make_org


@pytest.mark.parametrize(
    "view", [*market_views.VIEWS, *bids_views.VIEWS, *donors_views.VIEWS, *notify_views.VIEWS]
)
async def test_every_declared_view_exists(view: str) -> None:
    rows = await execute(f"SELECT COUNT(*) AS n FROM {view}")  # noqa: S608 - names from code
    assert int(rows[0]["n"]) >= 0


async def test_the_organization_view_shows_the_rows_but_not_the_contact_email() -> None:
    org = await make_org(kind="social_org", name_zh="视图里的组织", status="verified")
    rows = await execute("SELECT * FROM market_v_organization WHERE id = {}", org)
    assert len(rows) == 1 and rows[0]["name_zh"] == "视图里的组织"
    assert "contact_email" not in dict(rows[0]) and "decision_reason" not in dict(rows[0])
