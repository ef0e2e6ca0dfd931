"""Who supports a project (a tender), for telling them what became of it.

- donors with an account who paid a donation to it (`donors_v_donation`);
- the members of every company or foundation that sponsored it directly
  (`donors_v_contribution`, received) or whose match pledge matched a donation to it
  (`donors_v_donation` → `donors_v_pledge`);
- guests who paid a donation without an account and left an e-mail address
  (`donors.readmodels.guest_donor_addresses`: the views hold no addresses), less the
  addresses of the account holders above, so nobody hears twice.

Reads only: the donors app's views and read functions, the kernel's directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from donors.readmodels import guest_donor_addresses
from market.directory import contacts, member_ids
from market.sql import execute


@dataclass(frozen=True, slots=True)
class Audience:
    user_ids: frozenset[int]
    guests: tuple[tuple[str, str], ...]  # (address, language)


async def sponsor_organizations(tender_id: int) -> set[int]:
    rows = await execute(
        "SELECT organization AS org FROM donors_v_contribution WHERE tender = {}"
        " AND kind = 'sponsorship' AND received_at IS NOT NULL"
        " UNION SELECT p.sponsor AS org FROM donors_v_donation d"
        " JOIN donors_v_pledge p ON p.id = d.match_pledge"
        " WHERE d.tender = {} AND d.paid_at IS NOT NULL AND d.match_amount > 0",
        tender_id,
        tender_id,
    )
    return {int(r["org"]) for r in rows}


async def project_audience(tender_id: int) -> Audience:
    rows = await execute(
        "SELECT DISTINCT donor FROM donors_v_donation"
        " WHERE tender = {} AND donor IS NOT NULL AND paid_at IS NOT NULL",
        tender_id,
    )
    users = {int(r["donor"]) for r in rows}
    users |= await member_ids(await sponsor_organizations(tender_id))
    guests = await guest_donor_addresses(tender_id)
    if guests and users:
        known = {address.lower() for address, _ in (await contacts(users)).values()}
        guests = [(address, lang) for address, lang in guests if address.lower() not in known]
    return Audience(frozenset(users), tuple(guests))
