"""A completed project's surplus as its page shows it: read from the return transfers
of its settlement (`donors.settlement`, reference `tender:{id}:completed`) through the
kernel's ledger views, summed by `transparency_rules.surplus_figures`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.money import Money
from market.sql import execute
from market.timestamps import timestamp
from opendata.transparency_rules import surplus_figures


@dataclass(frozen=True, slots=True)
class SurplusView:
    """What the page says: surplus settled on <date>, ¥x back to sponsors, ¥y refunded
    to donors, ¥z to the community fund (and to the organization or budget, if any)."""

    settled_at: datetime
    sponsors: Money
    donors: Money
    community_fund: Money
    organization: Money
    budget: Money


async def surplus(tender_id: int, currency: str) -> SurplusView | None:
    """The completed project's surplus settlement, from its return transfers (one per
    pledge, sponsor and refunded donor; on the (tender_id, reason) index)."""
    rows = await execute(
        "SELECT t.source, t.amount, t.created_at, c.code AS credit FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account c ON c.id = t.credit_account WHERE t.tender_id = {}"
        " AND t.reason = 'return' AND t.kind = 'single' AND t.reference = {}",
        tender_id,
        f"tender:{tender_id}:completed",
    )
    figures = surplus_figures(rows)
    if figures is None:
        return None
    return SurplusView(
        timestamp(figures.settled_at),
        *(
            Money(getattr(figures, name), currency)
            for name in ("sponsors", "donors", "community_fund", "organization", "budget")
        ),
    )
