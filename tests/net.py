"""A free TCP port on loopback, for the servers the tests start (the app, SMTP,
localstripe, throw-away PostgreSQL clusters): the one `market backup verify` uses for
its scratch server."""

from __future__ import annotations

from composition.pgtools import free_port

__all__ = ["free_port"]
