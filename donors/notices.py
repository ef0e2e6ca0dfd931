# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What donors are told by e-mail, written to the outbox (`market.outbox`) inside the
transaction of the change it reports, in the language the donor used when donating."""

from __future__ import annotations

from collections.abc import Sequence

from donors.tender_facts import tender_info
from market.accounts import load_principal
from market.labels import N_
from market.money import Money, format_money
from market.outbox import enqueue_email
from market.settings import get_settings
from market.sql import Row, execute, marks
from market.web.i18n import DEFAULT, LANGUAGES, translations

EXPIRED_SUBJECT = N_("Your donation was not paid in time")
EXPIRED_BODY = N_(
    "Your donation of %(amount)s to “%(project)s” was not paid within the time allowed,"
    " so it has been cancelled and the matching funds kept for it were released.\n\n"
    "If you still want to give, you are welcome to start again:\n%(link)s\n\n"
    "If you did send the money, it is not lost: when it reaches us it is either added to"
    " the project or refunded to you.\n\n"
    "Reference: %(reference)s"
)


async def payment_expired(payment: Row) -> bool:
    """Tell the donor that their donation's payment window ended (inside the expiring
    transaction): at the e-mail left on the donation, else at a signed-in donor's
    account address. False when the payment is not a donation's or nobody is known."""
    if payment["kind"] != "donation":
        return False
    rows = await execute(
        "SELECT tender, donor, amount, currency, email, lang FROM donors_donation WHERE id = {}",
        payment["object_id"],
    )
    if not rows:
        return False
    donation = rows[0]
    recipient, lang = await _recipient(donation)
    if not recipient:
        return False
    info = await tender_info(int(donation["tender"]))
    catalog = translations(lang)
    money = Money(int(donation["amount"]), donation["currency"])
    body = catalog.gettext(EXPIRED_BODY) % {
        "amount": format_money(money, "zh_Hans_CN" if lang == DEFAULT else "en"),
        "project": info.title(lang),
        "link": f"{get_settings().base_url.rstrip('/')}/tenders/{info.id}/donate",
        "reference": payment["reference_code"],
    }
    await enqueue_email(recipient, catalog.gettext(EXPIRED_SUBJECT), body)
    return True


async def _recipient(donation: Row) -> tuple[str, str]:
    """(address, language) to write to: the donation's own, else the donor account's."""
    lang = donation["lang"] if donation["lang"] in LANGUAGES else ""
    if donation["email"]:
        return donation["email"], lang or DEFAULT
    if donation["donor"] is None:
        return "", DEFAULT
    principal = await load_principal(int(donation["donor"]))
    if principal is None:
        return "", DEFAULT
    locale = principal.locale if principal.locale in LANGUAGES else DEFAULT
    return principal.email, lang or locale


async def donation_contacts(donation_ids: Sequence[int]) -> dict[int, Row]:
    """Whom each donation's notices go to and what they say (for the notify app), by
    donation id, in one statement: id, tender, donor (user id or None), email (left on
    the form, "" if none), lang (the page's), amount, currency, match_pledge,
    match_amount, receipt_no and the payment's reference_code (a guest's key to the
    receipt page). A donation that does not exist is missing."""
    wanted = sorted(set(donation_ids))
    if not wanted:
        return {}
    rows = await execute(
        "SELECT d.id, d.tender, d.donor, d.email, d.lang, d.amount, d.currency,"
        " d.match_pledge, d.match_amount, d.receipt_no, p.reference_code"
        " FROM donors_donation d LEFT JOIN donors_payment p"
        " ON p.object_key = 'donation:' || d.id"  # its unique index
        f" WHERE d.id IN ({marks(len(wanted))})",
        *wanted,
    )
    return {int(r["id"]): r for r in rows}
