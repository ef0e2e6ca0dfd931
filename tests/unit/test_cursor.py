"""The one page-cursor codec (market/cursor.py): what it writes it reads back, and
anything else is a 400 naming the parameter — never a ValueError or a huge int."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.cursor import ID, CursorInvalid, Key, decode, decode_id, encode, read
from market.errors import DomainError
from market.inputs import MAX_BIGINT, MAX_ID, InputInvalid

TENDER = (Key(0, 10**17 - 1), ID)  # the tender list's shape: microseconds, id
NOT_ASCII = ("²", "١٢", "１２", "٣")


def numbers_of(keys: tuple[Key, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*(st.integers(key.lowest, key.highest) for key in keys))


@given(numbers_of(TENDER))
def test_a_two_number_cursor_reads_back_as_written(numbers: tuple[int, ...]) -> None:
    text = encode(*numbers)
    assert decode(text, TENDER, field="after") == numbers
    assert read(text, TENDER) == numbers


@given(st.integers(1, MAX_BIGINT))
def test_an_id_cursor_reads_back_as_written(number: int) -> None:
    assert decode_id(encode(number), maximum=MAX_BIGINT) == number


@given(st.text(max_size=60))
def test_any_text_is_a_cursor_of_the_shape_or_a_400(text: str) -> None:
    try:
        numbers = decode(text, TENDER, field="after")
    except CursorInvalid as refused:
        assert refused.status_code == 400 and refused.field == "after"
        assert read(text, TENDER) is None
    else:
        assert numbers is None if text == "" else read(text, TENDER) == numbers
        if numbers is not None:
            assert decode(encode(*numbers), TENDER) == numbers


def test_blank_is_the_first_page() -> None:
    assert decode(None, TENDER) is None and decode("", TENDER) is None
    assert decode_id(None) is None and decode_id("") is None
    assert read(None, TENDER) is None and read("", TENDER) is None


@pytest.mark.parametrize(
    "bad",
    [
        "0",  # ids start at 1
        str(MAX_ID + 1),
        "9" * 5000,  # refused before int(): no 4,300-digit error
        "-1",
        "+1",
        " 4",
        "4 ",
        "1.5",
        "1e3",
        "0x10",
        "4;DROP",
        *NOT_ASCII,
    ],
)
def test_an_id_cursor_we_did_not_hand_out_is_a_400_naming_the_parameter(bad: str) -> None:
    with pytest.raises(CursorInvalid) as caught:
        decode_id(bad, field="after")
    assert caught.value.status_code == 400 and caught.value.field == "after"
    assert caught.value.params == {"cursor": bad[:40]}
    assert isinstance(caught.value, InputInvalid) and isinstance(caught.value, DomainError)


@pytest.mark.parametrize(
    "bad", ["1", "1.2.3", ".1", "1.", "1.0", "1." + str(MAX_ID + 1), "9" * 18 + ".1", "².1", "x"]
)
def test_a_cursor_of_the_wrong_shape_is_a_400(bad: str) -> None:
    assert read(bad, TENDER) is None
    with pytest.raises(CursorInvalid):
        decode(bad, TENDER)


def test_a_page_can_word_its_own_refusal() -> None:
    message = "The page cursor is not valid: use the links.next URL of the previous page."
    with pytest.raises(CursorInvalid) as caught:
        decode_id("x", field="after", message=message)
    assert str(caught.value) == message and caught.value.message == message


def test_leading_zeros_read_as_the_number() -> None:
    assert decode_id("0042") == 42 and read("0.007", TENDER) == (0, 7)


def test_only_whole_numbers_from_zero_are_encoded() -> None:
    assert encode(0, 42) == "0.42" and encode(7) == "7"
    for bad in ((), (-1,), (True,)):
        with pytest.raises(ValueError):
            encode(*bad)
