"""Display names for status and kind codes, one table per domain, translated at render.

Pages never show a code such as `submitted` or `milestone:2`: templates call
`label("bid", bid.status)` or `reference(tranche.reference)`. The msgids are marked
with N_() so `make messages` extracts them; translation happens per request.
An unknown code is shown as is, so a new state shows up (and the browser walk
flags it) rather than vanishing.
"""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup, escape

from market.money import Money, format_money
from market.web import i18n


def N_(message: str) -> str:  # the gettext convention for "mark only"
    return message


LABELS: dict[str, dict[str, str]] = {
    # The same msgids as templates/market/tenders/_labels.html's status().
    "tender": {
        "draft": N_("Draft"),
        "published": N_("Open for enquiries"),
        "tendering": N_("Open for bids"),
        "evaluation": N_("Under evaluation"),
        "awarded": N_("Awarded"),
        "contracted": N_("Contracted"),
        "completed": N_("Completed"),
        "cancelled": N_("Cancelled"),
        "unsuccessful": N_("Unsuccessful"),
        "terminated": N_("Terminated"),
    },
    "bid": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "withdrawn": N_("Withdrawn"),
        "needs_reconfirm": N_("Needs reconfirmation"),
        "qualified": N_("Qualified"),
        "disqualified": N_("Disqualified"),
        "awarded": N_("Awarded"),
        "lost": N_("Not awarded"),
    },
    "complaint": {
        "filed": N_("Awaiting decision"),
        "upheld": N_("Upheld"),
        "dismissed": N_("Dismissed"),
    },
    "contract": {
        "pending": N_("Awaiting signature"),
        "active": N_("In force"),
        "completed": N_("Completed"),
        "terminated": N_("Terminated"),
    },
    "milestone": {
        "scheduled": N_("Scheduled"),
        "submitted": N_("Evidence submitted"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
        "not_met": N_("Not met"),
    },
    "seat": {
        "appointed": N_("Appointed; interests not yet declared"),
        "declared": N_("No conflict of interest declared"),
        "recused": N_("Recused (conflict of interest)"),
    },
    "award": {"active": N_("In force"), "cancelled": N_("Cancelled")},
    "donation": {
        "pending": N_("Awaiting payment"),
        "paid": N_("Paid"),
        "failed": N_("Payment failed"),
        "refund_queued": N_("Refund queued"),
        "refunded": N_("Refunded"),
        "community_fund": N_("Moved to the community fund"),
    },
    "match": {
        "none": N_("No match"),
        "reserved": N_("Match reserved"),
        "posted": N_("Matched"),
        "released": N_("Match released"),
    },
    "payment": {
        "awaiting": N_("Awaiting payment"),
        "succeeded": N_("Paid"),
        "failed": N_("Payment failed"),
    },
    "pledge": {
        "awaiting_funds": N_("Awaiting funds"),
        "active": N_("Active"),
        "expired": N_("Expired"),
        "cancelled": N_("Cancelled"),
    },
    "contribution": {
        "awaiting": N_("Awaiting funds"),
        "received": N_("Received"),
        "returned": N_("Returned"),
        "failed": N_("Failed"),
    },
    "refund": {"queued": N_("Awaiting payout"), "paid": N_("Paid out")},
    "refund_reason": {
        "settlement": N_("The project failed; its money went back"),
        "late_arrival": N_("Arrived after the project closed"),
        "surplus": N_("Left over when the project completed"),
    },
    "payment_kind": {
        "donation": N_("Donation"),
        "pledge": N_("Match pledge"),
        "sponsorship": N_("Sponsorship"),
        "own_income": N_("Own income"),
    },
    "provider": {
        "sandbox": N_("Card (sandbox)"),
        "bank_transfer": N_("Bank transfer"),
        "stripe": N_("Card"),
    },
    # The same msgids as templates/market/_labels.html's kind().
    "organization_kind": {
        "department": N_("Government department"),
        "social_org": N_("Social organization"),
        "company": N_("Company"),
        "foundation": N_("Foundation"),
        "operator": N_("Platform operator"),
        "community_fund": N_("Community fund"),
    },
    "organization": {
        "pending": N_("Pending review"),
        "verified": N_("Verified"),
        "rejected": N_("Rejected"),
        "suspended": N_("Suspended"),
    },
    # The same msgids as templates/market/_labels.html's category().
    "category": {
        "software_services": N_("Software services"),
        "science_technology": N_("Science & technology"),
        "dispute_mediation": N_("Dispute mediation"),
        "coordination_management": N_("Coordination & management"),
        "charity": N_("Charity"),
        "community_services": N_("Community services"),
    },
    # The same msgids as templates/market/tenders/_labels.html's area_level(), source()
    # and event().
    "area_level": {
        "district": N_("District-wide"),
        "street": N_("Street"),
        "community": N_("Community"),
    },
    "funding_source": {
        "government": N_("Government budget"),
        "corporate": N_("Corporate sponsorship"),
        "foundation": N_("Foundation grants"),
        "public": N_("Public donations"),
        "own": N_("Organization's own income"),
    },
    "tender_event": {
        "publish": N_("Published; enquiries open"),
        "open_tendering": N_("Enquiries closed; open for bids"),
        "close_tendering": N_("Bid deadline passed; evaluation"),
        "award": N_("Awarded"),
        "reopen": N_("Evaluation reopened"),
        "contract": N_("Contract signed"),
        "complete": N_("Completed"),
        "fail": N_("Unsuccessful"),
        "cancel": N_("Cancelled"),
        "amend": N_("Amended"),
        "enquiry_end": N_("Enquiries close"),
        "bid_deadline": N_("Bid deadline"),
        "opening": N_("Bids opened"),
    },
}
# Names shown as they are, beside the translated ones (no msgid: "" is the catalog header).
AS_IS: dict[str, dict[str, str]] = {"category": {"": "—"}}

