"""Open data tables: columns only. `ocds_release` is append-only (trigger in the migration):
a published OCDS release is never edited; a later state change publishes a new one."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OcdsRelease(Table, tablename="ocds_release"):
    id = BigSerial(primary_key=True)
    ocid = Varchar(length=80, index=True)
    release_id = Varchar(length=120, unique=True)  # "<ocid>-<audit seq>": stable, unique
    tag = Varchar(length=40)  # one releaseTag code
    tender_id = Integer(index=True)
    audit_seq = BigInt()  # the audit event this release publishes
    published_at = Timestamptz()
    body = Text()  # the release as canonical JSON
