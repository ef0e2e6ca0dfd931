# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Ledger accounts: creation (idempotent), balances, and row locks in a stable order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from market import clock
from market.db import atomic
from market.errors import Conflict
from market.ledger import rules
from market.ledger.rules import AccountNotFound, Balance
from market.money import Money
from market.sql import Row, execute, for_update, marks

_BALANCE_COLUMNS = (
    "id, code, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted"
)


@dataclass(frozen=True, slots=True)
class AccountBalance:
    code: str
    currency: str
    flags: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def posted(self) -> Money:
        """credits_posted − debits_posted."""
        return Money(self.credits_posted - self.debits_posted, self.currency)

    @property
    def available(self) -> Money:
        """What the account can still send: posted balance less outgoing holds."""
        return Money(self.credits_posted - self.debits_posted - self.debits_pending, self.currency)


def _balance(row: Row) -> Balance:
    return Balance(
        id=int(row["id"]),
        code=row["code"],
        currency=row["currency"],
        flags=int(row["flags"]),
        debits_pending=int(row["debits_pending"]),
        debits_posted=int(row["debits_posted"]),
        credits_pending=int(row["credits_pending"]),
        credits_posted=int(row["credits_posted"]),
    )


# --- accounts --------------------------------------------------------------------------


async def ensure_accounts(codes: Iterable[str], currency: str) -> None:
    """Create missing accounts with the default flags for their code (idempotent)."""
    wanted = sorted(set(codes))
    if not wanted:
        return
    for code in wanted:
        rules.validate_account(code, currency, int(rules.default_flags(code)))
    # Look first: an INSERT that meets an existing row waits for whoever is changing it
    # (a busy escrow), though it would insert nothing.
    found = await execute(
        f"SELECT code FROM ledger_account WHERE code IN ({marks(len(wanted))})", *wanted
    )
    wanted = sorted(set(wanted) - {row["code"] for row in found})
    if not wanted:
        return
    now = clock.now()
    values = ", ".join(["({}, {}, {}, 0, 0, 0, 0, {})"] * len(wanted))
    args: list[Any] = []
    for code in wanted:
        args += [code, currency, int(rules.default_flags(code)), now]
    await execute(
        "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
        f" credits_pending, credits_posted, created_at) VALUES {values}"
        " ON CONFLICT (code) DO NOTHING",
        *args,
    )


async def open_account(
    code: str, currency: str = "CNY", flags: rules.Flags | None = None
) -> AccountBalance:
    """Create an account, or return it if it exists with the same currency and flags."""
    chosen = int(rules.default_flags(code) if flags is None else flags)
    rules.validate_account(code, currency, chosen)
    async with atomic():
        await execute(
            "INSERT INTO ledger_account (code, currency, flags, debits_pending, debits_posted,"
            " credits_pending, credits_posted, created_at) VALUES ({}, {}, {}, 0, 0, 0, 0, {})"
            " ON CONFLICT (code) DO NOTHING",
            code,
            currency,
            chosen,
            clock.now(),
        )
        account = await get_account(code)
    if account.currency != currency or account.flags != chosen:
        raise Conflict(f"account {code!r} exists with currency {account.currency}")
    return account


async def get_account(code: str) -> AccountBalance:
    rows = await execute(f"SELECT {_BALANCE_COLUMNS} FROM ledger_account WHERE code = {{}}", code)
    if not rows:
        raise AccountNotFound(f"no ledger account {code!r}")
    row = rows[0]
    return AccountBalance(
        code=row["code"],
        currency=row["currency"],
        flags=int(row["flags"]),
        debits_pending=int(row["debits_pending"]),
        debits_posted=int(row["debits_posted"]),
        credits_pending=int(row["credits_pending"]),
        credits_posted=int(row["credits_posted"]),
    )


async def lock_accounts(codes: Iterable[str]) -> dict[str, Balance]:
    """Lock the accounts' rows in id order (stable: no deadlocks) and snapshot them."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await execute(
        f"SELECT {_BALANCE_COLUMNS} FROM ledger_account WHERE code IN ({marks(len(wanted))})"
        " ORDER BY id" + for_update(),
        *wanted,
    )
    return {row["code"]: _balance(row) for row in rows}
