"""The e-mail of a notification (`market.outbox.register_layout`, wired by
composition.wiring): the renderer's subject, text and HTML fragment wrapped in the
site's mail layout — the link as a button with its absolute address, a footer saying
why the recipient gets it and, unless the kind is mandatory, the unsubscribe link and
the RFC 8058 headers (`List-Unsubscribe`, `List-Unsubscribe-Post`).

It runs with the recipient's language active (market.outbox.compose), so `_()` and
the templates speak it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from market.outbox import Addressed, Letter, Rendered
from market.settings import get_settings
from market.web.i18n import gettext as _
from market.web.render import environment
from notify import unsubscribe
from notify.kinds import KINDS

PREFERENCES = "/notifications/preferences"  # the preferences page (notify.controllers)
FONTS = Markup(
    "'Noto Sans SC','PingFang SC','Microsoft YaHei',-apple-system,'Segoe UI',Arial,sans-serif"
)


def _why(addressed: Addressed) -> str:
    kind = KINDS.get(addressed.kind)
    if kind is None or kind.mandatory:
        return _("You receive this e-mail because it concerns your account or organization.")
    label = _(kind.label)
    if addressed.user_id is None:
        return _(
            "You receive this e-mail because this address was given to Public Good Market"
            " for “%(kind)s”."
        ) % {"kind": label}
    return _(
        "You receive this e-mail because “%(kind)s” is switched on in your notification"
        " settings on Public Good Market."
    ) % {"kind": label}


def _paragraphs(text: str) -> Markup:
    """Plain text as HTML: paragraphs at blank lines, line breaks kept, all escaped."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return Markup("").join(
        Markup('<p style="margin:0 0 14px;">{}</p>').format(
            Markup("<br>").join(escape(line) for line in block.strip().split("\n"))
        )
        for block in blocks
    )


def _text(
    rendered: Rendered, link: str, why: str, unsubscribe_url: str | None, settings_url: str
) -> str:
    lines = [rendered.text.rstrip(), ""]
    if link:
        lines += [f"{_('Open on Public Good Market')}: {link}", ""]
    lines += ["-- ", why]
    if unsubscribe_url:
        lines.append(f"{_('Unsubscribe from these e-mails')}: {unsubscribe_url}")
    if settings_url:
        lines.append(f"{_('Notification settings')}: {settings_url}")
    lines.append(f"{_('Public Good Market')} · {get_settings().base_url.rstrip('/')}")
    return "\n".join(lines) + "\n"


def layout(addressed: Addressed, rendered: Rendered) -> Letter:
    """A notification as a multipart e-mail with its unsubscribe headers."""
    site = get_settings().base_url.rstrip("/")
    link = f"{site}{addressed.link}" if addressed.link.startswith("/") else addressed.link
    why = _why(addressed)
    stop = unsubscribe.url(
        addressed.kind, user_id=addressed.user_id, address=addressed.recipient,
        lang=addressed.lang,
    )  # fmt: skip
    settings_url = f"{site}{PREFERENCES}" if addressed.user_id is not None else ""
    body = Markup(rendered.html) if rendered.html else _paragraphs(rendered.text)  # noqa: S704 - the renderer escapes
    html = environment().get_template("notify/email/layout.html").render(
        subject=rendered.subject, body=body, link=link, site=site, why=why, unsubscribe=stop,
        settings_url=settings_url,
        preview=rendered.text.strip().split("\n", 1)[0][:140], fonts=FONTS,
        html_lang="zh-Hans" if addressed.lang == "zh_Hans" else addressed.lang or "zh-Hans",
    )  # fmt: skip
    headers: tuple[tuple[str, str], ...] = ()
    if stop:
        headers = (
            ("List-Unsubscribe", f"<{stop}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
    text = _text(rendered, link, why, stop, settings_url)
    return Letter(rendered.subject, text, html, headers)
