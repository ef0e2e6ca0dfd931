"""The settlement's pure rules: destinations weighted by what each inflow put in, an
unattributed public inflow refused, the accounts covered by the locks; the project
page's surplus figures by source and destination."""

from __future__ import annotations

import pytest

from donors.settlement_rules import (
    PaidDonation,
    Unattributed,
    check_covered,
    destinations,
    pledge_id_of,
)
from market.ledger.inflows import Inflow
from market.money import allocate
from opendata.transparency_rules import surplus_figures


def inflow(key: str, source: str, debit: str, amount: int) -> Inflow:
    return Inflow(id=0, key=key, pending_key=None, source=source, debit=debit, amount=amount)


def test_each_inflow_weighs_for_where_it_goes_back() -> None:
    routes = destinations(
        [
            inflow("payment:1", "public", "external:sandbox", 300_00),
            inflow("payment:2", "public", "external:bank", 100_00),
            inflow("payment:3", "public", "external:bank", 50_00),
            inflow("donation:1:match:post", "corporate", "pledge:7", 100_00),
            inflow("donation:9:match:post", "corporate", "pledge:7", 20_00),
            inflow("payment:4", "corporate", "external:bank", 1_000_00),
            inflow("tender:5:budget:v1:post", "government", "department:3:budget", 9_00),
        ],
        {
            "payment:1": PaidDonation(1, "refund"),
            "payment:2": PaidDonation(2, "community_fund"),
            "payment:3": PaidDonation(3, "community_fund"),
        },
        budget="department:3:budget",
    )
    assert routes == {
        "government": [("department:3:budget", 1)],
        "public": [("community_fund", 150_00), ("donor:d1:refund", 300_00)],
        "corporate": [("external:bank", 1_000_00), ("pledge:7", 120_00)],
    }


def test_the_largest_remainder_never_gives_anyone_more_than_they_put_in() -> None:
    weights = [300_00, 100_00]
    assert allocate(40_001, weights) == [30_001, 10_000]
    for left in range(0, sum(weights) + 1, 997):
        assert all(p <= w for p, w in zip(allocate(left, weights), weights, strict=True))


def test_public_money_that_is_no_known_donation_is_refused() -> None:
    with pytest.raises(Unattributed):
        destinations(
            [inflow("payment:8", "public", "external:bank", 1)], {}, budget="department:1:budget"
        )


def test_every_destination_must_have_been_locked() -> None:
    routes = {"corporate": [("pledge:7", 5)], "government": [("department:1:budget", 1)]}
    check_covered(routes, {"pledge:7", "department:1:budget", "tender:1:escrow:public"})
    with pytest.raises(Unattributed, match="pledge:7"):
        check_covered(routes, {"department:1:budget"})


def test_pledge_codes() -> None:
    assert (pledge_id_of("pledge:42"), pledge_id_of("donor:d1:refund")) == (42, None)


def test_surplus_figures_by_source_and_destination() -> None:
    rows = [
        {"source": "corporate", "credit": "pledge:1", "amount": 10, "created_at": "2026-01-02"},
        {
            "source": "foundation",
            "credit": "external:bank",
            "amount": 5,
            "created_at": "2026-01-02",
        },
        {"source": "public", "credit": "donor:d3:refund", "amount": 7, "created_at": "2026-01-03"},
        {"source": "public", "credit": "community_fund", "amount": 2, "created_at": "2026-01-02"},
        {"source": "own", "credit": "external:bank", "amount": 4, "created_at": "2026-01-02"},
        {
            "source": "government",
            "credit": "department:1:budget",
            "amount": 3,
            "created_at": "2026-01-01",
        },
    ]
    figures = surplus_figures(rows)
    assert figures is not None
    assert (figures.sponsors, figures.donors, figures.community_fund) == (15, 7, 2)
    assert (figures.organization, figures.budget, figures.settled_at) == (4, 3, "2026-01-03")
    assert surplus_figures([]) is None