# market/tenders/rules.py ACTION_WORDS, as they appear in refusals ("cannot be %(action)s").
ACTION_WORDS = (
    N_("published"),
    N_("opened for bids"),
    N_("closed for bids"),
    N_("awarded"),
    N_("reopened for evaluation"),
    N_("contracted"),
    N_("completed"),
    N_("terminated"),
    N_("declared unsuccessful"),
    N_("cancelled"),
)

_REFERENCE = re.compile(r"^(?P<kind>[a-z_]+):(?P<id>\d+)(?::[a-z_]+)?$")
REFERENCE_PHRASES = {
    "milestone": N_("Tranche for milestone no. %(id)s"),
    "donation": N_("Donation no. %(id)s"),
    "pledge": N_("Match pledge no. %(id)s"),
    "contribution": N_("Contribution no. %(id)s"),
    "tender": N_("Tender no. %(id)s"),
}


class Names(dict[str, Markup]):
    """Every code of one domain with its display name in one language; a code it does
    not know is shown as it is (so a new state shows up, as with `label`)."""

    def __missing__(self, code: str) -> str:
        return code


@cache
def _names(domain: str, language: str) -> Names:
    translate = i18n.translations(language).gettext
    # Markup, as Jinja's gettext marks a translation: the catalog is ours, not input.
    found = Names({code: _trusted(translate(msgid)) for code, msgid in LABELS[domain].items()})
    found.update({code: _trusted(name) for code, name in AS_IS.get(domain, {}).items()})
    return found


def _trusted(text: str) -> Markup:
    return Markup(text)  # noqa: S704 - our own catalog's text (see _names)


def names(domain: str) -> Names:
    """The display names of a domain's codes in the request's language, translated once
    per language: a page looks each one up (`names("tender")[t.status]`) instead of
    translating every name of the domain again for each row, as a macro holding a dict
    of `_()` calls does."""
    return _names(domain, i18n.current())


def title_in(lang: str, zh: str, en: str, plain: bool = False) -> Markup:
    """A title given in Chinese and English, in the reader's language, else the other one
    marked with lang= (WCAG 3.1.2); `plain` leaves the mark out (for <title>)."""
    if lang == "en" and en:
        return escape(en)
    if zh:
        return _marked("zh-Hans", zh) if lang == "en" and not plain else escape(zh)
    return _marked("en", en) if lang != "en" and not plain else escape(en)


def name_in(lang: str, zh: str, en: str, plain: bool = False) -> Markup:
    """A name in Chinese with perhaps an English one (a department, an organization): the
    English one to English readers when there is one, else the Chinese one (marked with
    lang= for them unless `plain`)."""
    if lang == "en" and en:
        return escape(en)
    return _marked("zh-Hans", zh) if lang == "en" and not plain else escape(zh)


def _marked(lang: str, text: str) -> Markup:
    return Markup('<span lang="{}">{}</span>').format(lang, text)


def label(domain: str, code: str | None) -> str:
    """The translated display name of a code in one domain ("bid", "milestone", …)."""
    if code is None or code == "":
        return "—"
    msgid = LABELS.get(domain, {}).get(code)
    return i18n.gettext(msgid) if msgid else code


def reference(ref: str | None) -> str:
    """`milestone:2` (or `milestone:2:release`) as a phrase a person reads."""
    if not ref:
        return "—"
    match = _REFERENCE.match(ref)
    if match is None or match["kind"] not in REFERENCE_PHRASES:
        return ref
    return i18n.gettext(REFERENCE_PHRASES[match["kind"]]) % {"id": match["id"]}


def money(value: Money) -> str:
    """The one money format, in the page's language: ¥200,000.00 (zh) / CN¥200,000.00
    (en) — the templates' `money` filter and every refusal that names an amount."""
    return format_money(value, "zh_Hans_CN" if i18n.current() == "zh_Hans" else "en")


def error_param(name: str, value: object) -> object:
    """A refusal's parameter as the reader should see it: amounts (Money) in the page's
    language, `status` codes through their label (tender or organization), `action`
    words through the catalog."""
    if isinstance(value, Money):
        return money(value)
    if not isinstance(value, str):
        return value
    if name == "status":
        for domain in ("tender", "organization"):
            if value in LABELS[domain]:
                shown = label(domain, value)
                # The Chinese sentences quote the status themselves.
                return shown if i18n.current() == "zh_Hans" else f"“{shown}”"
        return value
    if name == "action" and value in ACTION_WORDS:
        return i18n.gettext(value)
    return value
