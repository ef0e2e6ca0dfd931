"""One recipient's language for the notify app's messages (`notify.render`) and pages:
translations, money as the site shows it, Beijing times and dates, names and the
labels of codes — chosen per recipient, not per request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime

from market.labels import N_
from market.money import Money, format_money
from market.web.i18n import translations

BEIJING = ZoneInfo("Asia/Shanghai")
# The same msgids as templates/market/_labels.html's category().
CATEGORIES = {
    "software_services": N_("Software services"),
    "science_technology": N_("Science & technology"),
    "dispute_mediation": N_("Dispute mediation"),
    "coordination_management": N_("Coordination & management"),
    "charity": N_("Charity"),
    "community_services": N_("Community services"),
}


@dataclass(frozen=True, slots=True)
class Words:
    """One recipient's language: translations, money, times and names in it."""

    lang: str

    def _(self, message: str) -> str:
        return translations(self.lang).gettext(message)

    @property
    def locale(self) -> Locale:
        return Locale.parse("zh_Hans_CN" if self.lang == "zh_Hans" else "en")

    def money(self, amount: Any, currency: Any) -> str:
        money = Money(int(amount or 0), str(currency or "CNY"))
        return format_money(money, "zh_Hans_CN" if self.lang == "zh_Hans" else "en")

    def when(self, iso: Any) -> str:
        if not iso:
            return "—"
        at = datetime.fromisoformat(str(iso))
        return str(format_datetime(at, "medium", tzinfo=BEIJING, locale=self.locale))

    def day(self, iso: Any) -> str:
        return str(format_date(date.fromisoformat(str(iso)[:10]), "medium", locale=self.locale))

    def name(self, params: Mapping[str, Any], prefix: str) -> str:
        """`prefix_zh` / `prefix_en` in this language (the other when one is empty)."""
        zh, en = str(params.get(f"{prefix}_zh") or ""), str(params.get(f"{prefix}_en") or "")
        return (en or zh) if self.lang == "en" else (zh or en)

    def category(self, code: Any) -> str:
        msgid = CATEGORIES.get(str(code or ""))
        return self._(msgid) if msgid else "—"
