"""Ledger transfers written last: `create_transfers_at_commit` (see its docstring and
ARCHITECTURE.md, "Hot rows are written last")."""

from __future__ import annotations

from collections.abc import Sequence

from market.db import before_commit, in_transaction
from market.errors import Conflict
from market.ledger import rules
from market.ledger.accounts import ensure_accounts
from market.ledger.rules import (
    InvalidTransfer,
    LedgerError,
    PendingState,
    Transfer,
    TransferRequest,
)
from market.ledger.services import _checked, _create_locked, create_transfers, look_ahead
from market.sql import is_unique_violation


async def create_transfers_at_commit(
    requests: Sequence[TransferRequest], *, ensure: Sequence[str] = (), currency: str = ""
) -> list[Transfer]:
    """`create_transfers` (without an audit row: the caller's event lists them), written
    as the last thing before the open transaction commits (`market.db.before_commit`),
    so the account rows — a campaign's escrow, a hot pledge — stay locked only for that
    write and the commit. Returns the transfers as they will be written, resolved now
    from the pending transfers they name (immutable rows); at commit the full checks run
    under the locks (a pending resolved meanwhile, a limit, an id used with another
    body), and a refusal there rolls the whole transaction back. At most one such call
    per transaction: its accounts are locked in one `lock_accounts` call (lock order).
    The accounts named in `ensure` are created (in `currency`) when missing, as
    `ensure_accounts` does. Outside a transaction it is `create_transfers`."""
    _checked(requests)
    if not in_transaction():
        await ensure_accounts(ensure, currency)
        return [r.transfer for r in await create_transfers(requests, audit=False)]
    # The pendings, the ids used or failed and the pendings resolved, and the accounts
    # there are, looked up now in one round trip, before the locks: an id or a resolution
    # that commits meanwhile is refused at the write by its unique index (Conflict, the
    # transaction rolls back), so the locks cover two statements only.
    wanted = sorted(set(ensure))
    pendings, seen, found = await look_ahead(
        [r.key for r in requests],
        sorted({r.pending_key for r in requests if r.pending_key}),
        wanted,
    )
    if missing := [code for code in wanted if code not in found]:
        await ensure_accounts(missing, currency)
    planned = [
        rules.resolve(
            req,
            PendingState(pendings[req.pending_key][1], seen[2].get(pendings[req.pending_key][0]))
            if req.pending_key in pendings
            else None,
        )
        for req in requests
    ]

    async def write() -> None:
        try:
            outcome = await _create_locked(
                requests, actor="system", audit=False, action="", pendings=pendings, looked_up=seen
            )
        except Exception as exc:
            if is_unique_violation(exc):
                raise Conflict("a concurrent request used the same transfer id; retry") from exc
            raise
        if isinstance(outcome, LedgerError):
            raise outcome
        if [r.transfer for r in outcome] != planned:
            raise InvalidTransfer("the transfers changed between their plan and their commit")

    await before_commit(write)
    return planned
