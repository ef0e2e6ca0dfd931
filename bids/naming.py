"""Rows of the bids app with the kernel's names beside them: the tender's titles (and
other tender fields) and the organization's names, read through the kernel's read
contract (`market.tenders.readmodels`, `market.directory`) instead of a SQL join on
the kernel's tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from market.directory import organization_names
from market.sql import Row
from market.tenders.readmodels import tender_titles

TITLES = (("title_zh", "title_zh"), ("title_en", "title_en"))


async def named(
    rows: Sequence[Row],
    *,
    tender: Sequence[tuple[str, str]] = (),
    organization: bool = True,
) -> list[dict[str, Any]]:
    """The rows as dicts; with each `(tender column, key)` of `tender` copied from the
    row's `tender`, and `name_zh`/`name_en` of the row's `organization`."""
    items = [dict(r) for r in rows]
    tenders = await tender_titles(int(r["tender"]) for r in items) if tender else {}
    names = await organization_names(int(r["organization"]) for r in items) if organization else {}
    for item in items:
        if tender:
            found = tenders[int(item["tender"])]
            for column, key in tender:
                item[key] = found[column]
        if organization:
            item["name_zh"], item["name_en"] = names[int(item["organization"])]
    return items
