"""Who gets a settled tender's escrow back, and in what proportions (pure).

A tender is settled once, when it fails (cancelled, unsuccessful, contract terminated:
the whole remainder goes back) or completes (the surplus left after the last tranche
goes back). Either way each funding source's remainder is split among those who put
money into that source's escrow, **pro-rata to what each put in** — read from the
ledger (`market.ledger.inflows`), never from a list of paid objects — by the
largest-remainder rule (`market.money.allocate`: the parts add up to the remainder
exactly, and as the remainder never exceeds what was put in, nobody gets back more
than they put in). Money in one source's escrow is one pool: a tranche released
from it was paid out of everyone's share alike, so what is left is everyone's alike.

Per source:

- government → the tender's department budget (as the bids app does at a contract's
  end; usually nothing is left by then), a sandbox tender's to its sandbox budget;
- corporate / foundation → each transfer back where it came from: a posted match to
  its pledge's account (`pledge:{id}`: it may match again, or — when the pledge has
  expired — goes on to the sponsor), a direct sponsorship to the provider's external
  account it was paid from (back to the sponsor);
- own → back to the organization's external account, the same way;
- public → per donation, to `donor:d{id}:refund` (then refunded through its payment:
  `donors.refunds.queue_refund`) or to the community fund when the donor chose so
  (`on_failure`), at failure and for a surplus alike — never for a sandbox tender,
  whose simulated money always goes back to the donor's sandbox card. The community
  fund is the project's own community's (`community:{place}:fund`, the funds app)
  when the tender's place is a community, else the district-wide `community_fund`
  (`consented_fund`).

A transfer into the escrow that cannot be attributed (a public one that is no known
donation's payment, or one from an account the settlement did not lock) refuses the
settlement (`Unattributed`): nothing is written, and the next run tries again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from market.errors import DomainError
from market.ledger.codes import COMMUNITY_FUND, community_fund_code, refund_code
from market.ledger.inflows import Inflow

FAILURE_REASONS = ("cancelled", "unsuccessful", "terminated")
COMPLETED = "completed"
REASONS = (*FAILURE_REASONS, COMPLETED)


class Unattributed(DomainError):
    """Money in the escrow that the settlement cannot give back to whoever paid it."""


@dataclass(frozen=True, slots=True)
class PaidDonation:
    """A donation whose payment brought money into the public escrow."""

    donation_id: int
    on_failure: str  # refund | community_fund


def consented_fund(place_id: int | None, tier: str | None) -> str:
    """The community fund a failed project's consented public money goes to: the fund
    of the project's community when its place is one, else the district-wide one."""
    if place_id is not None and tier == "community":
        return community_fund_code(place_id)
    return COMMUNITY_FUND


def donation_destination(
    donation: PaidDonation, *, sandbox: bool = False, fund: str = COMMUNITY_FUND
) -> str:
    """Where a donation's share goes back to (`fund`: `consented_fund` of the project).
    A sandbox (training) tender's money is simulated: it goes back to the donor's
    sandbox card even when the donor chose the community fund, which holds real money."""
    if donation.on_failure == "community_fund" and not sandbox:
        return fund
    return refund_code(donation.donation_id)


def destinations(
    inflows: Iterable[Inflow],
    donations: Mapping[str, PaidDonation],
    *,
    budget: str,
    sandbox: bool = False,
    fund: str = COMMUNITY_FUND,
) -> dict[str, list[tuple[str, int]]]:
    """Source → [(destination code, weight)] for `escrow.return_all`: every inflow's
    amount weighs for where it goes back to. `budget` is the account the government's
    remainder returns to (the department's, or its sandbox budget for a sandbox
    tender); `donations` maps a public inflow's transfer key (`payment:{id}`) to its
    donation."""
    weights: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    weights["government"][budget] = 1
    for inflow in inflows:
        if inflow.source == "government":
            continue
        if inflow.source == "public":
            donation = donations.get(inflow.key)
            if donation is None:
                raise Unattributed(f"public escrow money {inflow.key!r} is no known donation")
            destination = donation_destination(donation, sandbox=sandbox, fund=fund)
            weights["public"][destination] += inflow.amount
        else:
            weights[inflow.source][inflow.debit] += inflow.amount
    return {source: sorted(parts.items()) for source, parts in weights.items() if parts}


def destination_codes(routes: Mapping[str, list[tuple[str, int]]]) -> set[str]:
    return {code for parts in routes.values() for code, _ in parts}


def check_covered(routes: Mapping[str, list[tuple[str, int]]], locked: Collection[str]) -> None:
    """Every destination must be one of the accounts locked before the inflows were
    read (the lock order: a settlement never takes another ledger lock later)."""
    missing = sorted(destination_codes(routes) - set(locked))
    if missing:
        raise Unattributed(f"escrow money goes back to accounts not locked: {', '.join(missing)}")


def pledge_id_of(code: str) -> int | None:
    """`pledge:{id}` → id (None for any other code)."""
    kind, _, rest = code.partition(":")
    return int(rest) if kind == "pledge" and rest.isdigit() else None
