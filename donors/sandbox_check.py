# ruff: noqa: S608 - SQL text is built from constants; values are bound parameters
"""The donors' sandbox invariant (one of `donors.invariants.CHECKS`, run by `market
ledger check`): a sandbox (training) tender's money is simulated, so none of its
transfers may touch a sponsor's pledge, a community fund (the district-wide
`community_fund` or a community's own `community:{place}:fund`) or a real payment
provider's account. The kernel's own check keeps its budgets, payables and treasury
apart the same way (market/ledger/check.py); market/tenders/lifecycle.py `hold_budget`
says why.

The sandbox tenders are the kernel's read-contract view `market_v_sandbox_tender`; the
transfers are read through `market_v_ledger_entry`, the whole ledger.
"""

from __future__ import annotations

from donors.rules import EXTERNAL_ACCOUNT
from market.ledger.codes import COMMUNITY_FUND, community_fund_code
from market.sql import execute

# Accounts real money is in: the community fund and the real providers' accounts.
_REAL = ", ".join(
    f"'{code}'"
    for code in (
        COMMUNITY_FUND,
        *sorted(set(EXTERNAL_ACCOUNT.values()) - {EXTERNAL_ACCOUNT["sandbox"]}),
    )
)

_FUNDS = community_fund_code(0).replace(":0:", ":%:")  # every community's own fund

_SANDBOX_REAL_MONEY = f"""
SELECT t.key, t.tender_id, d.code AS debit_code, c.code AS credit_code
FROM market_v_ledger_entry t
JOIN market_v_ledger_account d ON d.id = t.debit_account
JOIN market_v_ledger_account c ON c.id = t.credit_account
WHERE t.tender_id IN (SELECT id FROM market_v_sandbox_tender)
  AND (d.code IN ({_REAL}) OR c.code IN ({_REAL})
       OR d.code LIKE 'pledge:%' OR c.code LIKE 'pledge:%'
       OR d.code LIKE '{_FUNDS}' OR c.code LIKE '{_FUNDS}')
ORDER BY t.id
"""


async def check_sandbox() -> list[str]:
    return [
        f"transfer {r['key']!r} of sandbox tender {r['tender_id']} moves real money:"
        f" {r['debit_code']} → {r['credit_code']}"
        for r in await execute(_SANDBOX_REAL_MONEY)
    ]
