"""What the bids app tells the tenders kernel (registered by composition/wiring.py).

The kernel never imports `bids` (DESIGN §2); it calls these through
`market.tenders.hooks`: the live-bid count at the deadline and the amendment hook
that marks submitted bids for re-confirmation inside the amendment's transaction.
"""

from __future__ import annotations

from market.tenders import hooks


async def count_live_bids(tender_id: int) -> int:
    from bids.submission import count_live_bids as count

    return await count(tender_id)


async def mark_bids_for_reconfirmation(event: hooks.TenderAmended) -> int:
    from bids.submission import mark_for_reconfirmation

    return await mark_for_reconfirmation(event.tender_id, event.at)
