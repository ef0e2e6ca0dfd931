"""Follow-your-yuan: which tranches a donation paid for (donors.rules.follow_the_yuan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from donors.rules import PaidIn, Release, ReleaseShare, follow_the_yuan

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def release(n: int, at: datetime, amount: int) -> Release:
    return Release(f"release-{n}", f"milestone:{n}", at, amount)


def amounts(shares: dict[int, list[ReleaseShare]], donation: int) -> list[int]:
    return [s.amount for s in shares[donation]]


def test_a_donation_paid_after_a_release_did_not_pay_for_it() -> None:
    shares = follow_the_yuan(
        [PaidIn(1, 300_00, T0), PaidIn(2, 100_00, T0 + 2 * HOUR)],
        [release(1, T0 + HOUR, 200_00), release(2, T0 + 3 * HOUR, 100_00)],
    )
    # Only donation 1 was in the escrow for the first tranche; for the second, 1 still
    # held ¥100 and 2 held ¥100: half each.
    assert amounts(shares, 1) == [200_00, 50_00]
    assert amounts(shares, 2) == [50_00]
    assert [s.release_key for s in shares[2]] == ["release-2"]


def test_paid_at_the_moment_of_the_release_counts() -> None:
    shares = follow_the_yuan([PaidIn(7, 100, T0)], [release(1, T0, 60)])
    assert amounts(shares, 7) == [60]


def test_pro_rata_to_what_each_still_holds_with_an_exact_split() -> None:
    shares = follow_the_yuan(
        [PaidIn(1, 1, T0), PaidIn(2, 1, T0), PaidIn(3, 1, T0)], [release(1, T0 + HOUR, 2)]
    )
    assert sum(sum(amounts(shares, d)) for d in (1, 2, 3)) == 2  # largest remainder
    assert all(sum(amounts(shares, d)) <= 1 for d in (1, 2, 3))


def test_a_release_larger_than_the_donations_is_attributed_only_up_to_them() -> None:
    shares = follow_the_yuan([PaidIn(1, 50, T0)], [release(1, T0 + HOUR, 80)])
    assert amounts(shares, 1) == [50]


def test_nothing_released_or_nothing_paid() -> None:
    assert follow_the_yuan([PaidIn(1, 50, T0)], []) == {1: []}
    assert follow_the_yuan([], [release(1, T0, 80)]) == {}
    assert follow_the_yuan([PaidIn(1, 50, T0 + HOUR)], [release(1, T0, 80)]) == {1: []}


paid_ins = st.lists(
    st.tuples(st.integers(min_value=1, max_value=10**8), st.integers(min_value=0, max_value=48)),
    max_size=12,
)
releases = st.lists(
    st.tuples(st.integers(min_value=1, max_value=10**8), st.integers(min_value=0, max_value=48)),
    max_size=8,
)


Case = tuple[list[PaidIn], list[Release], dict[int, list[ReleaseShare]], dict[str, int]]


def run(paid: list[tuple[int, int]], released: list[tuple[int, int]]) -> Case:
    """Donations and releases at whole hours → (donations, releases, shares, attributed
    per release key)."""
    donations = [PaidIn(i + 1, amount, T0 + h * HOUR) for i, (amount, h) in enumerate(paid)]
    tranches = [release(n, T0 + h * HOUR, amount) for n, (amount, h) in enumerate(released)]
    shares = follow_the_yuan(donations, tranches)
    by_release: dict[str, int] = {}
    for got in shares.values():
        for s in got:
            by_release[s.release_key] = by_release.get(s.release_key, 0) + s.amount
    return donations, tranches, shares, by_release


@given(paid_ins, releases)
def test_shares_respect_amounts_times_and_releases(
    paid: list[tuple[int, int]], released: list[tuple[int, int]]
) -> None:
    donations, tranches, shares, by_release = run(paid, released)
    assert set(shares) == {d.id for d in donations}
    for donation in donations:
        got = shares[donation.id]
        assert sum(s.amount for s in got) <= donation.amount  # never more than given
        assert all(s.amount > 0 and s.at >= donation.paid_at for s in got)  # never before
        assert [s.at for s in got] == sorted(s.at for s in got)
    for tranche in tranches:
        assert by_release.get(tranche.key, 0) <= tranche.amount  # never more than released


@given(paid_ins, releases)
def test_a_release_is_attributed_up_to_what_the_escrow_held(
    paid: list[tuple[int, int]], released: list[tuple[int, int]]
) -> None:
    """Replaying the escrow: each release is attributed exactly min(amount, balance),
    the balance being what was paid in by then less what earlier releases took."""
    donations, tranches, _, by_release = run(paid, released)
    spent = 0
    for tranche in sorted(tranches, key=lambda t: t.at):
        balance = sum(d.amount for d in donations if d.paid_at <= tranche.at) - spent
        expected = min(tranche.amount, balance)
        assert by_release.get(tranche.key, 0) == expected
        spent += expected
