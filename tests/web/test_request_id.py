"""Every response carries a request id (a sane incoming X-Request-ID is kept, anything
else replaced), error pages show it in the reader's language so a person can quote it,
and every log line is one JSON object carrying it."""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
from typing import Any

import httpx
import pytest

from market import logs
from market.db import engine

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
GENERATED = re.compile(r"[0-9a-f]{16}")


async def test_a_response_gets_a_fresh_id_and_two_requests_get_two(client) -> None:
    first, second = await client.get("/healthz"), await client.get("/healthz")
    assert GENERATED.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("given", ["edge-1f2e.a_b", "A" * 64, "0"])
async def test_a_sane_incoming_id_is_kept(client, given: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    "given", ["", "A" * 65, "has space", "semi;colon", "<script>", "naïve", "a\tb"]
)
async def test_anything_else_is_replaced(client, given: str) -> None:
    response = await client.get("/healthz", headers=[("X-Request-ID", given.encode("utf-8"))])
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_a_404_page_shows_its_id_in_both_languages(client) -> None:
    english = await client.get("/no/such/page", headers={**EN, "X-Request-ID": "quote-me-1"})
    assert english.status_code == 404
    assert english.headers["x-request-id"] == "quote-me-1"
    assert "quote the request ID quote-me-1" in english.text
    chinese = await client.get("/no/such/page", headers={**ZH, "X-Request-ID": "quote-me-2"})
    assert chinese.status_code == 404
    assert "请求编号 quote-me-2" in chinese.text
    assert "quote the request ID" not in chinese.text


async def test_a_refusal_on_a_known_route_shows_its_id(client) -> None:
    response = await client.get("/tenders/999999", headers=EN)
    assert response.status_code == 404
    assert f"quote the request ID {response.headers['x-request-id']}" in response.text


async def test_a_500_page_shows_its_id_and_the_log_line_names_it(
    fresh_db, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("no such column: nope")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("market")
    monkeypatch.setattr(logger, "level", logging.INFO)
    logger.addHandler(handler)
    monkeypatch.setattr(type(engine()), "run_querystring", broken)
    try:
        page = await client.get("/tenders", headers={**ZH, "X-Request-ID": "boom-7"})
        api = await client.get("/api/v1/tenders", headers={**EN, "X-Request-ID": "boom-8"})
    finally:
        logger.removeHandler(handler)
    assert page.status_code == 500 and "请求编号 boom-7" in page.text
    assert api.status_code == 500 and api.json()["request_id"] == "boom-8"
    lines = [json.loads(text) for text in stream.getvalue().splitlines()]  # one object a line
    error = next(line for line in lines if line["logger"] == "market.web")
    assert error["request_id"] == "boom-7" and error["level"] == "error"
    assert "Traceback" in error["exception"]
    access = [line for line in lines if line["logger"] == "market.access"]
    assert [(a["request_id"], a["status"], a["route"]) for a in access] == [
        ("boom-7", 500, "/tenders"),
        ("boom-8", 500, "/api/v1/tenders"),
    ]


async def test_the_access_line_is_one_json_object_with_every_field(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="market.access"):
        response = await client.get("/tenders/42", headers={"X-Request-ID": "line-1"})
    [record] = [r for r in caplog.records if r.name == "market.access"]
    text = logs.JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert set(logs.FIELDS) <= set(line)
    assert line["request_id"] == "line-1" == response.headers["x-request-id"]
    assert (line["route"], line["status"], line["level"]) == ("/tenders/{tender_id}", 404, "info")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["message"] == "GET /tenders/42 404"


def test_a_line_outside_a_request_has_null_request_fields() -> None:
    record = logging.LogRecord("market.jobs", logging.WARNING, __file__, 1, "x %s", ("y",), None)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "x y" and line["level"] == "warning"
    assert line["request_id"] is None and line["route"] is None and line["status"] is None


def test_text_logs_remain_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_LOG_FORMAT", "text")
    assert "()" not in logs.dict_config()["formatters"]["line"]
    monkeypatch.setenv("MARKET_LOG_FORMAT", "json")
    assert logs.dict_config()["formatters"]["line"]["()"] == "market.logs.JsonFormatter"


def _answering(status: int):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


@pytest.mark.parametrize(
    ("mode", "logged"), [("all", [200, 404, 500]), ("errors", [404, 500]), ("off", [])]
)
async def test_market_access_log_chooses_which_requests_get_a_line(
    mode: str, logged: list[int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from market.web.request_context import RequestContext

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b""}

    async def send(message):  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setenv("MARKET_ACCESS_LOG", mode)
    with caplog.at_level(logging.INFO, logger="market.access"):
        for status in (200, 404, 500):
            scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
            await RequestContext(_answering(status))(scope, receive, send)
    statuses = [r.status for r in caplog.records if r.name == "market.access"]  # type: ignore[attr-defined]
    assert statuses == logged


def test_a_slow_request_is_logged_under_errors_and_a_bad_mode_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from market.web.request_context import SLOW, access_mode, logs_access

    assert logs_access("errors", 200, SLOW) and not logs_access("errors", 200, SLOW / 2)
    assert not logs_access("off", 500, SLOW)
    monkeypatch.setenv("MARKET_ACCESS_LOG", "verbose")
    with pytest.raises(ValueError, match="MARKET_ACCESS_LOG must be one of all, errors, off"):
        access_mode()
