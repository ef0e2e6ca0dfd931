"""What the funds pages share: the `fen` template filter (an amount of fen shown as
money) and the community code path parameter."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.params import PathParameter

from market.controllers.tenders import money_filter
from market.money import Money
from market.web.render import template_filter


@template_filter("fen")
def fen_filter(amount: int | None, currency: str = "CNY") -> str:
    """12345 → ¥123.45 (the pages' figures are integer fen from the ledger)."""
    return "" if amount is None else money_filter(Money(int(amount), currency))


# A community's 12-digit division code in a path ("330109001001"); anything that is no
# community's code is a 404 (`funds.queries.community`).
Code: TypeAlias = Annotated[str, PathParameter(min_length=1, max_length=12)]
