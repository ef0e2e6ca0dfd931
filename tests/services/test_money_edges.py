"""Money at the edges (issue #13): (source) × (edge) → the ledger movement it must make.

Each row reads as a sentence — "a public donation by bank transfer, matched ¥40 by a
sponsor's pledge, | is confirmed after its tender was cancelled and settled | → the
provider −100.00, the donor's refund account +100.00; the match is released" — and runs
through the real services on a fresh tender: the movement is the change of each
account's available balance from before the source was started to after the edge (and
after queued sandbox refunds were paid out), and `market ledger check` passes after it.

The rows cover payment expiry (`donors.payments.expire_payments`), late arrivals
(`donors/late.py`: refunded, or given to the community fund, when the project was
settled; accepted unmatched when only the payment's window closed), settlement from
locked state and surplus settlement at completion (`donors/settlement.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from donors import contributions, donations, payments, pledges, refunds, settlement
from donors.rules import EXTERNAL_ACCOUNT
from market import clock
from market.ledger.check import run_checks
from market.ledger.readmodels import available_balances
from market.sql import execute
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_sponsor, make_tender
from tests.money_builders import cny

AMOUNT, MATCH = 100_00, 40_00
BANK_WINDOW_AND_MORE = timedelta(days=8)  # a bank transfer's window is 7 days


@dataclass
class Case:
    tender: int = 0
    operator: int = 0
    pledge: int | None = None
    donation: int | None = None
    payment: int = 0
    provider: str = "bank_transfer"

    def codes(self) -> dict[str, str]:
        """The movement's account names → ledger codes."""
        return {
            "escrow:public": f"tender:{self.tender}:escrow:public",
            "escrow:corporate": f"tender:{self.tender}:escrow:corporate",
            "pledge": f"pledge:{self.pledge}",
            "refund": f"donor:d{self.donation}:refund",
            "payer refund": f"payer:p{self.payment}:refund",
            "community fund": "community_fund",
            "provider": EXTERNAL_ACCOUNT[self.provider],
        }


@dataclass(frozen=True)
class Source:
    name: str
    provider: str = "bank_transfer"
    matched: bool = False
    on_failure: str = "refund"
    sponsorship: bool = False

    async def start(self) -> Case:
        case = Case(operator=await make_operator(), provider=self.provider)
        case.tender = await make_tender(status="contracted")
        if self.matched:
            case.pledge = await make_pledge(
                per_donation_cap=MATCH, tender_ids=frozenset({case.tender})
            )
        return case

    async def pay(self, case: Case) -> None:
        if self.sponsorship:
            user, company = await make_sponsor()
            _, payment, _ = await contributions.contribute(
                kind="sponsorship",
                tender_id=case.tender,
                organization_id=company,
                organization_kind="company",
                user_id=user,
                amount=cny(AMOUNT),
                provider=self.provider,
            )
            case.payment = int(payment["id"])
            return
        started = await donations.start_donation(
            tender_id=case.tender,
            amount=cny(AMOUNT),
            provider=self.provider,
            on_failure=self.on_failure,
        )
        case.donation, case.payment = started.donation_id, started.payment_id


BANK = Source("a public donation by bank transfer, unmatched,")
BANK_MATCHED = Source("a public donation by bank transfer, matched ¥40 by a pledge,", matched=True)
BANK_FUND = Source(
    "a public donation by bank transfer whose donor chose the community fund,",
    on_failure="community_fund",
)
CARD_MATCHED = Source("a card (sandbox) donation, matched ¥40 by a pledge,", "sandbox", True)
SPONSORSHIP = Source("a company's direct sponsorship (sandbox)", "sandbox", sponsorship=True)
SPONSORSHIP_BANK = Source("a company's direct sponsorship by bank transfer", sponsorship=True)

Step = Callable[[Case], Awaitable[object]]


async def confirm(case: Case) -> None:
    await payments.confirm_payment(
        case.payment,
        amount=AMOUNT,
        currency="CNY",
        bank_reference="ICBC 0042",
        recorded_by=case.operator,
    )


async def fail(case: Case) -> None:
    await payments.fail_payment(case.payment, reason="The bank returned the transfer.")


async def expire(case: Case) -> None:
    clock.set_clock(clock.FrozenClock(clock.now() + BANK_WINDOW_AND_MORE))
    done = await payments.expire_payments(clock.now())
    assert sum(done.values()) >= 1, done


async def cancel_and_settle(case: Case) -> None:
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", case.tender)
    await settlement.settle_all()


async def complete_and_settle(case: Case) -> None:
    await execute("UPDATE market_tender SET status = 'completed' WHERE id = {}", case.tender)
    await settlement.settle_all()


@dataclass(frozen=True)
class Edge:
    name: str
    steps: tuple[Step, ...]


