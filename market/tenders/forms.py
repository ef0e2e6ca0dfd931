"""Between stored tenders and the workspace forms. PURE (no framework imports)."""

from __future__ import annotations

import json
from typing import Any

from market.money import Money
from market.tenders import inputs

FORM_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "category",
    "area_level",
    "area",
    "place",
    "budget_line",
    "budget",
    *(f"goal_{s}" for s in inputs.GOAL_SOURCES),
    "min_bids",
    "enquiry_end",
    "bid_deadline",
    "opening_at",
    "acceleration",
    "price_criterion",
    *(f"criterion_{part}_{i}" for i in range(inputs.MAX_CRITERIA) for part in ("name", "weight")),
)


def amount_text(minor: int, currency: str) -> str:
    return str(Money(int(minor), currency).to_decimal()) if minor else ""


def form_values(row: dict[str, Any]) -> dict[str, str]:
    """A stored tender row → the strings its form would have been filled with."""
    currency = row.get("currency", "CNY")
    values = {
        name: str(row.get(name) or "")
        for name in ("title_zh", "title_en", "description_zh", "description_en")
    }
    values.update(
        category=row["category"],
        area_level=row["area_level"],
        area=row["area"],
        place=str(row.get("place") or ""),
        budget_line=str(row.get("budget_line") or ""),
        budget=amount_text(row["budget"], currency),
        min_bids=str(row["min_bids"]),
        enquiry_end=inputs.to_local_input(row["enquiry_end"]),
        bid_deadline=inputs.to_local_input(row["bid_deadline"]),
        # Opening at the deadline is what an empty field means: show it empty again, so
        # moving the deadline moves the opening with it instead of keeping the old time.
        opening_at=""
        if row["opening_at"] == row["bid_deadline"]
        else inputs.to_local_input(row["opening_at"]),
        price_criterion="",
        acceleration="" if int(row.get("acceleration") or 1) == 1 else str(row["acceleration"]),
    )
    for source in inputs.GOAL_SOURCES:
        values[f"goal_{source}"] = amount_text(row.get(f"goal_{source}", 0), currency)
    criteria = row["criteria"]
    if isinstance(criteria, str):
        criteria = json.loads(criteria or "[]")
    for i, criterion in enumerate(criteria[: inputs.MAX_CRITERIA]):
        values[f"criterion_name_{i}"] = criterion["name"]
        values[f"criterion_weight_{i}"] = str(criterion["weight"])
        if criterion.get("is_price"):
            values["price_criterion"] = str(i)
    return values


def pick(form: Any) -> dict[str, str]:
    """The tender fields of a submitted form (a multidict or dict) as plain strings."""
    return {name: str(form.get(name, "") or "") for name in FORM_FIELDS}
