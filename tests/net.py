"""Loopback services for the tests: a free TCP port for the servers they start (the app,
SMTP, localstripe, throw-away PostgreSQL clusters: the one `market backup verify` uses
for its scratch server), and a Redis database of each engine pass's own."""

from __future__ import annotations

import os

from composition.pgtools import free_port

__all__ = ["free_port", "pass_redis_url"]


def pass_redis_url(db: int) -> str:
    """Redis on 127.0.0.1:6379, database `db` (12–15) in the SQLite pass and `db` − 4 in
    the PostgreSQL pass: `make test` runs the two passes side by side, and a test that
    flushes its database must not flush the one the other pass is counting in."""
    if not 12 <= db <= 15:
        raise ValueError("the tests' Redis databases are 12 to 15")
    postgres = os.environ.get("MARKET_TEST_ENGINE") == "postgres"
    return f"redis://127.0.0.1:6379/{db - 4 if postgres else db}"
