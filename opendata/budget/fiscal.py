"""The budget execution as a Frictionless Fiscal Data Package (pure: no I/O).

`/budget/datapackage.json` describes `/budget/budget-execution.csv`, one row per
budget account: each budget line, and each appropriation's own account (what it still
holds unallocated, year-end returns included). The columns:

- the fiscal year, the budget line's id (its ledger account code, which OCDS
  `planning.budget.id` names too) and the appropriation it belongs to (the project,
  OCDS `planning.budget.projectID`);
- the administrative classification in three levels — district, street, community —
  each a 12-digit division code with its names in Chinese and English (a line of the
  district itself leaves the street and community columns empty), and the tier;
- the functional classification: the line's priority category, code and names;
- the currency (ISO 4217), and the amounts in yuan with two decimals, **one column per
  phase**: appropriated, allocated, committed, released, returned, remaining.

One column per phase rather than a phase column (the spec allows both: "denormalising
measures") because a row then reads as a line reads on the page, its identity is
visible within the row (allocated = committed + released + returned + remaining), a
spreadsheet sums a column for a total, and the file has one row per line instead of
six. The descriptor says how to unpivot it: each phase column carries
`normalize: {"phase": …}`, and `extraFields` declares the `amount` (columnType `value`,
the normalisation target), `phase` (`phase:id`) and a constant `direction`. A phase
that does not apply to a row is empty (a line has no appropriated amount; an
appropriation row has no allocated, committed, released or returned amount, and its
remaining is its unallocated balance). So over all rows:
Σ appropriated = Σ committed + Σ released + Σ remaining.

Two generations of the standard are served at once, as the published schema and the
current text differ: the Fiscal Data Package 1.0 text maps every column to a fiscal
concept (`columnType`, from the budget taxonomy), while the JSON schema that
validators load for `fiscal-data-package` (specs.frictionlessdata.io) still requires
the 0.3 `model` (measures with their currency, dimensions with their attributes) and a
`tabular-data-package` profile. The descriptor has both; extra keys are allowed by
each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opendata.budget.rules import PHASES

RESOURCE = "budget-execution"
PATH = "budget-execution.csv"
LEVELS = ("district", "street", "community")
LICENSE = {
    "name": "ODC-PDDL-1.0",
    "path": "http://opendatacommons.org/licenses/pddl/",
    "title": "Open Data Commons Public Domain Dedication and License v1.0",
}


@dataclass(frozen=True, slots=True)
class Named:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class FiscalRow:
    year: int
    budget_line_id: str
    project_code: str
    project_name: str
    tier: str
    places: dict[str, Named]  # tier → the place of that level (district, street, community)
    category: Named | None
    currency: str
    amounts: dict[str, Decimal]  # phase → yuan; a phase that does not apply is absent


def package_description() -> str:
    """The package's description (English data, not a page text)."""
    return (
        "How the district's community-building appropriation is being spent, read from the"
        " platform's double-entry ledger. One row per budget account: each budget line"
        " (a place - the district, a street or a community - and a priority category) and"
        " each appropriation's own account. Amounts are in yuan with two decimals, one"
        " column per phase: appropriated (the budget law's amount, appropriation rows),"
        " allocated (allocations and re-allocations into the line), committed (held for"
        " tenders and not yet released or given back), released (paid to organizations in"
        " milestone tranches), returned (given back to the appropriation at year end) and"
        " remaining (free in the line; for an appropriation row, what is still unallocated)."
        " For every line, allocated = committed + released + returned + remaining; over all"
        " rows, appropriated = committed + released + remaining. A phase that does not"
        " apply to a row is empty."
    )


def _field(name: str, kind: str, column_type: str | None, title: str, **extra: Any) -> Any:
    out: dict[str, Any] = {"name": name, "type": kind, "title": title}
    if column_type:
        out["columnType"] = column_type
    out.update(extra)
    return out


def _place_fields() -> list[dict[str, Any]]:
    out = []
    for level, tier in enumerate(LEVELS, 1):
        concept = f"administrative-classification:generic:level{level}"
        out += [
            _field(f"{tier}_code", "string", f"{concept}:code", f"{tier} code (12-digit division)"),
            _field(f"{tier}_name_zh", "string", f"{concept}:label", f"{tier} name (Chinese)"),
            _field(f"{tier}_name_en", "string", f"{concept}:label:en", f"{tier} name (English)"),
        ]
    return out


PHASE_TITLES = {
    "appropriated": "Appropriated by the budget law",
    "allocated": "Allocated to the line (allocations and re-allocations)",
    "committed": "Committed: held for tenders, not yet released or given back",
    "released": "Released to organizations in milestone tranches",
    "returned": "Returned to the appropriation at year end",
    "remaining": "Remaining: free in the line (for an appropriation row: unallocated)",
}


