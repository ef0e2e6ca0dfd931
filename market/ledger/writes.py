# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The ledger's write statements, moved out of `services`: the rejection row, the
transfer INSERT and the balance UPDATE, written together by `write_transfers` with
the transfers' audit row (one statement on PostgreSQL, two or three on SQLite; the
optimistic variant of `services`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from market import clock, metrics
from market.audit import (
    INSERT_EVENT,
    AuditRecord,
    append_event,
    appended,
    canonical_json,
)
from market.db import is_postgres
from market.ledger.rules import Balance, LedgerError, Transfer, TransferRequest
from market.sql import execute, marks


class FullPath(Exception):
    """The optimistic path met something only the full path may answer."""


async def reject(req: TransferRequest, exc: LedgerError) -> None:
    body = dataclasses.asdict(req)
    await execute(
        "INSERT INTO ledger_rejection (key, code, message, body, created_at)"
        " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (key) DO NOTHING",
        req.key,
        exc.code,
        exc.message,
        canonical_json(body),
        clock.now(),
    )


def insert_sql(
    new: Sequence[Transfer],
    balances: dict[str, Balance],
    pendings: dict[str, tuple[int, Transfer]],
) -> tuple[str, list[Any]]:
    now = clock.now()
    args: list[Any] = []
    for t in new:
        pending_id = pendings[t.pending_key][0] if t.pending_key else None
        args += [
            t.key,
            balances[t.debit].id,
            balances[t.credit].id,
            t.amount,
            t.currency,
            t.kind,
            pending_id,
            t.reason,
            t.reference,
            t.tender_id,
            t.source,
            now,
        ]
    values = ", ".join(["(" + marks(12) + ")"] * len(new))
    sql = (
        "INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency, kind,"
        f" pending, reason, reference, tender_id, source, created_at) VALUES {values}"
        " RETURNING id, key"
    )
    return sql, args


def balances_sql(touched: Sequence[Balance]) -> tuple[str, list[Any]]:
    """One UPDATE for all touched rows; values are absolute (the rows are locked)."""
    sets, args = [], []
    for column in ("debits_pending", "debits_posted", "credits_pending", "credits_posted"):
        cases = " ".join(["WHEN {} THEN CAST({} AS BIGINT)"] * len(touched))
        sets.append(f"{column} = CASE id {cases} END")
        for b in touched:
            args += [b.id, getattr(b, column)]
    args += [b.id for b in touched]
    sql = f"UPDATE ledger_account SET {', '.join(sets)} WHERE id IN ({marks(len(touched))})"
    return sql, args


_TYPES = (
    "VARCHAR", "INTEGER", "INTEGER", "BIGINT", "VARCHAR", "VARCHAR",
    "BIGINT", "VARCHAR", "VARCHAR", "INTEGER", "VARCHAR", "TIMESTAMPTZ",
)  # fmt: skip
_ROW = "(" + ", ".join(f"CAST({{}} AS {t})" for t in _TYPES) + ")"
_EVENT_ID = ", (SELECT id FROM event) AS event_id"


async def write_transfers(
    new: Sequence[Transfer],
    balances: dict[str, Balance],
    pendings: dict[str, tuple[int, Transfer]],
    *,
    optimistic: bool = False,
    event: AuditRecord | None = None,
) -> list[int]:
    """Insert the transfers and write the touched balances — and append `event`, their
    audit row, when given: one statement on PostgreSQL (the UPDATE and the event's
    INSERT as data-modifying CTEs), two or three on SQLite. Optimistic writes insert
    nothing for an id already used or already failed, and then go the full path (the
    caller's transaction, event included, rolls back)."""
    insert, insert_args = insert_sql(new, balances, pendings)
    update, update_args = balances_sql([b for b in balances.values() if b.touched])
    with_event, event_args = (
        (f", event AS ({INSERT_EVENT})", list(event.insert_args())) if event else ("", [])
    )
    if optimistic:
        keys = [t.key for t in new]
        rows = await execute(
            f"WITH balances AS ({update} RETURNING id){with_event}"
            " INSERT INTO ledger_transfer (key, debit_account, credit_account, amount, currency,"
            " kind, pending, reason, reference, tender_id, source, created_at)"
            f" SELECT * FROM (VALUES {', '.join([_ROW] * len(new))}) AS v"
            f" WHERE NOT EXISTS (SELECT 1 FROM ledger_rejection WHERE key IN ({marks(len(keys))}))"
            f" ON CONFLICT (key) DO NOTHING RETURNING id, key{_EVENT_ID if event else ''}",
            *update_args,
            *event_args,
            *insert_args,
            *keys,
        )
        if len(rows) != len(new):
            raise FullPath
    elif is_postgres():
        rows = await execute(
            f"WITH balances AS ({update} RETURNING id){with_event}"
            f" {insert}{_EVENT_ID if event else ''}",
            *update_args,
            *event_args,
            *insert_args,
        )
    else:
        await execute(update, *update_args)
        rows = await execute(insert, *insert_args)
    by_key = {row["key"]: int(row["id"]) for row in rows}
    metrics.count_transfers(t.kind for t in new)
    if event is not None:
        if is_postgres():
            await appended(event, int(rows[0]["event_id"]))
        else:
            await append_event(event)
    return [by_key[t.key] for t in new]
