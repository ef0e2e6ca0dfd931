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

from market.labels import N_
from market.outbox import Rendered, Renderer
from market.web.i18n import DEFAULT, LANGUAGES
from notify.words import Words

Compose = Callable[[Mapping[str, Any], Words], tuple[str, str]]


def values(p: Mapping[str, Any], w: Words) -> dict[str, Any]:
    """Every placeholder a message may use, worded for the reader from the params
    present (a message's msgids name only what its kind's params carry)."""

    def money(key: str) -> str:
        return w.money(p.get(key), p.get("currency"))

    found: dict[str, Any] = {"project": w.name(p, "title"), "name": w.name(p, "name")}
    found.update(winner=w.name(p, "winner"), headline=w.name(p, "update_title"))
    for key in ("budget", "price", "amount", "match", "left", "total"):
        found[key] = money(key)
    for key, source in (("deadline", "bid_deadline"), ("at", "at"), ("ends", "standstill_ends")):
        found[key] = w.when(p.get(source))
    found["until"] = w.when(p.get("valid_until"))
    found["due"] = w.day(p["due"]) if p.get("due") else "—"
    found["category"] = w.category(p.get("category"))
    found["n"] = int(p.get("position") or 0)
    found["qualified"] = int(p.get("qualified") or 0)
    for key, source in (("area", "area"), ("receipt", "receipt_no"), ("reason", "reason")):
        found[key] = str(p.get(source) or "—")
    found["deliverable"] = str(p.get("deliverable") or "")
    return found


# Kinds that read the same whatever happened: (subject, text) msgids.
MESSAGES: dict[str, tuple[str, str]] = {
    "tender.matching": (
        N_("New tender: %(project)s"),
        N_(
            "A new tender matches one of your subscriptions:\n\n%(project)s\nCategory:"
            " %(category)s · Area: %(area)s · Budget: %(budget)s\n\nBids are due by"
            " %(deadline)s."
        ),
    ),
    "question.answered": (
        N_("Your question about “%(project)s” was answered"),
        N_(
            "The department answered the question you asked about “%(project)s”. The"
            " answer is published on the tender's page, for everyone who may bid to read."
        ),
    ),
    "bid.reconfirm": (
        N_("Reconfirm your bid: “%(project)s” was amended"),
        N_(
            "The tender “%(project)s” was amended. Your organization's bid must be"
            " reconfirmed or replaced, or it will not be opened.\n\nBids are now due by"
            " %(deadline)s."
        ),
    ),
    "bids.opened": (
        N_("The bids for “%(project)s” were opened"),
        N_(
            "The bids for “%(project)s” were opened; %(qualified)d of them qualified for"
            " evaluation. The opening record is public on the results page."
        ),
    ),
    "standstill.ended": (
        N_("The standstill period of “%(project)s” ended"),
        N_(
            "The standstill period of “%(project)s” ended. The contract with %(winner)s"
            " can now be drawn up and signed, unless a complaint is still open."
        ),
    ),
    "complaint.filed": (
        N_("A complaint was filed about “%(project)s”"),
        N_(
            "A bidder filed a complaint about the award of “%(project)s”. The platform's"
            " operators decide it; the contract cannot be signed while it is open."
        ),
    ),
    "contract.to_sign": (
        N_("A contract is waiting for your signature: “%(project)s”"),
        N_(
            "The contract for “%(project)s” (%(amount)s) is drawn up. It comes into force"
            " once the department and the organization have both signed it."
        ),
    ),
    "milestone.due": (
        N_("Milestone %(n)d of “%(project)s” is due tomorrow"),
        N_(
            "Milestone %(n)d of “%(project)s” (%(deliverable)s, %(amount)s) is due on"
            " %(due)s. Submit its evidence on the contract's page."
        ),
    ),
    "milestone.overdue": (
        N_("Milestone %(n)d of “%(project)s” is overdue"),
        N_(
            "Milestone %(n)d of “%(project)s” (%(deliverable)s, %(amount)s) was due on"
            " %(due)s and has no accepted evidence yet."
        ),
    ),
    "milestone.submitted": (
        N_("Evidence submitted for milestone %(n)d of “%(project)s”"),
        N_(
            "The organization submitted evidence for milestone %(n)d of “%(project)s”"
            " (%(deliverable)s). Review it and approve the milestone to release"
            " %(amount)s, or reject it with a reason."
        ),
    ),
    "milestone.approved": (
        N_("Milestone %(n)d of “%(project)s” approved"),
        N_(
            "Milestone %(n)d of “%(project)s” (%(deliverable)s) was approved and"
            " %(amount)s was released to your organization."
        ),
    ),
    "milestone.rejected": (
        N_("Milestone %(n)d of “%(project)s” was not accepted"),
        N_(
            "The evidence for milestone %(n)d of “%(project)s” (%(deliverable)s) was not"
            " accepted. The department's reason:\n\n%(reason)s\n\nYou may submit new"
            " evidence."
        ),
    ),
    "pledge.matched": (
        N_("Your pledge matched a donation to “%(project)s”"),
        N_(
            "Your pledge matched a donation to “%(project)s” with %(match)s. %(left)s of"
            " the pledge is left."
        ),
    ),
    "pledge.nearly_exhausted": (
        N_("Your pledge is nearly used up"),
        N_(
            "Only %(left)s of your %(total)s pledge is left to match donations. Make a new"
            " pledge to keep matching them."
        ),
    ),
    "pledge.expiring": (
        N_("Your pledge expires in 7 days"),
        N_(
            "Your pledge expires on %(until)s. What is left of it then, %(left)s as of"
            " now, goes back to your organization."
        ),
    ),
}


