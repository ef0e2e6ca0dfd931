"""Delivering e-mail rows: claimed under a lease, sent, marked — at least once, and at
most once more after a crash.

A run *claims* a batch of due rows in one short transaction (PostgreSQL: `FOR UPDATE
SKIP LOCKED`, so two runs never claim one row; SQLite serializes writers): each gets
a claim token, one more attempt, and its `due_at` pushed to the end of the lease
(`MARKET_OUTBOX_LEASE_SECONDS`). It then sends them one by one and marks each sent in
a commit of its own right after the server accepted it (`marking`). A run that dies holding rows
leaves them due again when the lease ends: the one in flight may be sent a second
time (with the same Message-ID), none is lost. A run stops sending from its batch
before the lease could end (`rules.lease_margin`) and hands the rest back.

A failed row is tried again after a backoff (`rules.retry_delay`); after
`MAX_ATTEMPTS`, or at once when the server refused it for good (5xx), it is
dead-lettered (`failed_at`), kept with its last error for operators
(`/api/v1/system/outbox`). When the connection itself fails, the run's remaining rows
back off alike and the run ends.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from market import clock
from market.db import atomic, is_postgres
from market.outbox.compose import Queued, compose
from market.outbox.marking import Mark, marker
from market.outbox.rules import MAX_ATTEMPTS, gives_up, lease_margin, permanent_code, retry_delay
from market.outbox.transport import SendFailed, Transport
from market.settings import get_settings
from market.sql import execute

log = logging.getLogger("market.outbox")
BATCH = 100  # rows one claim takes

_RETURNED = "id, key, kind, recipient, user_id, lang, params, link, subject, body, attempts"
_DUE = "channel = 'email' AND sent_at IS NULL AND failed_at IS NULL AND due_at <= {}"


@dataclass(slots=True)
class Delivered:
    """What one run did: sent, to be tried again, dead-lettered."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def counts(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "dead": self.dead}


async def _claim(token: str, limit: int, lease_seconds: float) -> list[Queued]:
    now = clock.now()
    skip = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    async with atomic():
        # rows whose last try died with its worker (no outcome recorded): given up too
        await execute(
            "UPDATE market_outbox SET failed_at = {}, claim = '',"  # noqa: S608
            " last_error = CASE WHEN last_error = '' THEN {} ELSE last_error END"
            f" WHERE {_DUE} AND attempts >= {{}}",
            now,
            "no delivery attempt finished",
            now,
            MAX_ATTEMPTS,
        )
        rows = await execute(
            "UPDATE market_outbox SET due_at = {}, attempts = attempts + 1, claim = {}"  # noqa: S608
            f" WHERE id IN (SELECT id FROM market_outbox WHERE {_DUE}"
            f" ORDER BY due_at, id LIMIT {{}}{skip}) RETURNING {_RETURNED}",
            now + timedelta(seconds=lease_seconds),
            token,
            now,
            limit,
        )
    return sorted((Queued.from_row(r) for r in rows), key=lambda q: q.id)


async def _failed(
    row: Queued, token: str, error: str, tally: Delivered, *, permanent: bool = False
) -> None:
    """Record a failed try of a row this run still holds: due again after a backoff,
    or given up."""
    now = clock.now()
    dead = gives_up(row.attempts, permanent)
    await execute(
        "UPDATE market_outbox SET due_at = {}, failed_at = {}, last_error = {}, claim = ''"
        " WHERE id = {} AND claim = {} AND sent_at IS NULL",
        now if dead else now + retry_delay(row.attempts),
        now if dead else None,
        error[:500],
        row.id,
        token,
    )
    log.warning("outbox: e-mail %s %s: %s", row.id, "dead-lettered" if dead else "failed", error)
    tally.dead, tally.retrying = tally.dead + dead, tally.retrying + (not dead)


async def _release(token: str) -> None:
    """Hand back the rows of a claim not sent yet: due now, the attempt not counted."""
    await execute(
        "UPDATE market_outbox SET due_at = {}, attempts = attempts - 1, claim = ''"
        " WHERE claim = {} AND sent_at IS NULL AND failed_at IS NULL",
        clock.now(),
        token,
    )


class _NotComposed(Exception):
    """A row whose e-mail could not be written: a renderer's bug must not stop the
    queue (the row is tried again later, like a refused send)."""


def _compose_and_send(row: Queued, transport: Transport) -> None:
    """In a worker thread: the event loop stays free, and one thread does the work (a
    second one composing beside it would make each SMTP reply wait for the GIL)."""
    try:
        message = compose(row, get_settings())
    except Exception as exc:
        log.exception("outbox: e-mail %s could not be composed", row.id)
        raise _NotComposed(f"composing: {exc!r}") from exc
    transport.send(message, row.id)


@dataclass(slots=True)
class _Run:
    """One delivery run's way out, its way of marking rows sent, and its tally."""

    transport: Transport
    mark: Mark
    tally: Delivered


async def _send_batch(batch: list[Queued], token: str, until: float, run: _Run) -> bool:
    """Send a claimed batch, one message at a time, each marked sent before the next
    leaves; False when the run should end (the connection failed)."""
    for index, row in enumerate(batch):
        if time.monotonic() >= until:
            await _release(token)
            return True
        try:
            await asyncio.to_thread(_compose_and_send, row, run.transport)
        except _NotComposed as exc:
            await _failed(row, token, str(exc), run.tally)
            continue
        except SendFailed as exc:
            await _failed(row, token, str(exc), run.tally, permanent=permanent_code(exc.code))
            if exc.connection:  # the server is unreachable: the rest back off alike
                for rest in batch[index + 1 :]:
                    await _failed(rest, token, "not tried: the connection failed", run.tally)
                return False
            continue
        await run.mark(row.id)
        run.tally.sent += 1
    return True


async def deliver(limit: int = 50, *, seconds: float | None = None) -> Delivered:
    """Deliver up to `limit` due e-mails, oldest due first; with `seconds`, claim no
    more after that long (a job's run stays short however long the queue is)."""
    lease = float(get_settings().outbox_lease_seconds)
    claimed = 0
    stop_at = None if seconds is None else time.monotonic() + seconds
    async with marker() as mark:
        run = _Run(Transport(get_settings()), mark, Delivered())
        try:
            while claimed < limit and (stop_at is None or time.monotonic() < stop_at):
                token = secrets.token_hex(8)
                until = time.monotonic() + lease - lease_margin(lease)
                batch = await _claim(token, min(BATCH, limit - claimed), lease)
                if not batch:
                    break
                claimed += len(batch)
                if not await _send_batch(batch, token, until, run):
                    break
        finally:
            await asyncio.to_thread(run.transport.close)
    return run.tally


async def deliver_pending(limit: int = 50) -> int:
    """Deliver up to `limit` due e-mails; returns how many were sent."""
    return (await deliver(limit)).sent


async def command(args: object) -> int:
    """`market outbox deliver`."""
    done = await deliver(limit=100_000)
    print(
        f"outbox: {done.sent} e-mail(s) delivered, {done.retrying} to be tried again,"
        f" {done.dead} given up"
    )
    return 0
