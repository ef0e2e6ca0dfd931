"""Logs as JSON, one object a line, each carrying the request it belongs to.

Every line has `time` (UTC, ISO 8601 with milliseconds), `level`, `logger`, `message`,
`request_id` and `route` (the request being served when it was written, else null),
`status` and `duration_ms` (the access line of each request: `market.access`, written
by `market.web.request_context`), and `exception` when one was logged. `market serve`
(its main process and every worker, granian's own lines included) and `market worker`
log this way; MARKET_LOG_FORMAT=text gives the old one-line text instead.

The request's id and route live in context variables: a line logged anywhere while a
request is being served (a service, a job started by it) carries them.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
route: ContextVar[str | None] = ContextVar("route", default=None)

FIELDS = ("time", "level", "logger", "message", "request_id", "route", "status", "duration_ms")
_EXTRA = ("method", "path", "client", "db")  # an access line's further fields, when given


class JsonFormatter(logging.Formatter):
    """One JSON object per record (no newline inside: messages are escaped by json)."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "route": getattr(record, "route", None) or route.get(),
            "status": getattr(record, "status", None),
            "duration_ms": getattr(record, "duration_ms", None),
        }
        for name in _EXTRA:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_wanted() -> bool:
    return os.environ.get("MARKET_LOG_FORMAT", "json") != "text"


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for our loggers and granian's, to stderr."""
    formatter = (
        {"()": "market.logs.JsonFormatter"}
        if json_wanted()
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "market": {"level": level},
            "_granian": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def configure(level: str = "INFO") -> None:
    """Send every log line to stderr in the chosen format (a process calls it once)."""
    logging.config.dictConfig(dict_config(level))
