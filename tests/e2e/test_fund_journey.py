"""A community fund's round in the browser, each person following links from where
they land: a resident on a phone gives to their community's fund from the community
page; the committee's chair opens a call from the dashboard; two organizations find it
through the communities and propose; the deadline passes (the chronograph and the bid
opening run from here, as the worker would); one committee member declares a conflict
of interest on the panel page and is left out, the two others score and vote; the chair
records the decision; the grantee reports and another member releases the first
tranche — shown on the community's page and in the 360Giving file."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bids.opening import open_due
from market import clock
from market.sql import execute
from market.tenders.inputs import to_local_input
from market.tenders.tick import tick
from tests.bid_builders import make_bidder
from tests.conftest import ENGINE
from tests.e2e.journeys import sign_in
from tests.fund_builders import make_fund

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(ENGINE != "sqlite", reason="browser journeys run in the SQLite pass"),
]


async def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"


async def _resident_gives(browser, server: str, code: str) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{server}/")
    await page.click("nav a[href='/communities']")
    await page.click(f"a[href='/communities/{code}']")
    await _no_sideways_scroll(page)
    await page.click('a:has-text("Give to this community\'s fund")')
    await page.check("input[name=preset][value='500']")
    await page.fill("input[name=display_name]", "Wang Ayi")
    await page.click("#give-form button[type=submit]")
    await page.wait_for_selector("text=Thank you: your gift is in the fund.")
    await _no_sideways_scroll(page)


async def _chair_opens_a_call(browser, server: str, chair: str, code: str) -> int:  # type: ignore[no-untyped-def]
    page = await sign_in(browser, server, chair)
    await page.click("a[href='/funds']")
    await page.click(f"a[href='/communities/{code}/committee']")
    deadline = clock.now() + timedelta(days=5)
    for name, value in {
        "title_zh": "湖畔微心愿", "title_en": "Lakeside small wishes",
        "pot": "400", "cap": "300", "deadline": to_local_input(deadline),
        "ends": (deadline + timedelta(days=60)).date().isoformat(),
    }.items():  # fmt: skip
        await page.fill(f"#call-form [name={name}]", value)
    await page.fill("#call-form textarea[name=description_en]", "Small grants for neighbours.")
    await page.click("#call-form button[type=submit]")
    await page.wait_for_selector("text=The call is open: its money is held from the fund.")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


async def _propose(browser, server: str, email: str, code: str, tender: int, price: str) -> None:  # type: ignore[no-untyped-def]
    page = await sign_in(browser, server, email)
    await page.click("a[href='/grants']")
    await page.click("a[href='/communities']")
    await page.click(f"a[href='/communities/{code}']")
    await page.click(f"a[href='/communities/{code}/calls/{tender}']")
    await page.click("a:has-text('Submit a proposal')")
    await page.fill("input[name=price]", price)
    await page.fill("textarea[name=proposal]", f"Neighbours' project asking {price} yuan.")
    await page.click("#bid-form button[type=submit]")
    await page.wait_for_selector("text=Your bid is sealed. Keep the receipt.")


async def _the_deadline_passes(tender: int) -> None:
    """Days pass: the call's periods are moved to just after its last proposal, then the
    chronograph and the bid opening run, as `market worker` would."""
    [last] = await execute("SELECT MAX(received_at) AS at FROM bids_bid WHERE tender = {}", tender)
    moment = clock.now() - timedelta(seconds=1)
    await execute(
        "UPDATE market_tender SET enquiry_end = {}, bid_deadline = {}, opening_at = {}"
        " WHERE id = {}",
        moment, moment, moment, tender,
    )  # fmt: skip
    assert last["at"] is not None
    assert (await tick()).get("evaluation") == 1
    assert [r.tender_id for r in await open_due()] == [tender]


async def _member_declares_and_scores(
    browser, server: str, email: str, tender: int, *, conflict: bool
) -> None:  # type: ignore[no-untyped-def]
    page = await sign_in(browser, server, email)
    await page.click(f"#attention a[href='/panels/{tender}']")
    if conflict:
        await page.check("input[name=conflict][value=yes]")
        await page.fill("textarea[name=statement]", "My daughter works for one of the proposers.")
        await page.click("button:has-text('Record my declaration')")
        await page.wait_for_selector("text=You recused yourself from this panel.")
        return
    await page.click("button:has-text('Record my declaration')")
    for n in range(2):
        card = page.locator("#panel article.card").nth(n)
        for key in ("c1", "c2", "c3"):
            await card.locator(f"input[name=mark_{key}]").fill("80")
            await card.locator(f"textarea[name=comment_{key}]").fill("Well planned")
        async with page.expect_response(lambda r: r.url.endswith("/score")) as saved:
            await card.locator("button:has-text('Save scores')").click()
        assert (await saved.value).status == 200
        # htmx swaps the whole panel in: the next card is looked up in the new one
        await page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling')")


async def _member_votes(browser, server: str, email: str, code: str, tender: int) -> None:  # type: ignore[no-untyped-def]
    page = await sign_in(browser, server, email)
    await page.click("a[href='/funds']")
    await page.click(f"a[href='/communities/{code}/committee']")
    await page.click(f"a[href='/communities/{code}/calls/{tender}']")
    for n in range(2):
        form = page.locator("form.vote-form").nth(n)
        await form.locator("input[name=vote][value=yes]").check()
        await form.locator("button:has-text('Record my vote')").click()
        await page.wait_for_selector("text=Your vote is recorded.")


async def test_a_community_fund_round_in_the_browser(server, browser):
    world = await make_fund()
    code = str(
        (await execute("SELECT code FROM market_place WHERE id = {}", world.place_id))[0]["code"]
    )
    proposers = [await make_bidder("邻里互助社"), await make_bidder("社区书画社")]

    await _resident_gives(browser, server, code)
    tender = await _chair_opens_a_call(browser, server, world.emails[0], code)
    for proposer, price in zip(proposers, ("250", "150"), strict=True):
        await _propose(browser, server, proposer.email, code, tender, price)
    await _the_deadline_passes(tender)
    for i, email in enumerate(world.emails):
        await _member_declares_and_scores(browser, server, email, tender, conflict=i == 2)
    for email in world.emails[:2]:
        await _member_votes(browser, server, email, code, tender)

    chair = await sign_in(browser, server, world.emails[0])
    await chair.goto(f"{server}/communities/{code}/calls/{tender}")
    assert "Declared a conflict: does not score or vote" in await chair.inner_text("#panel")
    await chair.click("button:has-text('Record the decision')")
    await chair.wait_for_selector("text=Decided: 2 grants.")

    grantee = await sign_in(browser, server, proposers[0].email)
    await grantee.click("a[href='/grants']")
    await grantee.click("main a[href^='/grants/']")
    await grantee.fill("textarea[name=report]", "The first workshop was held with 30 residents.")
    await grantee.click("button:has-text('Submit the report')")
    await grantee.wait_for_selector("text=Report submitted to the fund's committee.")
    grant_url = grantee.url

    member = await sign_in(browser, server, world.emails[1])
    await member.click("a[href='/funds']")
    await member.click(f"a[href='/communities/{code}/committee']")
    await member.click(f"a[href='/communities/{code}/calls/{tender}']")
    await member.click(f"a[href='{grant_url.removeprefix(server)}']")
    await member.click("button:has-text('Approve and release the tranche')")
    await member.wait_for_selector("text=Approved: the tranche is released to the organization.")

    public = await browser.new_page(locale="en-GB")
    await public.goto(f"{server}/communities/{code}")
    released = public.locator(
        f"tr[data-grant='{grant_url.rsplit('/', 1)[1]}'] [data-field=released]"
    )
    assert await released.get_attribute("data-amount") == "12500"  # half of ¥250
    balance = await public.locator("tr[data-field=balance] td").get_attribute("data-amount")
    assert balance == str(500_00 - 400_00)  # ¥500 in, ¥400 taken for the two grants
    async with httpx.AsyncClient() as client:
        grants = (await client.get(f"{server}/360giving/grants.json")).json()["grants"]
    [fund_grant] = [
        g for g in grants
        if g["id"] == f"360G-pgm001-fundgrant-{grant_url.rsplit('/', 1)[1]}"
    ]  # fmt: skip
    assert fund_grant["fundingOrganization"][0]["id"] == f"360G-pgm001-fund-{code}"
    assert fund_grant["amountDisbursed"] == 125