IN_TIME = Edge("is confirmed in time", (confirm,))
FAILS = Edge("fails", (fail,))
EXPIRES = Edge("expires unpaid", (expire,))
LATE_OPEN = Edge("expires, then its money arrives while the project is open", (expire, confirm))
OPEN_AT_SETTLEMENT = Edge(
    "is still awaiting when its tender is cancelled and settled", (cancel_and_settle,)
)
LATE_SETTLED = Edge(
    "is confirmed after its tender was cancelled and settled", (cancel_and_settle, confirm)
)
PAID_SETTLED = Edge(
    "is paid, then its tender is cancelled and settled", (confirm, cancel_and_settle)
)
PAID_COMPLETED = Edge(
    "is paid, then its project completes with the money unspent", (confirm, complete_and_settle)
)
START_SETTLED = Edge(
    "is paid at once, then its tender is cancelled and settled", (cancel_and_settle,)
)
START_COMPLETED = Edge(
    "is paid at once, then its project completes with the money unspent", (complete_and_settle,)
)

Movement = dict[str, int]


@dataclass(frozen=True)
class Row:
    source: Source
    edge: Edge
    moves: Movement  # account → change of its available balance
    match: str | None = None  # the donation's match status afterwards

    def sentence(self) -> str:
        said = ", ".join(f"{name} {amount / 100:+.2f}" for name, amount in self.moves.items())
        match = f"; the match is {self.match}" if self.match else ""
        return f"{self.source.name} | {self.edge.name} | → {said or 'nothing'}{match}"


PAID_IN = {"provider": -AMOUNT, "escrow:public": AMOUNT}
MATCHED_IN = {**PAID_IN, "pledge": -MATCH, "escrow:corporate": MATCH}
REFUNDED_HELD = {"provider": -AMOUNT, "refund": AMOUNT}  # bank refunds wait for the operator
NOTHING: Movement = {}
TO_FUND = {"provider": -AMOUNT, "community fund": AMOUNT}

ROWS = [
    Row(BANK, IN_TIME, PAID_IN, "none"),
    Row(BANK, FAILS, NOTHING, "none"),
    Row(BANK, EXPIRES, NOTHING, "none"),
    Row(BANK, LATE_OPEN, PAID_IN, "none"),  # accepted unmatched
    Row(BANK, OPEN_AT_SETTLEMENT, NOTHING, "none"),
    Row(BANK, LATE_SETTLED, REFUNDED_HELD, "none"),
    Row(BANK, PAID_SETTLED, REFUNDED_HELD, "none"),
    Row(BANK, PAID_COMPLETED, REFUNDED_HELD, "none"),  # the surplus goes back as at failure
    Row(BANK_FUND, PAID_SETTLED, TO_FUND, "none"),
    Row(BANK_FUND, LATE_SETTLED, TO_FUND, "none"),
    Row(BANK_FUND, PAID_COMPLETED, TO_FUND, "none"),
    Row(BANK_MATCHED, IN_TIME, MATCHED_IN, "posted"),
    Row(BANK_MATCHED, FAILS, NOTHING, "released"),
    Row(BANK_MATCHED, EXPIRES, NOTHING, "released"),
    Row(BANK_MATCHED, LATE_OPEN, PAID_IN, "released"),  # accepted, never matched
    Row(BANK_MATCHED, OPEN_AT_SETTLEMENT, NOTHING, "released"),
    Row(BANK_MATCHED, LATE_SETTLED, REFUNDED_HELD, "released"),
    Row(BANK_MATCHED, PAID_SETTLED, REFUNDED_HELD, "posted"),
    Row(BANK_MATCHED, PAID_COMPLETED, REFUNDED_HELD, "posted"),
    Row(CARD_MATCHED, Edge("is approved at once", ()), MATCHED_IN, "posted"),
    Row(CARD_MATCHED, START_SETTLED, NOTHING, "posted"),  # refunded through the provider
    Row(CARD_MATCHED, START_COMPLETED, NOTHING, "posted"),
    Row(SPONSORSHIP, START_SETTLED, NOTHING),  # back to the sponsor through the provider
    Row(SPONSORSHIP, START_COMPLETED, NOTHING),
    Row(SPONSORSHIP_BANK, IN_TIME, {"provider": -AMOUNT, "escrow:corporate": AMOUNT}),
    Row(SPONSORSHIP_BANK, LATE_SETTLED, {"provider": -AMOUNT, "payer refund": AMOUNT}),
]


@pytest.fixture
def restore_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


async def balances(case: Case) -> Movement:
    codes = case.codes()
    found = await available_balances(list(codes.values()))
    return {name: found.get(code, 0) for name, code in codes.items()}


@pytest.mark.parametrize("row", [pytest.param(row, id=row.sentence()) for row in ROWS])
async def test_edge(row: Row, restore_clock: None) -> None:
    case = await row.source.start()
    before = await balances(case)
    await row.source.pay(case)
    for step in row.edge.steps:
        await step(case)
    await refunds.process_refunds()
    after = await balances(case)
    moved = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert moved == row.moves, f"{row.sentence()}: moved {moved}"
    if row.match is not None:
        assert case.donation is not None
        donation = await donations.get_donation(case.donation)
        assert donation["match_status"] == row.match
    if case.pledge is not None:  # what is matched is what the pledge's money still funds
        pledge = await pledges.get_pledge(case.pledge)
        assert int(pledge["matched"]) == -moved.get("pledge", 0)
    report = await run_checks()
    assert report.ok, report.summary()
