"""Unified Social Credit Code (GB 32100-2015): structure, checksum, messages."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from market import uscc

# Published codes, each checked with our own function before being listed here.
REAL_FORMAT = [
    "91350100M000100Y43",  # the worked example of GB 32100-2015
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "53100000500021676K",  # a foundation (authority 5, kind 3)
]
# Constructed in the newer "MA" organization-code style (both checks computed by `make`).
REAL_FORMAT.append("91310000MA1FL0B74Q")


@pytest.mark.parametrize("code", REAL_FORMAT)
def test_real_format_codes_are_valid(code):
    assert uscc.validate(code) == code


def test_constructed_codes_for_each_registrant_kind_are_valid():
    for authority, kind in [("5", "1"), ("5", "2"), ("5", "3"), ("9", "1"), ("1", "1")]:
        code = uscc.make(authority, kind, "330106", "MA2B3C4D")
        assert uscc.is_valid(code)
        assert uscc.parse(code).kind == kind


def test_input_is_normalised_full_width_spaces_and_case():
    assert uscc.validate("  9135 0100 m000100y43 ") == "91350100M000100Y43"
    assert uscc.validate("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_parts_are_named():
    code = uscc.parse("91350100M000100Y43")
    assert (code.authority, code.kind, code.division) == ("9", "1", "350100")
    assert code.organization_code == "M000100Y4"
    assert code.check == "3"
    assert (code.authority_name, code.kind_name) == ("工商", "企业")


def message_of(raw: str) -> str:
    with pytest.raises(uscc.InvalidUSCC) as caught:
        uscc.validate(raw)
    assert caught.value.field == "uscc"
    return caught.value.message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", uscc.MISSING),
        ("   ", uscc.MISSING),
        ("91350100M000100Y4", uscc.WRONG_LENGTH),
        ("91350100M000100Y431", uscc.WRONG_LENGTH),
        ("91350100M000100I43", uscc.BAD_CHARACTER),  # I is not in the alphabet
        ("91350100O000100Y43", uscc.BAD_CHARACTER),  # nor O
        ("91350100M0001-0Y43", uscc.BAD_CHARACTER),
        ("B1350100M000100Y43", uscc.BAD_AUTHORITY),
        ("0135010000000100Y4", uscc.BAD_AUTHORITY),
        ("94350100M000100Y43", uscc.BAD_KIND),  # industry & commerce has no kind 4
        ("5435010000000100Y4", uscc.BAD_KIND),
        ("9135A100M000100Y43", uscc.BAD_DIVISION),
        ("91350100M000100Y44", uscc.BAD_CHECK),
        ("911100007109285917", uscc.BAD_CHECK),
        # GB 32100's check is right but the organization code's own check is not:
        ("91310000MA1FL0B7X6", uscc.BAD_ORGANIZATION_CHECK),
    ],
)
def test_each_rule_has_its_own_message(raw, message):
    assert message_of(raw) == message


def test_message_names_the_bad_character_and_its_position():
    with pytest.raises(uscc.InvalidUSCC) as caught:
        uscc.validate("91350100M000100I43")
    assert caught.value.params == {"position": 16, "char": "I"}
    assert "16" in str(caught.value)


def test_organization_check_follows_gb_11714():
    # D2143569-X is the usual worked example; "00000000" shows 11 written as "0".
    assert uscc.organization_check_char("D2143569") == "X"
    assert uscc.organization_check_char("M000100Y") == "4"
    assert uscc.organization_check_char("19220382") == "1"
    assert uscc.organization_check_char("00000000") == "0"  # 11 − 0 = 11 → "0"


def test_organization_check_message_names_the_character_and_the_expected_one():
    with pytest.raises(uscc.InvalidUSCC) as caught:
        uscc.validate("91310000MA1FL0B7X6")
    assert caught.value.params == {"char": "X", "expected": "4"}
    assert "X" in str(caught.value) and "4" in str(caught.value)


def test_organization_check_char_refuses_wrong_input():
    with pytest.raises(ValueError):
        uscc.organization_check_char("1234567")
    with pytest.raises(ValueError):
        uscc.organization_check_char("1234567-")


def test_check_char_refuses_wrong_input():
    with pytest.raises(ValueError):
        uscc.check_char("123")
    with pytest.raises(ValueError):
        uscc.check_char("9135010000000100I")


# --- properties -------------------------------------------------------------

authorities = st.sampled_from(
    [(a, k) for a, (_, kinds) in sorted(uscc.AUTHORITIES.items()) for k in sorted(kinds)]
)
alphabet_char = st.sampled_from(uscc.ALPHABET)


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    authority, kind = draw(authorities)
    division = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    body = "".join(draw(st.lists(alphabet_char, min_size=8, max_size=8)))
    return uscc.make(authority, kind, division, body)


@given(valid_codes())
def test_every_generated_code_is_valid(code):
    assert uscc.validate(code) == code
    assert uscc.validate(code.lower()) == code
    assert uscc.organization_check_char(code[8:16]) == code[16]


@given(valid_codes(), st.integers(8, 15), alphabet_char)
def test_a_body_change_with_a_recomputed_last_character_fails_gb_11714(code, position, new):
    """A code whose 18th character was recomputed still fails on the organization code
    (unless the two characters' values differ by a multiple of 11: see below)."""
    assume((int(code[position], 36) - int(new, 36)) % 11 != 0)
    first17 = code[:position] + new + code[position + 1 : 17]
    forged = first17 + uscc.check_char(first17)
    assert message_of(forged) == uscc.BAD_ORGANIZATION_CHECK


@given(valid_codes(), st.integers(0, 17), alphabet_char)
def test_every_single_character_change_is_refused(code, position, replacement):
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)


@given(valid_codes(), st.integers(0, 17), st.integers(0, 17))
def test_every_transposition_of_two_different_characters_is_refused(code, i, j):
    i, j = sorted((i, j))
    assume(code[i] != code[j])
    # Positions 1 and 18 both carry weight 1, the one blind spot of the checksum
    # (see the module docstring and the test below).
    assume((i, j) != (0, 17))
    swapped = list(code)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert not uscc.is_valid("".join(swapped))


def test_gb_11714_alone_misses_values_eleven_apart_which_gb_32100_catches():
    code = uscc.make("9", "1", "350100", "M000100Y")
    changed = code[:9] + "B" + code[10:]  # "0" (value 0) → "B" (value 11) in the body
    assert uscc.organization_check_char(changed[8:16]) == changed[16]
    assert message_of(changed) == uscc.BAD_CHECK


def test_swapping_first_and_last_is_the_checksums_blind_spot():
    """Weight 1 at both ends keeps the sum: only the authority table can catch the swap."""
    undetectable = uscc.make("9", "1", "350100", "M000100Y")  # check character "3"
    swapped = undetectable[17] + undetectable[1:17] + undetectable[0]
    assert uscc.is_valid(swapped)  # "31…9": judicial administration, kind 1 — well formed
    detectable = uscc.make("9", "1", "350100", "M000101Y")  # check "C"
    assert detectable[17] not in uscc.AUTHORITIES
    swapped = detectable[17] + detectable[1:17] + detectable[0]
    assert uscc.check_char(swapped[:17]) == swapped[17]
    assert not uscc.is_valid(swapped)