def deadline_soon(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    if p.get("deadline") == "enquiry":
        subject = N_("Questions about “%(project)s” close in 24 hours")
        text = N_("Questions about the tender “%(project)s” can be asked until %(at)s.")
    elif p.get("reconfirm"):
        subject = N_("Bids for “%(project)s” are due in 24 hours")
        text = N_(
            "Bids for “%(project)s” are due by %(at)s. Your organization's bid still needs"
            " to be reconfirmed after the amendment: a bid that is not reconfirmed is not"
            " opened."
        )
    else:
        subject = N_("Bids for “%(project)s” are due in 24 hours")
        text = N_(
            "Bids for “%(project)s” are due by %(at)s. Your organization's bid is in; you"
            " may replace or withdraw it until then."
        )
    return subject, text


def award_decided(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    if p.get("won"):
        return N_("Your bid won: “%(project)s”"), N_(
            "Your organization's bid for “%(project)s” was awarded the contract, at"
            " %(price)s. The standstill period runs until %(ends)s; the contract follows"
            " after it if no complaint is upheld."
        )
    return N_("“%(project)s” was awarded"), N_(
        "“%(project)s” was awarded to %(winner)s at %(price)s. If you believe the"
        " evaluation was wrong, you may file a complaint until %(ends)s."
    )


def complaint_decided(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    if p.get("outcome") == "upheld":
        return N_("Complaint about “%(project)s” upheld"), N_(
            "The complaint about the award of “%(project)s” was upheld: the award is"
            " cancelled and the bids are evaluated again. The decision and its reasons are"
            " published."
        )
    return N_("Complaint about “%(project)s” dismissed"), N_(
        "The complaint about the award of “%(project)s” was dismissed: the award"
        " stands. The decision and its reasons are published."
    )


def donation_receipt(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    text = w._(
        "Your donation of %(amount)s to “%(project)s” arrived; receipt number"
        " %(receipt)s. It is held for the project until its milestones are approved,"
        " and you can follow every yuan of it on the project's page."
    )
    if int(p.get("match") or 0) > 0:
        text += "\n\n" + w._("A sponsor matched it with %(match)s.")
    return N_("Thank you: your donation to “%(project)s” arrived"), text


def organization_verification(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    decision = p.get("decision")
    if decision == "verify":
        subject = N_("%(name)s is verified")
        text = N_(
            "The platform's operators verified %(name)s. Its members can now take part in"
            " tenders and projects."
        )
    elif decision == "reinstate":
        subject = N_("%(name)s is reinstated")
        text = N_("The platform's operators reinstated %(name)s; it is verified again.")
    elif decision == "suspend":
        subject = N_("%(name)s is suspended")
        text = N_("The platform's operators suspended %(name)s.")
    else:
        subject = N_("The registration of %(name)s was rejected")
        text = N_("The platform's operators rejected the registration of %(name)s.")
    text = w._(text)
    if p.get("reason"):
        text += "\n\n" + w._("Their reason:") + "\n%(reason)s"
    return subject, text


def project_update(p: Mapping[str, Any], w: Words) -> tuple[str, str]:
    text = w._("“%(project)s” posted an update: %(headline)s")
    excerpt = w.name(p, "excerpt").replace("%", "%%")
    return N_("News from “%(project)s”"), (text + "\n\n" + excerpt) if excerpt else text


# Kinds whose words depend on what happened: (params, words) → (subject, text) where
# each is a msgid or text already in the reader's language, still to be filled in.
COMPOSERS: dict[str, Compose] = {
    "deadline.soon": deadline_soon,
    "award.decided": award_decided,
    "complaint.decided": complaint_decided,
    "donation.receipt": donation_receipt,
    "organization.verification": organization_verification,
    "project.update": project_update,
}
KINDS = frozenset(MESSAGES) | frozenset(COMPOSERS)


def html_fragment(text: str) -> str:
    """The text as HTML: escaped, a paragraph per blank-line-separated block."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    return "".join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.splitlines()))
        for b in blocks
    )


def compose(kind: str, params: Mapping[str, Any], lang: str) -> Rendered:
    words = Words(lang if lang in LANGUAGES else DEFAULT)
    if kind in MESSAGES:
        subject, text = MESSAGES[kind]
    else:
        subject, text = COMPOSERS[kind](params, words)
    filled = values(params, words)
    subject = words._(subject) % filled
    text = words._(text) % filled
    return Rendered(" ".join(subject.split()), text, html_fragment(text))


def renderer(kind: str) -> Renderer:
    """The outbox renderer of one kind (KeyError for a kind nobody words)."""
    if kind not in KINDS:
        raise KeyError(kind)

    def render(params: Mapping[str, Any], lang: str) -> Rendered:
        return compose(kind, params, lang)

    return render
