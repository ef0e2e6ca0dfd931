"""Place codes: tiers, parents and containment (market/places/rules.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.places import rules

districts = st.integers(100000, 999999).map(str)
threes = st.integers(1, 999).map(lambda n: f"{n:03d}")


def test_tiers_follow_from_the_code() -> None:
    assert rules.tier_of("330109000000") == "district"
    assert rules.tier_of("330109001000") == "street"
    assert rules.tier_of("330109001004") == "community"


@pytest.mark.parametrize("code", ["", "33010900000", "0301090000000", "330109000001", "abc"])
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(rules.InvalidPlace):
        rules.tier_of(code)


@given(districts, threes, threes)
def test_every_place_lies_in_its_parent(district: str, street: str, community: str) -> None:
    d, s, c = district + "000000", district + street + "000", district + street + community
    assert rules.parent_prefix(c) == s and rules.parent_prefix(s) == d
    assert rules.parent_prefix(d) is None
    rules.validate(c, "community", s)
    assert rules.contains(d, c) and rules.contains(s, c) and rules.contains(c, c)
    assert not rules.contains(c, s)


def test_a_place_under_the_wrong_parent_is_refused() -> None:
    with pytest.raises(rules.InvalidPlace):
        rules.validate("330109001002", "community", "330109002000")
    with pytest.raises(rules.InvalidPlace):
        rules.validate("330109001000", "community", "330109000000")
