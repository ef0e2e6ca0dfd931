"""The page walk's machinery: which words are raw codes, which are untranslated
msgids, how pages are discovered, and the checks run inside each page.

The walk itself is tests/e2e/test_walk.py; tests/e2e/test_walk_checks.py proves
every check here can fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1.min.js"
MOBILE = {"width": 390, "height": 844}
AXE_IMPACTS = ("serious", "critical")

# Links the walk does not follow: data files, downloads, the API and its schema.
SKIP_PREFIXES = (
    "/api/",
    "/ocds/",
    "/360giving/",
    "/static/",
    "/evidence/",
    "/webhooks/",
    "/updates/photos/",
    "/feeds/",
)
# "/html": the dev mail page's view of an e-mail's own HTML document, shown as it was
# sent (in its recipient's language, whatever the walker's).
SKIP_SUFFIXES = (".json", ".csv", ".pdf", ".xml", ".svg", ".txt", ".zip", ".atom", "/html")
# A reference to a domain object shown as a code, e.g. "milestone:2" or "donation:17".
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+")
REFERENCE = re.compile(r"\b[a-z_]+:\d+\b")


@cache
def raw_codes() -> frozenset[str]:
    """Every status and kind code of the state machines and tables, which a page
    must show through a label, never as is."""
    from bids import rules as bid_rules
    from donors import rules as donor_rules
    from market import organization_rules
    from market.ledger import rules as ledger_rules
    from market.tenders import rules as tender_rules

    codes: set[str] = set()
    for machine in bid_rules.MACHINES.values():
        for status, targets in machine.items():
            codes.add(status)
            codes.update(targets)
    codes.update(tender_rules.STATUSES)
    codes.update(organization_rules.STATUSES)
    codes.update(organization_rules.KINDS)
    codes.update(donor_rules.PROVIDERS)
    codes.update(ledger_rules.KINDS)
    # Columns whose states live only in the tables' comments (donors/tables.py,
    # bids/tables.py): payments, pledges, donations' match, contributions, panel seats.
    codes.update(
        {
            "awaiting_funds",
            "awaiting",
            "succeeded",
            "failed",
            "received",
            "returned",
            "reserved",
            "posted",
            "released",
            "paid",
            "refunded",
            "appointed",
            "declared",
            "recused",
            "own_income",
            "sponsorship",
            "donation",
            "pledge",
            "bank_transfer",
        }
    )
    # Words too common in ordinary English sentences and names to flag alone.
    return frozenset(codes - {"single", "post", "void", "draft", "company", "foundation"})


# Capitalised codes seen rendered as is (ledger kinds and reasons).
CAPITALISED_CODES = frozenset({"Donation", "Sponsorship", "Returned", "Pledge", "Own income"})


@cache
def chinese() -> dict[str, str]:
    """msgid → its zh-Hans translation (singular messages with one)."""
    path = ROOT / "market" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str) and message.id and isinstance(message.string, str)
    }


@cache
def untranslated_msgids() -> frozenset[str]:
    """msgids whose Chinese translation differs from them: seeing one of these on a
    zh-Hans page means a string skipped the catalog."""
    found = set()
    for msgid, text in chinese().items():
        if text and text.strip() != msgid.strip() and len(msgid.strip()) > 1:
            found.add(msgid.strip())
    return frozenset(found)


def text_problems(texts: Iterable[str], codes: frozenset[str], msgids: frozenset[str]) -> list[str]:
    """The zh-Hans text nodes that are untranslated msgids or raw codes."""
    problems = []
    for text in texts:
        clean = " ".join(text.split())
        if not clean:
            continue
        if clean in msgids or clean.rstrip(":：") in msgids:
            problems.append(f"untranslated msgid {clean!r}")
            continue
        if clean in CAPITALISED_CODES:
            problems.append(f"raw code {clean!r}")
            continue
        words = EMAIL_OR_URL.sub(" ", clean)
        tokens = re.findall(r"[A-Za-z_]+", words)
        raw = [t for t in tokens if t in codes]
        if raw:
            problems.append(f"raw code {raw[0]!r} in {clean[:80]!r}")
            continue
        reference = REFERENCE.search(clean)
        if reference:
            problems.append(f"raw reference {reference.group(0)!r} in {clean[:80]!r}")
    return problems


def english_text_problems(texts: Iterable[str], codes: frozenset[str]) -> list[str]:
    """On English pages the words are English already; a code still shows itself by
    its underscore (`needs_reconfirm`) or as a reference (`milestone:2`)."""
    problems = []
    for text in texts:
        clean = EMAIL_OR_URL.sub(" ", " ".join(text.split()))
        raw = [t for t in re.findall(r"[a-z]+_[a-z_]+", clean) if t in codes]
        if raw:
            problems.append(f"raw code {raw[0]!r} in {clean[:80]!r}")
            continue
        reference = REFERENCE.search(clean)
        if reference:
            problems.append(f"raw reference {reference.group(0)!r} in {clean[:80]!r}")
    return problems


def route_pattern(url: str) -> str:
    """One representative per route: numeric path segments collapse to {id}."""
    path = urlparse(url).path.rstrip("/") or "/"
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def same_origin_links(base: str, page_url: str, hrefs: Iterable[str]) -> list[str]:
    origin = urlparse(base)
    found = []
    for href in hrefs:
        if not href or href.startswith(("mailto:", "tel:", "javascript:")):
            continue
        absolute, _ = urldefrag(urljoin(page_url, href))
        parts = urlparse(absolute)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            continue
        if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
            continue
        if parts.path.endswith("/receipt") and "donations" in parts.path:
            pass  # the HTML receipt is a page; its PDF is skipped by suffix
        found.append(absolute)
    return found


def page_routes(app: Any) -> dict[str, re.Pattern[str]]:
    """The app's GET routes that serve pages (not data, files or probes), as regexes."""
    routes = {}
    for route in app.routes:
        path = route.path
        if "GET" not in getattr(route, "methods", set()) or path in ("/healthz", "/readyz"):
            continue
        if (
            path.startswith(SKIP_PREFIXES)
            or path.startswith("/api")
            or path.endswith(SKIP_SUFFIXES)
        ):
            continue
        pattern = re.sub(r"\{[^}:]+:int\}", r"\\d+", path)
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", pattern)
        routes[path] = re.compile(f"^{pattern}$")
    return routes


