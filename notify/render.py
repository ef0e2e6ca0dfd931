"""How each kind of notification reads, in the recipient's language: a subject, a plain
text and an escaped HTML fragment (`market.outbox.Rendered`). The outbox calls these
when it sends an e-mail, the inbox when it shows a message (registered per kind by
composition/wiring.py; `renderer(kind)`).

A message's params (written by `notify.events`, `notify.reminders` and the project
updates' fan-out) hold ids, both languages' names (`title_zh`/`title_en`, …), amounts
in minor units with their currency and times as ISO text; the words, money (as the site
shows it, `market.money.format_money`), dates (Beijing time) and labels of codes are
chosen here, so a message never shows a code. A project update (kind
"project.update") reads: tender, title_zh/title_en (the project), update_title_zh /
update_title_en and excerpt_zh / excerpt_en (the update, as written; either may be "").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from market.outbox import Rendered, Renderer
from market.web.i18n import DEFAULT, LANGUAGES
from notify.words import Words

Compose = Callable[[Mapping[str, Any], Words], tuple[str, str]]


def _project(p: Mapping[str, Any], w: Words) -> dict[str, str]:
    return {"project": w.name(p, "title")}


def tender_matching(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        **_project(p, w),
        "category": w.category(p.get("category")),
        "area": str(p.get("area") or "—"),
        "budget": w.money(p.get("budget"), p.get("currency")),
        "deadline": w.when(p.get("bid_deadline")),
    }
    subject = w._("New tender: %(project)s") % values
    text = w._(
        "A new tender matches one of your subscriptions:\n\n%(project)s\n"
        "Category: %(category)s · Area: %(area)s · Budget: %(budget)s\n\n"
        "Bids are due by %(deadline)s."
    )
    return subject, text % values


def question_answered(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _project(p, w)
    subject = w._("Your question about “%(project)s” was answered") % values
    text = w._(
        "The department answered the question you asked about “%(project)s”. The answer"
        " is published on the tender's page, for everyone who may bid to read."
    )
    return subject, text % values


def bid_reconfirm(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "deadline": w.when(p.get("bid_deadline"))}
    subject = w._("Reconfirm your bid: “%(project)s” was amended") % values
    text = w._(
        "The tender “%(project)s” was amended. Your organization's bid must be reconfirmed"
        " or replaced, or it will not be opened.\n\nBids are now due by %(deadline)s."
    )
    return subject, text % values


def deadline_soon(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "at": w.when(p.get("at"))}
    if p.get("deadline") == "enquiry":
        subject = w._("Questions about “%(project)s” close in 24 hours")
        text = w._("Questions about the tender “%(project)s” can be asked until %(at)s.")
    elif p.get("reconfirm"):
        subject = w._("Bids for “%(project)s” are due in 24 hours")
        text = w._(
            "Bids for “%(project)s” are due by %(at)s. Your organization's bid still needs"
            " to be reconfirmed after the amendment: a bid that is not reconfirmed is not"
            " opened."
        )
    else:
        subject = w._("Bids for “%(project)s” are due in 24 hours")
        text = w._(
            "Bids for “%(project)s” are due by %(at)s. Your organization's bid is in; you"
            " may replace or withdraw it until then."
        )
    return subject % values, text % values


def bids_opened(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "qualified": int(p.get("qualified") or 0)}
    subject = w._("The bids for “%(project)s” were opened") % values
    text = w._(
        "The bids for “%(project)s” were opened; %(qualified)d of them qualified for"
        " evaluation. The opening record is public on the results page."
    )
    return subject, text % values


def award_decided(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        **_project(p, w),
        "winner": w.name(p, "winner"),
        "price": w.money(p.get("price"), p.get("currency")),
        "ends": w.when(p.get("standstill_ends")),
    }
    if p.get("won"):
        subject = w._("Your bid won: “%(project)s”")
        text = w._(
            "Your organization's bid for “%(project)s” was awarded the contract, at"
            " %(price)s. The standstill period runs until %(ends)s; the contract follows"
            " after it if no complaint is upheld."
        )
    else:
        subject = w._("“%(project)s” was awarded")
        text = w._(
            "“%(project)s” was awarded to %(winner)s at %(price)s. If you believe the"
            " evaluation was wrong, you may file a complaint until %(ends)s."
        )
    return subject % values, text % values


def standstill_ended(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "winner": w.name(p, "winner")}
    subject = w._("The standstill period of “%(project)s” ended") % values
    text = w._(
        "The standstill period of “%(project)s” ended. The contract with %(winner)s can"
        " now be drawn up and signed, unless a complaint is still open."
    )
    return subject, text % values


def complaint_filed(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _project(p, w)
    subject = w._("A complaint was filed about “%(project)s”") % values
    text = w._(
        "A bidder filed a complaint about the award of “%(project)s”. The platform's"
        " operators decide it; the contract cannot be signed while it is open."
    )
    return subject, text % values


def complaint_decided(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _project(p, w)
    if p.get("outcome") == "upheld":
        subject = w._("Complaint about “%(project)s” upheld")
        text = w._(
            "The complaint about the award of “%(project)s” was upheld: the award is"
            " cancelled and the bids are evaluated again. The decision and its reasons are"
            " published."
        )
    else:
        subject = w._("Complaint about “%(project)s” dismissed")
        text = w._(
            "The complaint about the award of “%(project)s” was dismissed: the award"
            " stands. The decision and its reasons are published."
        )
    return subject % values, text % values


def contract_to_sign(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "amount": w.money(p.get("amount"), p.get("currency"))}
    subject = w._("A contract is waiting for your signature: “%(project)s”") % values
    text = w._(
        "The contract for “%(project)s” (%(amount)s) is drawn up. It comes into force"
        " once the department and the organization have both signed it."
    )
    return subject, text % values


def _milestone(p: Mapping[str, Any], w: Words) -> dict[str, Any]:
    return {
        **_project(p, w),
        "n": int(p.get("position") or 0),
        "deliverable": str(p.get("deliverable") or ""),
        "due": w.day(p["due"]) if p.get("due") else "—",
        "amount": w.money(p.get("amount"), p.get("currency")),
    }


def milestone_due(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _milestone(p, w)
    subject = w._("Milestone %(n)d of “%(project)s” is due tomorrow") % values
    text = w._(
        "Milestone %(n)d of “%(project)s” (%(deliverable)s, %(amount)s) is due on"
        " %(due)s. Submit its evidence on the contract's page."
    )
    return subject, text % values


def milestone_overdue(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _milestone(p, w)
    subject = w._("Milestone %(n)d of “%(project)s” is overdue") % values
    text = w._(
        "Milestone %(n)d of “%(project)s” (%(deliverable)s, %(amount)s) was due on"
        " %(due)s and has no accepted evidence yet."
    )
    return subject, text % values


def milestone_submitted(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _milestone(p, w)
    subject = w._("Evidence submitted for milestone %(n)d of “%(project)s”") % values
    text = w._(
        "The organization submitted evidence for milestone %(n)d of “%(project)s”"
        " (%(deliverable)s). Review it and approve the milestone to release %(amount)s,"
        " or reject it with a reason."
    )
    return subject, text % values


def milestone_approved(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = _milestone(p, w)
    subject = w._("Milestone %(n)d of “%(project)s” approved") % values
    text = w._(
        "Milestone %(n)d of “%(project)s” (%(deliverable)s) was approved and %(amount)s"
        " was released to your organization."
    )
    return subject, text % values


def milestone_rejected(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_milestone(p, w), "reason": str(p.get("reason") or "—")}
    subject = w._("Milestone %(n)d of “%(project)s” was not accepted") % values
    text = w._(
        "The evidence for milestone %(n)d of “%(project)s” (%(deliverable)s) was not"
        " accepted. The department's reason:\n\n%(reason)s\n\nYou may submit new evidence."
    )
    return subject, text % values


def donation_receipt(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        **_project(p, w),
        "amount": w.money(p.get("amount"), p.get("currency")),
        "receipt": str(p.get("receipt_no") or "—"),
        "match": w.money(p.get("match"), p.get("currency")),
    }
    subject = w._("Thank you: your donation to “%(project)s” arrived") % values
    text = w._(
        "Your donation of %(amount)s to “%(project)s” arrived; receipt number"
        " %(receipt)s. It is held for the project until its milestones are approved,"
        " and you can follow every yuan of it on the project's page."
    )
    if int(p.get("match") or 0) > 0:
        text += "\n\n" + w._("A sponsor matched it with %(match)s.")
    return subject, text % values


def pledge_matched(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        **_project(p, w),
        "match": w.money(p.get("match"), p.get("currency")),
        "left": w.money(p.get("left"), p.get("currency")),
    }
    subject = w._("Your pledge matched a donation to “%(project)s”") % values
    text = w._(
        "Your pledge matched a donation to “%(project)s” with %(match)s."
        " %(left)s of the pledge is left."
    )
    return subject, text % values


def pledge_nearly_exhausted(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        "left": w.money(p.get("left"), p.get("currency")),
        "total": w.money(p.get("total"), p.get("currency")),
    }
    subject = w._("Your pledge is nearly used up")
    text = w._(
        "Only %(left)s of your %(total)s pledge is left to match donations. Make a new"
        " pledge to keep matching them."
    )
    return subject, text % values


def pledge_expiring(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {
        "left": w.money(p.get("left"), p.get("currency")),
        "until": w.when(p.get("valid_until")),
    }
    subject = w._("Your pledge expires in 7 days")
    text = w._(
        "Your pledge expires on %(until)s. What is left of it then, %(left)s as of now,"
        " goes back to your organization."
    )
    return subject, text % values


def organization_verification(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {"name": w.name(p, "name")}
    decision = p.get("decision")
    if decision == "verify":
        subject = w._("%(name)s is verified")
        text = w._(
            "The platform's operators verified %(name)s. Its members can now take part in"
            " tenders and projects."
        )
    elif decision == "reinstate":
        subject = w._("%(name)s is reinstated")
        text = w._("The platform's operators reinstated %(name)s; it is verified again.")
    elif decision == "suspend":
        subject = w._("%(name)s is suspended")
        text = w._("The platform's operators suspended %(name)s.")
    else:
        subject = w._("The registration of %(name)s was rejected")
        text = w._("The platform's operators rejected the registration of %(name)s.")
    text = text % values
    if p.get("reason"):
        text += "\n\n" + w._("Their reason:") + "\n" + str(p["reason"])
    return subject % values, text


def project_update(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    values = {**_project(p, w), "headline": w.name(p, "update_title")}
    subject = w._("News from “%(project)s”") % values
    text = w._("“%(project)s” posted an update: %(headline)s") % values
    excerpt = w.name(p, "excerpt")
    return subject, (text + "\n\n" + excerpt) if excerpt else text


COMPOSERS: dict[str, Compose] = {
    "tender.matching": tender_matching,
    "question.answered": question_answered,
    "deadline.soon": deadline_soon,
    "bid.reconfirm": bid_reconfirm,
    "bids.opened": bids_opened,
    "award.decided": award_decided,
    "standstill.ended": standstill_ended,
    "complaint.filed": complaint_filed,
    "complaint.decided": complaint_decided,
    "contract.to_sign": contract_to_sign,
    "milestone.due": milestone_due,
    "milestone.overdue": milestone_overdue,
    "milestone.submitted": milestone_submitted,
    "milestone.approved": milestone_approved,
    "milestone.rejected": milestone_rejected,
    "donation.receipt": donation_receipt,
    "project.update": project_update,
    "pledge.matched": pledge_matched,
    "pledge.nearly_exhausted": pledge_nearly_exhausted,
    "pledge.expiring": pledge_expiring,
    "organization.verification": organization_verification,
}


def html_fragment(text: str) -> str:
    """The text as HTML: escaped, a paragraph per blank-line-separated block."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    return "".join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.splitlines()))
        for b in blocks
    )


def compose(kind: str, params: Mapping[str, Any], lang: str) -> Rendered:
    words = Words(lang if lang in LANGUAGES else DEFAULT)
    subject, text = COMPOSERS[kind](params, words)
    return Rendered(" ".join(subject.split()), text, html_fragment(text))


def renderer(kind: str) -> Renderer:
    """The outbox renderer of one kind (KeyError for a kind nobody words)."""
    if kind not in COMPOSERS:
        raise KeyError(kind)

    def render(params: Mapping[str, Any], lang: str) -> Rendered:
        return compose(kind, params, lang)

    return render
