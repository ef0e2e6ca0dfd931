"""deploy/CONFIG.md explains every environment variable the app reads: a setting added
to market/settings.py (or read elsewhere with os.environ) without its line there fails
here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("composition", "market", "bids", "donors", "opendata", "notify")
# env.get("X" / os.environ.get("X" / _int(env, "X" / _flag(env, "X" / _positive(env, "X" …
READ = re.compile(r"""(?:environ|env)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']|"""
                  r"""_(?:int|flag|positive)\(\s*env,\s*["']([A-Z][A-Z0-9_]+)["']""")  # fmt: skip


def variables_read() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for match in READ.finditer(path.read_text(encoding="utf-8")):
                found.add(match.group(1) or match.group(2))
    return found


def test_every_variable_the_app_reads_is_explained_in_the_config_reference() -> None:
    names = variables_read()
    assert {"DATABASE_URL", "SECRET_KEY", "MARKET_BID_KEY", "MARKET_DONATION_MAX"} <= names
    reference = (ROOT / "deploy" / "CONFIG.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in reference)
    assert missing == []