def unreached(routes: dict[str, re.Pattern[str]], visited: Iterable[str]) -> list[str]:
    paths = [urlparse(url).path for url in visited]
    return sorted(r for r, regex in routes.items() if not any(regex.match(p) for p in paths))


@dataclass
class Failure:
    role: str
    language: str
    url: str
    check: str
    detail: str

    def line(self) -> str:
        return f"{self.role:<12} {self.language:<7} {self.check:<10} {self.url}  {self.detail}"


@dataclass
class Report:
    failures: list[Failure] = field(default_factory=list)
    pages: int = 0
    checked: dict[str, int] = field(default_factory=dict)
    # (language, route pattern, hash of <main>) already run through axe-core: the same
    # content seen by another role is not scanned twice (each walk's first page,
    # with its role's header, always is).
    axe_seen: set[tuple[str, str, str]] = field(default_factory=set)
    axe_runs: int = 0
    visited: set[str] = field(default_factory=set)

    def add(self, failure: Failure) -> None:
        self.failures.append(failure)

    def summary(self) -> str:
        self.failures.sort(key=lambda f: (f.role, f.language, f.url, f.check))
        counts: dict[str, int] = {}
        for failure in self.failures:
            counts[failure.check] = counts.get(failure.check, 0) + 1
        head = f"walk: {self.pages} pages; failures by check: " + (
            ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
        )
        return "\n".join([head, *(f.line() for f in self.failures)])


