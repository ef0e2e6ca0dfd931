"""The demo's community funds, lived through the funds app's services under the clock.

Soon after the history starts the operator opens the fund of every community; Lakeside
(湖畔社区) gets its committee — He Jianguo chairs it and adds Lin Xiuying and Ma Dongmei.
Residents give to it over the months, a company sponsors it by bank transfer (recorded
by the operator when it shows on the statement) and a foundation by card. Five months
before today the chair opens a call for proposals; the elder care centre and the
mediation association propose; at the deadline the jobs close the call and open the
proposals; Ma Dongmei declares a conflict of interest, the two others score and vote
for both, and the chair records the decision: two grants, the rest of the pot back in
the fund. The grantees report, Lin Xiuying approves and the first tranches are released;
the elder care centre's final report is approved too (its grant completed), the
mediation association's waits for approval today. A second, smaller call is open now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bids import evaluation, submission
from composition.demo_cast import DAY, Cast, history_start
from composition.demo_timeline import Story
from donors import payments
from funds import calls, decisions, gifts, grants, queries, setup
from market.demo import email
from market.demo_data import PLACES
from market.money import Money
from market.organizations.services import add_member
from market.places.rules import tier_of
from market.tenders.inputs import to_local_input

LAKESIDE = "hubin_lakeside"
COMMITTEE = ("fund_chair", "fund_member", "fund_neighbour")
RESIDENTS = (("王阿姨", 500), ("", 200), ("李师傅", 1000), ("陈同学", 50), ("Emily", 300),
             ("刘奶奶", 2000), ("", 100), ("赵家人", 800))  # fmt: skip
PROPOSALS = (
    ("org", "elder_care", "12000.00", "楼道助老扶手和“银龄互助小组”：每周两次上门探访独居长者。"),
    ("mediator", "mediation_assoc", "9000.00", "“湖畔议事角”：每月一次邻里议事和调解开放日。"),
)
MARKS = {"mark_c1": "85", "comment_c1": "社区需要明确", "mark_c2": "78",
         "comment_c2": "预算合理", "mark_c3": "80", "comment_c3": "居民参与充分"}  # fmt: skip


async def funds_story(cast: Cast) -> Story:
    """The funds' history (see the module's docstring)."""
    start = history_start(cast.now) + 10 * DAY
    yield start
    fund = await _open_funds(cast)
    await cast.timeline.add(_gifts(cast, fund, start, cast.now - 160 * DAY))
    call_at = cast.now - 150 * DAY
    yield call_at
    tender = await _open_call(cast, fund, "湖畔微心愿", "Lakeside small wishes", 30_000, 15_000,
                              call_at + 10 * DAY, call_at + 100 * DAY)  # fmt: skip
    yield call_at + 3 * DAY
    refs = [await _propose(cast, tender, row) for row in PROPOSALS]
    yield call_at + 11 * DAY
    await _committee_decides(cast, tender, refs)
    granted = await queries.grant_ids_of_call(tender)
    for offset, grant in enumerate(granted):  # the first completes, the second's final waits
        at = call_at + (15 + offset) * DAY
        await cast.timeline.add(_tranches(cast, grant, at, completes=offset == 0))
    yield cast.now - 5 * DAY
    await _open_call(cast, fund, "湖畔邻里节", "Lakeside neighbours' day", 8_000, 4_000,
                     cast.now + 10 * DAY, cast.now + 70 * DAY)  # fmt: skip


async def _open_funds(cast: Cast) -> int:
    """Every community's fund; Lakeside's with its committee. Returns Lakeside's fund."""
    lakeside = 0
    for slug, (code, _zh, _en) in sorted(PLACES.items(), key=lambda item: item[1][0]):
        if tier_of(code) != "community":
            continue  # the district and its streets have no community fund
        chair = email("fund_chair") if slug == LAKESIDE else ""
        fund = await setup.open_fund(
            operator_id=cast.operator, place_id=cast.demo.places[slug], chair_email=chair
        )
        if slug == LAKESIDE:
            lakeside = fund
    organization = await queries.fund_organization(lakeside)
    for slug in COMMITTEE[1:]:
        await add_member(
            admin_user_id=cast.user("fund_chair"),
            organization_id=int(organization),
            email=email(slug),
            role="member",
        )
    return lakeside


