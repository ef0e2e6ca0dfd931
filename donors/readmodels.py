# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What the donor pages show: my donations, where each went, receipts, a year's summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from donors import matching
from donors.pledges import lock_eligible_pledges
from donors.rules import PaidIn, Release, ReleaseShare, follow_the_yuan
from donors.tender_facts import TenderInfo, tender_info, tenders_info
from market import clock
from market.errors import NotFound, PermissionDenied
from market.ledger.codes import pledge_code
from market.ledger.readmodels import available_balances, public_releases
from market.money import Money, MoneyError, parse_money
from market.sql import Row, execute, marks
from market.tables import Organization
from market.timestamps import timestamp


@dataclass(frozen=True, slots=True)
class DonationView:
    id: int
    tender: TenderInfo
    amount: Money
    match: Money
    match_status: str
    status: str
    provider: str
    reference_code: str
    receipt_no: str | None
    display_name: str
    message: str
    anonymous: bool
    on_failure: str
    created_at: datetime
    paid_at: datetime | None
    refund: Money
    tranches: list[ReleaseShare] = field(default_factory=list)

    def money(self, amount: int) -> Money:
        return Money(amount, self.amount.currency)

    @property
    def spent(self) -> Money:
        return Money(sum(t.amount for t in self.tranches), self.amount.currency)


async def _views(rows: list[Row], *, with_tranches: bool) -> list[DonationView]:
    infos = await tenders_info([int(r["tender"]) for r in rows])
    payments = {}
    if rows:
        keys = [f"donation:{r['id']}" for r in rows]
        for p in await execute(
            f"SELECT object_id, provider, reference_code FROM donors_payment"
            f" WHERE object_key IN ({marks(len(keys))})",
            *keys,
        ):
            payments[int(p["object_id"])] = p
    paid = [int(r["tender"]) for r in rows if r["status"] == "paid"]
    shares = await donation_tranches(paid) if with_tranches else {}
    views = []
    for r in rows:
        payment = payments.get(int(r["id"]))
        currency = r["currency"]
        tranches = shares.get(int(r["id"]), []) if r["status"] == "paid" else []
        views.append(
            DonationView(
                id=int(r["id"]),
                tender=infos[int(r["tender"])],
                amount=Money(int(r["amount"]), currency),
                match=Money(int(r["match_amount"]), currency),
                match_status=r["match_status"],
                status=r["status"],
                provider=payment["provider"] if payment else "",
                reference_code=payment["reference_code"] if payment else "",
                receipt_no=r["receipt_no"],
                display_name=r["display_name"],
                message=r["message"],
                anonymous=bool(r["anonymous"]),
                on_failure=r["on_failure"],
                created_at=r["created_at"],
                paid_at=r["paid_at"],
                refund=Money(int(r["refund_amount"]), currency),
                tranches=tranches,
            )
        )
    return views


# Donations whose money was in the public escrow when it was paid (a refund later does
# not undo the tranches it paid for before).
_PAID_IN = ("paid", "refund_queued", "refunded", "community_fund")


async def donation_tranches(tender_ids: list[int]) -> dict[int, list[ReleaseShare]]:
    """The follow-your-yuan view (donors.rules.follow_the_yuan): donation id → its
    shares of the releases from its tender's public escrow, for every donation to
    these tenders. Two queries, however many donations and tenders."""
    ids = sorted(set(tender_ids))
    if not ids:
        return {}
    rows = await execute(
        "SELECT id, tender, amount, paid_at FROM donors_donation"
        f" WHERE tender IN ({marks(len(ids))}) AND paid_at IS NOT NULL"
        f" AND status IN ({marks(len(_PAID_IN))}) ORDER BY id",
        *ids,
        *_PAID_IN,
    )
    releases = await public_releases(ids)  # the ledger's read contract
    by_tender: dict[int, list[PaidIn]] = {tender: [] for tender in ids}
    for r in rows:
        by_tender[int(r["tender"])].append(
            PaidIn(int(r["id"]), int(r["amount"]), timestamp(r["paid_at"]))
        )
    shares: dict[int, list[ReleaseShare]] = {}
    for tender in ids:
        tranches = [
            Release(key, reference, timestamp(at), amount)
            for key, reference, at, amount in releases[tender]
        ]
        shares.update(follow_the_yuan(by_tender[tender], tranches))
    return shares


async def my_donations(user_id: int) -> list[DonationView]:
    rows = await execute(
        "SELECT * FROM donors_donation WHERE donor = {} ORDER BY id DESC LIMIT 500", user_id
    )
    return await _views(list(rows), with_tranches=True)


async def donation_view(
    donation_id: int, *, user_id: int | None, reference: str = "", oversight: bool = False
) -> DonationView:
    """One donation for its donor (signed in, or holding its payment reference)."""
    rows = await execute("SELECT * FROM donors_donation WHERE id = {}", donation_id)
    if not rows:
        raise NotFound("No such donation.")
    (view,) = await _views([rows[0]], with_tranches=True)
    owner = rows[0]["donor"] is not None and rows[0]["donor"] == user_id
    if not (owner or oversight or (reference and reference.upper() == view.reference_code)):
        raise PermissionDenied("Only the donor can see this donation.")
    return view


@dataclass(frozen=True, slots=True)
class AnnualSummary:
    year: int
    donations: list[DonationView]
    total: Money
    matched: Money