# Runs in the page: inputs showing "None", the visible text nodes (with the
# language they are marked as), and the widest element past the viewport.
PAGE_PROBE = """() => {
  const none = [];
  for (const el of document.querySelectorAll('input, textarea')) {
    if (el.value === 'None' || (el.getAttribute('value') || '') === 'None') {
      none.push(el.name || el.id || el.outerHTML.slice(0, 80));
    }
  }
  const scripted = [...document.querySelectorAll('a[href]')]
    .map(a => a.getAttribute('href')).filter(h => /^\\s*javascript:/i.test(h));
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const skip = new Set(['SCRIPT', 'STYLE', 'CODE', 'PRE', 'KBD', 'SAMP', 'NOSCRIPT', 'TEMPLATE']);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || skip.has(parent.tagName) || parent.closest('code, pre, svg')) continue;
    const text = node.textContent.trim();
    if (!text) continue;
    const marked = parent.closest('[lang]');
    const lang = marked ? marked.getAttribute('lang') : '';
    const box = parent.getBoundingClientRect();
    const style = getComputedStyle(parent);
    const hidden = parent.tagName === 'OPTION' ? false
      : style.visibility === 'hidden' || style.display === 'none'
      || (box.width === 0 && box.height === 0 && !parent.closest('.visually-hidden, .sr-only'));
    if (hidden) continue;
    texts.push([text, lang.toLowerCase().startsWith('zh') ? 'zh' : 'en']);
  }
  // Chart labels as rendered: the SVG's font size times its scale on screen.
  const tiny = [];
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.viewBox && svg.viewBox.baseVal;
    const shown = svg.getBoundingClientRect().width;
    if (!box || !box.width || !shown) continue;
    const scale = shown / box.width;
    for (const text of svg.querySelectorAll('text')) {
      const size = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (size < 11.5) {
        tiny.push(`${text.textContent.trim().slice(0, 30)} at ${size.toFixed(1)}px`);
        break;
      }
    }
  }
  const root = document.scrollingElement;
  const overflow = root.scrollWidth > root.clientWidth;
  let widest = null;
  if (overflow) {
    const limit = root.clientWidth;
    let best = 0;
    for (const el of document.body.querySelectorAll('*')) {
      const right = el.getBoundingClientRect().right + window.scrollX;
      if (right > limit + 0.5) {
        // The outermost offender inside a non-overflowing ancestor explains it best.
        let inside = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          const r = a.getBoundingClientRect().right + window.scrollX;
          if (r > limit + 0.5) { inside = true; break; }
        }
        if (!inside && right > best) {
          best = right;
          const cls = el.className && typeof el.className === 'string'
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
          const id = el.id ? '#' + el.id : '';
          widest = `${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(right)}px`;
        }
      }
    }
  }
  return {
    none, scripted, texts, overflow, tiny,
    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest,
    htmlLang: document.documentElement.getAttribute('lang') || '',
    title: document.title,
  };
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


MAIN_SIGNATURE = """() => {
  const main = document.querySelector('main');
  return main ? main.innerHTML.replace(/value="[^"]*"/g, '') : document.body.innerHTML;
}"""


async def main_signature(page: Any) -> str:
    html: str = await page.evaluate(MAIN_SIGNATURE)
    return hashlib.sha256(html.encode()).hexdigest()


async def settle(page: Any, seconds: float = 5) -> None:
    """Wait for htmx requests the page started by itself (hx-trigger=load) to land:
    a half-faded region in flight is not what a reader ends up with."""
    deadline = asyncio.get_running_loop().time() + seconds
    while await page.evaluate("() => !!document.querySelector('.htmx-request, .htmx-settling')"):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.05)


async def probe(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(PAGE_PROBE)
    return result


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(AXE_RUN)
    return [v for v in violations if v.get("impact") in AXE_IMPACTS]


async def check_page(page: Any, *, language: str, record: Any, run_axe: bool = True) -> None:
    """Run every check on the loaded page; record(check, detail) for each failure."""
    await settle(page)
    found = await probe(page)
    for name in found["none"]:
        record("none", f"input {name} holds 'None'")
    for href in found["scripted"]:
        record("jsurl", f"link to {href!r} (blocked by our CSP; use a button and app.js)")
    brand = chinese()["Public Good Market"] if language == "zh_Hans" else "Public Good Market"
    title = " ".join(str(found["title"]).split())
    if not title or (title == f"{brand} · {brand}" and urlparse(page.url).path != "/"):
        record("title", f"page has no title of its own: {title!r}")
    expected_lang = "zh-Hans" if language == "zh_Hans" else "en"
    if found["htmlLang"] != expected_lang:
        record("lang", f"<html lang={found['htmlLang']!r}>, expected {expected_lang!r}")
    if language == "zh_Hans":
        zh_texts = [text for text, marked in found["texts"] if marked == "zh"]
        for problem in text_problems(zh_texts, raw_codes(), untranslated_msgids()):
            record("text", problem)
    else:
        en_texts = [text for text, marked in found["texts"] if marked == "en"]
        for problem in english_text_problems(en_texts, raw_codes()):
            record("text", problem)
    for label in found["tiny"]:
        record("chart", f"chart label shrinks below 12 px: {label}")
    if found["overflow"]:
        record(
            "overflow",
            f"scrollWidth {found['scrollWidth']} > {found['clientWidth']}; "
            f"widest {found['widest']}",
        )
    if run_axe:
        for violation in await axe_violations(page):
            record(
                "axe",
                f"{violation['impact']} {violation['id']}: {violation['help']} "
                f"at {', '.join(violation['targets'])}",
            )
