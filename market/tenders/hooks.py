"""How other apps react to tender events without `market` importing them (DESIGN §2).

The bids app registers, at import, what the kernel cannot know itself:

    from market.tenders import hooks

    @hooks.on_tender_amended
    async def mark_bids_for_reconfirmation(event: hooks.TenderAmended) -> int:
        ...  # UPDATE bid SET status = 'needs_reconfirm' WHERE tender = event.tender_id ...
        return marked

    hooks.set_live_bid_counter(count_live_bids)  # async (tender_id) -> int

and the donors app what settles a tender that ended early (`set_settler`), so that a
terminated contract's money goes back in the termination's own transaction.

Amendment hooks run inside the amendment's transaction, so bids are marked if and
only if the amendment commits. The durable record is the tender's `amend` revision
(`market_tender_revision`) and `market_tender.amended_at`: a bid submitted before
`amended_at` predates the current conditions, whichever process looks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TenderAmended:
    tender_id: int
    revision_id: int
    at: datetime
    bid_deadline: datetime  # after any extension
    changes: dict[str, Any]


AmendedHook = Callable[[TenderAmended], Awaitable[int]]
BidCounter = Callable[[int], Awaitable[int]]
Settler = Callable[[int, str], Awaitable[bool]]

_amended: list[AmendedHook] = []
_bid_counter: BidCounter | None = None
_settler: Settler | None = None


def on_tender_amended(hook: AmendedHook) -> AmendedHook:
    """Register a hook; it returns how many bids it marked for re-confirmation."""
    if hook not in _amended:
        _amended.append(hook)
    return hook


def set_live_bid_counter(counter: BidCounter | None) -> None:
    """How many live (submitted, not withdrawn) bids a tender has; used at the deadline."""
    global _bid_counter
    _bid_counter = counter


async def notify_amended(event: TenderAmended) -> int:
    marked = 0
    for hook in list(_amended):
        marked += int(await hook(event))
    return marked


async def count_live_bids(tender_id: int) -> int | None:
    """None when no bids app is installed (the chronograph then leaves it to that app)."""
    return None if _bid_counter is None else int(await _bid_counter(tender_id))


def set_settler(settler: Settler | None) -> None:
    """What gives an ended tender's escrow back to whoever put the money in, `(tender
    id, reason) -> settled?` (the donors app's settlement)."""
    global _settler
    _settler = settler


async def settle_now(tender_id: int, reason: str) -> bool:
    """Settle the tender's escrow in the caller's transaction; False when no settler is
    installed or it could not settle now (the settlement job tries again)."""
    return False if _settler is None else bool(await _settler(tender_id, reason))


def clear() -> None:
    """For tests: forget every registration."""
    global _bid_counter, _settler
    _amended.clear()
    _bid_counter = None
    _settler = None


@contextmanager
def detached() -> Iterator[None]:
    """Run without any registration (restored afterwards): for demo data and tests
    that stand in for the bids app, e.g. to reach `evaluation` without bids."""
    global _bid_counter, _settler
    saved_counter, saved_amended, saved_settler = _bid_counter, list(_amended), _settler
    clear()
    try:
        yield
    finally:
        clear()
        _bid_counter, _settler = saved_counter, saved_settler
        _amended.extend(saved_amended)