async def annual_summary(user_id: int, year: int, currency: str = "CNY") -> AnnualSummary:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    rows = await execute(
        "SELECT * FROM donors_donation WHERE donor = {} AND paid_at >= {} AND paid_at < {}"
        " AND currency = {} ORDER BY paid_at",
        user_id,
        start,
        end,
        currency,
    )
    views = await _views(list(rows), with_tranches=False)
    total = Money(sum(v.amount.amount for v in views), currency)
    matched = Money(sum(v.match.amount for v in views if v.match_status == "posted"), currency)
    return AnnualSummary(year, views, total, matched)


async def sponsor_pledges(org_ids: list[int]) -> list[dict[str, Any]]:
    if not org_ids:
        return []
    org_marks = marks(len(org_ids))
    rows = await execute(
        f"SELECT p.*, pay.reference_code, pay.provider, pay.status AS payment_status"
        f" FROM donors_pledge p"
        f" LEFT JOIN donors_payment pay ON pay.object_key = 'pledge:' || CAST(p.id AS VARCHAR)"
        f" WHERE p.sponsor IN ({org_marks}) ORDER BY p.id DESC",
        *org_ids,
    )
    balances = await available_balances([pledge_code(int(r["id"])) for r in rows])
    return [dict(r, available=balances.get(pledge_code(int(r["id"])))) for r in rows]


async def sponsor_contributions(org_ids: list[int]) -> list[dict[str, Any]]:
    if not org_ids:
        return []
    org_marks = marks(len(org_ids))
    rows = await execute(
        f"SELECT c.*, pay.reference_code, pay.provider FROM donors_contribution c"
        f" LEFT JOIN donors_payment pay ON pay.object_key = c.kind || ':' || CAST(c.id AS VARCHAR)"
        f" WHERE c.organization IN ({org_marks}) ORDER BY c.id DESC",
        *org_ids,
    )
    out = []
    infos = await tenders_info([int(r["tender"]) for r in rows])
    for r in rows:
        item = dict(r)
        item["tender_info"] = infos[int(r["tender"])]
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class MatchOffer:
    """What a sponsor would add to a donation of `donation` now, and who that sponsor is."""

    donation: Money
    match: Money
    sponsor_id: int | None = None
    sponsor_zh: str = ""
    sponsor_en: str = ""
    ratio_sponsor: int = 0
    ratio_donor: int = 0
    per_donation_cap: Money | None = None

    def sponsor(self, lang: str) -> str:
        if lang == "en":
            return self.sponsor_en or self.sponsor_zh
        return self.sponsor_zh or self.sponsor_en


async def match_preview(tender_id: int, typed: str, currency: str) -> MatchOffer:
    """The form's preview: the match for the amount the donor has typed so far, or none
    while it is not an amount (blank, or not yet one `parse_money` reads)."""
    try:
        amount = parse_money(typed, currency)
    except MoneyError:
        return MatchOffer(Money.zero(currency), Money.zero(currency))
    return await match_offer(tender_id, amount)


async def match_offer(tender_id: int, amount: Money) -> MatchOffer:
    """The match a donation of `amount` would get now, naming the pledge's sponsor.

    The same choice `donations.start_donation` reserves (`matching.choose_match` over the
    eligible pledges), read without locks: the figure is a preview, the reservation is
    made under the pledge's row lock when the donor donates."""
    info = await tender_info(tender_id)
    none = MatchOffer(amount, Money.zero(info.currency))
    if amount.amount <= 0 or amount.currency != info.currency:
        return none
    states, _ = await lock_eligible_pledges(info.facts, amount.currency, lock=False)
    chosen = matching.choose_match(states, info.facts, amount.amount, clock.now())
    if chosen is None:
        return none
    pledge_id, match = chosen
    terms = next(s.terms for s in states if s.terms.pledge_id == pledge_id)
    pledge = await execute("SELECT sponsor FROM donors_pledge WHERE id = {}", pledge_id)
    found = await Organization.select(
        Organization.id, Organization.name_zh, Organization.name_en
    ).where(Organization.id == int(pledge[0]["sponsor"]))
    sponsor = found[0] if found else None
    return MatchOffer(
        donation=amount,
        match=Money(match, info.currency),
        sponsor_id=int(sponsor["id"]) if sponsor else None,
        sponsor_zh=str(sponsor["name_zh"] or "") if sponsor else "",
        sponsor_en=str(sponsor["name_en"] or "") if sponsor else "",
        ratio_sponsor=terms.ratio_sponsor,
        ratio_donor=terms.ratio_donor,
        per_donation_cap=Money(terms.per_donation_cap, info.currency),
    )


__all__ = ["tender_info"]


async def guest_donor_addresses(tender_id: int) -> list[tuple[str, str]]:
    """(e-mail address, language) of everyone who paid a donation to the tender without
    an account and left an address (for the project's updates, `notify`): one pair per
    address (its latest donation's language), in the order they first gave."""
    rows = await execute(
        "SELECT email, lang FROM donors_donation WHERE tender = {} AND donor IS NULL"
        " AND email <> '' AND paid_at IS NOT NULL ORDER BY id",
        tender_id,
    )
    found: dict[str, tuple[str, str]] = {}
    for r in rows:
        found[str(r["email"]).strip().lower()] = (str(r["email"]).strip(), str(r["lang"] or ""))
    return list(found.values())
