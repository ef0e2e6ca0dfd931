"""Open data tables: columns only. `ocds_release` is append-only (trigger in the migration):
a published OCDS release is never edited; a later state change publishes a new one."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OcdsRelease(Table, tablename="ocds_release"):
    id = BigSerial(primary_key=True)
    ocid = Varchar(length=80, index=True)
    release_id = Varchar(length=120, unique=True)  # "<ocid>-<audit event id>": stable, unique
    tag = Varchar(length=40)  # one releaseTag code
    tender_id = Integer(index=True)
    audit_event_id = BigInt()  # the id of the audit event this release publishes
    published_at = Timestamptz()
    body = Text()  # the release as canonical JSON


class StatsFundsRollup(Table, tablename="stats_funds_rollup"):
    """Derived read model (opendata/statistics/rollup.py): money moved per currency, district year,
    flow and source over every ledger transfer up to the watermark. Unique on
    (currency, year, flow, source) (index in the migration)."""

    currency = Varchar(length=3)
    year = Integer()
    flow = Varchar(length=10)  # received | released | returned
    source = Varchar(length=12)
    amount = BigInt(default=0)


class StatsWatermark(Table, tablename="stats_watermark"):
    """How far a rollup has folded an append-only log: the highest id folded in."""

    name = Varchar(length=40, unique=True)
    transfer_id = BigInt(default=0)
    folded_at = Timestamptz(null=True, default=None)


class OcdsFundingMark(Table, tablename="ocds_funding_mark"):
    """A process whose funding changed (opendata/ocds/funding.py): `event` is the id of
    the audit event that last marked it, `published_event` the one the latest funding
    release folded in (at `published_at`). Dirty while event <> published_event."""

    tender_id = Integer(unique=True)
    event = BigInt(default=0)
    published_event = BigInt(default=0)
    published_at = Timestamptz(null=True, default=None)