async def _gifts(cast: Cast, fund: int, start: datetime, end: datetime) -> Story:
    """Residents by card, a company by bank transfer, a foundation by card."""
    step = (end - start) / (len(RESIDENTS) + 2)
    for i, (name, yuan) in enumerate(RESIDENTS):
        yield start + step * (i + 1)
        await gifts.start_gift(
            fund_id=fund, amount=Money(yuan * 100, "CNY"), provider="sandbox",
            donor_id=cast.user("donor") if i == 0 else None, display_name=name,
            anonymous=not name,
        )  # fmt: skip
    yield start + step * (len(RESIDENTS) + 1)
    company = await gifts.start_gift(
        fund_id=fund, amount=Money(20_000_00, "CNY"), provider="bank_transfer",
        donor_id=cast.user("sponsor"), sponsor_id=cast.demo.companies["smart_mfg"],
    )  # fmt: skip
    await gifts.start_gift(
        fund_id=fund, amount=Money(15_000_00, "CNY"), provider="sandbox",
        donor_id=cast.user("foundation"), sponsor_id=cast.demo.foundations["community_dev"],
    )  # fmt: skip
    yield start + step * (len(RESIDENTS) + 1) + 2 * DAY  # on the bank statement
    payment = await payments.get_payment(company.payment_id)
    await payments.record_bank_transfer(
        reference_code=payment["reference_code"], amount=int(payment["amount"]),
        currency="CNY", bank_reference=f"MHB{company.payment_id:08d}", operator_id=cast.operator,
    )  # fmt: skip


async def _open_call(
    cast: Cast, fund: int, title_zh: str, title_en: str, pot: int, cap: int,
    deadline: datetime, ends: datetime,
) -> int:  # fmt: skip
    tender = await calls.open_call(
        user_id=cast.user("fund_chair"),
        fund_id=fund,
        form={
            "title_zh": title_zh,
            "title_en": title_en,
            "description_zh": "面向湖畔社区居民和社会组织的小额资助，支持邻里互助和社区参与。",
            "description_en": "Small grants for residents' and organizations' projects in "
            "Lakeside: neighbours helping neighbours, residents taking part.",
            "pot": f"{pot}.00",
            "cap": f"{cap}.00",
            "deadline": to_local_input(deadline),
            "ends": ends.date().isoformat(),
        },
    )
    cast.timeline.due(deadline + timedelta(minutes=1))  # the call closes, proposals opened
    return tender


async def _propose(cast: Cast, tender: int, row: tuple[str, str, str, str]) -> str:
    user, org, price, text = row
    receipt = await submission.submit_bid(
        user_id=cast.user(user), organization_id=cast.demo.social_orgs[org],
        tender_id=tender, price=price, proposal=text,
    )  # fmt: skip
    return receipt.ref


async def _committee_decides(cast: Cast, tender: int, refs: list[str]) -> None:
    """Ma Dongmei declares a conflict; the two others score and vote for both."""
    await evaluation.declare_interests(
        user_id=cast.user("fund_neighbour"), tender_id=tender, conflict=True,
        statement="我女儿在湖滨长者关爱服务中心工作。",
    )  # fmt: skip
    for slug in COMMITTEE[:2]:
        member = cast.user(slug)
        await evaluation.declare_interests(user_id=member, tender_id=tender, conflict=False)
        for ref in refs:
            await evaluation.score_bid(user_id=member, tender_id=tender, bid_ref=ref, form=MARKS)
            await decisions.vote(user_id=member, tender_id=tender, bid_ref=ref, choice="yes")
    await decisions.decide(user_id=cast.user("fund_chair"), tender_id=tender)


async def _tranches(cast: Cast, grant: int, at: datetime, *, completes: bool) -> Story:
    """The grantee reports, Lin Xiuying approves; unless the grant `completes`, its final
    report still waits for her today."""
    organization, tranches = await queries.tranches_of_grant(grant)
    grantee = next(cast.user(u) for u, org, *_ in PROPOSALS
                   if cast.demo.social_orgs[org] == organization)  # fmt: skip
    start, final = tranches
    yield at
    await grants.submit_report(
        user_id=grantee, tranche_id=start, report="项目已启动，首次活动已举办。"
    )
    yield at + 2 * DAY
    await grants.approve_tranche(user_id=cast.user("fund_member"), tranche_id=start)
    yield cast.now - (55 if completes else 52) * DAY
    await grants.submit_report(user_id=grantee, tranche_id=final, report="结项：活动全部完成。")
    if completes:
        yield cast.now - 53 * DAY
        await grants.approve_tranche(user_id=cast.user("fund_member"), tranche_id=final)
