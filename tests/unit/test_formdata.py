"""Reading forms never turns a missing field into the word "None", and the shared form
macros never render None into a field; the test helper that looks for it can fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from market.web import formdata
from tests.web.forms import error_problems, none_texts, none_values

ROOT = Path(__file__).resolve().parents[2]


class Upload:
    filename = "a.pdf"


@pytest.mark.parametrize("form", [{}, {"note": None}, {"note": Upload()}])
def test_a_missing_none_or_uploaded_field_reads_as_empty(form) -> None:
    assert formdata.text(form, "note") == ""
    assert formdata.text(form, "note", "x") == "x"
    assert formdata.optional(form, "note") is None


def test_text_is_returned_as_typed_and_optional_is_stripped() -> None:
    form = {"password": "  spaced  ", "area": "  ", "name": " 李娜 "}
    assert formdata.text(form, "password") == "  spaced  "
    assert formdata.optional(form, "area") is None
    assert formdata.optional(form, "name") == "李娜"
    assert formdata.texts(form, ["name", "gone"], strip=True) == {"name": "李娜", "gone": ""}
    assert formdata.all_texts({**form, "_csrf_token": "t"}) == form


@pytest.mark.parametrize(
    ("raw", "number"), [("12", 12), (" 7 ", 7), ("", None), ("abc", None), ("-1", None),
                        ("1e3", None), ("9" * 19, None), ("١٢", None)],
)  # fmt: skip
def test_a_hidden_id_is_a_plain_number_or_nothing(raw: str, number: int | None) -> None:
    assert formdata.whole_number({"contract": raw}, "contract") == number


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"), undefined=StrictUndefined, autoescape=True
    )
    env.globals["_"] = lambda text, **kw: text % kw if kw else text
    return env


def test_the_field_and_textarea_macros_render_none_as_empty() -> None:
    env = environment()
    field = env.from_string(
        '{% with name="area", label="Area", value=none %}{% include "market/_field.html" %}'
        "{% endwith %}"
    ).render(errors={})
    assert 'value=""' in field and "None" not in field
    missing = env.from_string(
        '{% with name="area", label="Area" %}{% include "market/_field.html" %}{% endwith %}'
    ).render(errors={})
    assert 'value=""' in missing
    textarea = env.from_string(
        '{% import "market/_form.html" as form %}{{ form.textarea({}, "note", "Note", none) }}'
    ).render()
    assert "None" not in textarea and "></textarea>" in textarea


def test_a_field_error_is_tied_to_its_control_and_announced() -> None:
    env = environment()
    html = env.from_string(
        '{% import "market/_form.html" as form %}{{ form.summary(errors) }}'
        '{% with name="area", label="Area", value="" %}{% include "market/_field.html" %}'
        "{% endwith %}"
    ).render(errors={"area": "Name the area."})
    assert 'role="alert"' in html
    assert 'aria-invalid="true" aria-describedby="area-error"' in html
    assert '<span class="field-error" id="area-error">Name the area.</span>' in html


def test_the_none_checks_find_what_they_look_for() -> None:
    page = (
        '<form action="/x"><input name="a" value="None"><textarea name="b">None</textarea>'
        '<select name="c"><option value="None" selected>x</option></select>'
        '<input name="d" value="Nonesuch"></form>'
    )
    assert none_values(page) == ["a", "b", "c"]
    assert none_texts({"name": "捐赠人 None", "area": "", "n": 3}) == ["name"]


def test_no_controller_turns_a_form_value_into_text_with_str() -> None:
    """str(form.get(...)) makes the word None of a missing field: use market.web.formdata."""
    sources = [
        *ROOT.joinpath("market/controllers").glob("*.py"),
        *ROOT.joinpath("donors/controllers").glob("*.py"),
        *ROOT.joinpath("bids").glob("controllers*.py"),
    ]
    assert sources
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"str\(\s*form\.get\(", line)
    ]
    assert not offenders, offenders


def test_the_error_check_finds_unannounced_and_untied_errors() -> None:
    good = (
        '<p role="alert">Fix</p><input name="a" aria-invalid="true" aria-describedby="a-error">'
        '<span class="field-error" id="a-error">Bad</span>'
    )
    assert error_problems(good) == []
    assert error_problems(good.replace('<p role="alert">Fix</p>', "")) == [
        "errors on the page but no role=alert"
    ]
    assert error_problems(good.replace(' aria-describedby="a-error"', "")) == [
        "no control points at #a-error",
        "<input name=a> is invalid without a description",
    ]
    assert error_problems(good.replace(' id="a-error"', "")) == [
        "a field error without an id",
        "aria-describedby names no #a-error",
    ]