def fields() -> list[dict[str, Any]]:
    """The CSV's columns in order, with their fiscal concept (columnType)."""
    return [
        _field("year", "integer", "date:fiscal-year", "Fiscal year"),
        _field("budget_line_id", "string", "budget-line-id", "Budget line (ledger account)"),
        _field("project_code", "string", "activity:generic:project:code", "Appropriation"),
        _field("project_name", "string", "activity:generic:project:label", "Appropriation name"),
        _field(
            "tier",
            "string",
            None,
            "Tier of the line's place",
            constraints={"enum": list(LEVELS)},
        ),
        *_place_fields(),
        _field("category_code", "string", "functional-classification:generic:code", "Category"),
        _field("category_name_zh", "string", "functional-classification:generic:label", "Category"),
        _field(
            "category_name_en",
            "string",
            "functional-classification:generic:label:en",
            "Category (English)",
        ),
        _field("currency", "string", "value-currency:code", "Currency (ISO 4217)"),
        *(
            _field(phase, "number", None, PHASE_TITLES[phase], normalize={"phase": phase})
            for phase in PHASES
        ),
    ]


def _model(currency: str) -> dict[str, Any]:
    """The Fiscal Data Package 0.3 model that the published JSON schema requires."""
    phase = {"appropriated": "approved", "released": "executed"}
    measures = {
        name: {"source": name, "currency": currency, "direction": "expenditure"}
        | ({"phase": phase[name]} if name in phase else {})
        for name in PHASES
    }
    administrative = {
        f"{tier}_{part}": {"source": f"{tier}_{part}"}
        | ({"labelfor": f"{tier}_code"} if part != "code" else {})
        | ({"parent": f"{LEVELS[i - 1]}_code"} if part == "code" and i else {})
        for i, tier in enumerate(LEVELS)
        for part in ("code", "name_zh", "name_en")
    }
    return {
        "measures": measures,
        "dimensions": {
            "date": {
                "attributes": {"year": {"source": "year"}},
                "primaryKey": "year",
                "dimensionType": "datetime",
            },
            "budget-line": {
                "attributes": {
                    "budget_line_id": {"source": "budget_line_id"},
                    "project_code": {"source": "project_code"},
                    "project_name": {"source": "project_name", "labelfor": "project_code"},
                },
                "primaryKey": "budget_line_id",
                "dimensionType": "activity",
            },
            "administrative": {
                "attributes": administrative,
                "primaryKey": [f"{tier}_code" for tier in LEVELS],
                "dimensionType": "classification",
                "classificationType": "administrative",
            },
            "functional": {
                "attributes": {
                    "category_code": {"source": "category_code"},
                    "category_name_zh": {"source": "category_name_zh", "labelfor": "category_code"},
                    "category_name_en": {"source": "category_name_en", "labelfor": "category_code"},
                },
                "primaryKey": "category_code",
                "dimensionType": "classification",
                "classificationType": "functional",
            },
        },
    }


def descriptor(
    *, currency: str, years: Sequence[int], homepage: str, country: str = "CN"
) -> dict[str, Any]:
    """The datapackage.json of the budget execution (its CSV at `PATH` beside it)."""
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "district-budget-execution",
        "title": "District community-building budget: execution by line",
        "description": package_description(),
        "homepage": homepage,
        "countryCode": country,
        "granularity": "aggregated",
        "licenses": [LICENSE],
        "keywords": ["budget", "fiscal", "community", "transparency"],
        "columnTypes": ["https://specs.frictionlessdata.io/taxonomies/fiscal/budgets.json"],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": RESOURCE,
                "path": PATH,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": fields(),
                    "primaryKey": ["budget_line_id"],
                    "extraFields": [
                        {
                            "name": "amount",
                            "type": "number",
                            "columnType": "value",
                            "normalizationTarget": True,
                        },
                        {"name": "phase", "type": "string", "columnType": "phase:id"},
                        {
                            "name": "direction",
                            "type": "string",
                            "columnType": "direction",
                            "constant": "expenditure",
                        },
                    ],
                },
            }
        ],
        "model": _model(currency),
    }
    if years:
        package["fiscalPeriod"] = {"start": f"{min(years)}-01-01", "end": f"{max(years)}-12-31"}
    return package


def header() -> list[str]:
    return [f["name"] for f in fields()]


def _cells(row: FiscalRow) -> Iterator[str]:
    yield str(row.year)
    yield from (row.budget_line_id, row.project_code, row.project_name, row.tier)
    for tier in LEVELS:
        place = row.places.get(tier)
        yield from (place.code, place.name_zh, place.name_en) if place else ("", "", "")
    category = row.category
    yield from (category.code, category.name_zh, category.name_en) if category else ("", "", "")
    yield row.currency
    for phase in PHASES:
        amount = row.amounts.get(phase)
        yield "" if amount is None else f"{amount:.2f}"


def records(rows: Iterable[FiscalRow]) -> Iterator[list[str]]:
    """The CSV: the header, then one record per row."""
    yield header()
    for row in rows:
        yield list(_cells(row))
