"""A database that cannot be reached answers 503 with `Retry-After`, never 500: on
pages (a translated "temporarily unavailable" page), htmx fragments, the JSON API,
the Stripe webhook and `/readyz`. The engine is made to raise what it raises during
an outage (tests/crash kill a real PostgreSQL to see the same end to end)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from asyncpg import exceptions as pg_errors

from market.db import engine, is_postgres, unavailable
from tests.builders import login, make_user
from tests.web.test_webhooks import deliver, event, stripe_configured

__all__ = ["stripe_configured"]

EN = {"Accept-Language": "en"}


def _closed_mid_request() -> BaseException:
    """What a transaction raises when PostgreSQL dies under it: the rollback fails on
    the dead connection, raised while handling the lost connection."""
    lost = pg_errors.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    try:
        try:
            raise lost
        except pg_errors.ConnectionDoesNotExistError:
            raise pg_errors.InterfaceError(
                "cannot call Transaction.rollback(): the underlying connection is closed"
            ) from None
    except pg_errors.InterfaceError as exc:
        exc.__context__ = lost
        return exc


OUTAGES_POSTGRES: list[BaseException] = [
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
    pg_errors.CannotConnectNowError("the database system is starting up"),
    pg_errors.AdminShutdownError("terminating connection due to administrator command"),
    pg_errors.TooManyConnectionsError("sorry, too many clients already"),
    _closed_mid_request(),
    # What a Patroni failover behind HAProxy raised (make cluster-test): a connection
    # cut during the SSL probe, a protocol left mid-exchange by the dying server, and a
    # session that reached a standby.
    ConnectionError("unexpected connection_lost() call"),
    pg_errors.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    pg_errors.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
]
OUTAGES_SQLITE: list[BaseException] = [
    sqlite3.OperationalError("database is locked"),
    sqlite3.OperationalError("unable to open database file"),
]


@pytest.mark.parametrize("exc", OUTAGES_POSTGRES + OUTAGES_SQLITE, ids=repr)
def test_outages_are_recognised(exc: BaseException) -> None:
    assert unavailable(exc)
    wrapped = RuntimeError("while loading the page")
    wrapped.__cause__ = exc
    assert unavailable(wrapped)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad"),
        KeyError("status"),
        pg_errors.UniqueViolationError("duplicate key value"),
        pg_errors.ProtocolViolationError("unexpected message"),
        pg_errors.InterfaceError("cannot perform operation: another operation is in progress"),
        pg_errors.InternalClientError("unknown error in protocol implementation"),
        sqlite3.OperationalError("no such table: donors_payment"),
        FileNotFoundError("templates/missing.html"),
    ],
    ids=repr,
)
def test_bugs_are_not_outages(exc: BaseException) -> None:
    assert not unavailable(exc)


@pytest.fixture
def database_down(fresh_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every query of this engine raises what it raises while the database is down
    (fresh_db: no test transaction, so every statement goes through the engine)."""
    outage = OUTAGES_POSTGRES[0] if is_postgres() else OUTAGES_SQLITE[0]

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise outage

    db = engine()
    monkeypatch.setattr(type(db), "run_querystring", down)
    monkeypatch.setattr(type(db), "run_ddl", down)
    yield


async def test_a_page_answers_503_in_the_users_language(client, database_down) -> None:
    page = await client.get("/tenders", headers=EN)
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert page.headers["content-type"].startswith("text/html")
    assert "temporarily unavailable" in page.text
    chinese = await client.get("/tenders", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 503 and chinese.headers["retry-after"] == "5"
    assert "暂时无法使用" in chinese.text


async def test_a_fragment_answers_503_with_the_message_alone(client, database_down) -> None:
    fragment = await client.get("/tenders", headers={**EN, "HX-Request": "true"})
    assert fragment.status_code == 503 and fragment.headers["retry-after"] == "5"
    assert "temporarily unavailable" in fragment.text
    assert "<html" not in fragment.text


async def test_the_api_answers_503_as_an_error_body(app, client, database_down) -> None:
    response = await client.get("/api/v1/tenders", headers=EN)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    body = response.json()
    assert body["status"] == 503 and "temporarily unavailable" in body["error"]
    documented = app.openapi_schema.to_schema()["paths"]["/api/v1/tenders"]["get"]
    assert documented["responses"]["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


async def test_a_webhook_delivery_answers_503_so_stripe_retries(
    fresh_db, client, stripe_configured, database_down
) -> None:
    response = await deliver(client, event(1, 100_00, n=1))
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["status"] == 503


async def test_readiness_says_unavailable(client, database_down) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}  # liveness: no database
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
    assert ready.json()["status"] == "unavailable"


async def test_a_bug_is_still_a_500(fresh_db, client, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("no such column: nope")

    monkeypatch.setattr(type(engine()), "run_querystring", broken)
    response = await client.get("/api/v1/tenders", headers=EN)
    assert response.status_code == 500 and "retry-after" not in response.headers


async def test_a_signed_in_page_answers_503_in_the_users_language(
    fresh_db, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outage strikes while the session's principal is loaded (middleware)."""
    email = "outage@example.org"
    await make_user(email)
    await login(client, email)
    outage = OUTAGES_POSTGRES[1] if is_postgres() else OUTAGES_SQLITE[0]

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise outage

    monkeypatch.setattr(type(engine()), "run_querystring", down)
    page = await client.get("/tenders", headers=EN)
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "temporarily unavailable" in page.text
