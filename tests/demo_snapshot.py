"""The demo district built once per test session and copied in wherever a test needs it.

`market demo` lives two years of the district through the real services: ~49,000
statements, seconds of CPU on either engine. Its own tests (tests/services/test_demo.py,
test_demo_consistency.py) build it for real; the tests that only need it to be there
(its tenders, bids, funding and open data; the pages; the browser walk) take the
`demo_district` fixture instead. The first of them in a session (in each pytest-xdist
worker) builds it with `load_demo()` into the empty tables, copies every application
table into a snapshot table of its own (`CREATE TABLE … AS SELECT *`: each value stored
as it was, byte for byte) and empties the tables again; every use then copies the rows
back (`INSERT … SELECT *`, parents before children) inside the test's transaction (or,
for a test that commits, in one of its own), moves PostgreSQL's id sequences past them,
and hands out the `DemoDistrict` that `load_demo()` returned.

The copy is the district as built at that moment: its present is the build's, minutes
earlier at most, which nothing the tests check depends on (the history moves in hours
and days, and no job runs in between).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from composition.demo import load_demo
from market.db import atomic, is_postgres
from market.demo import DemoDistrict
from market.migrate import all_tables, truncate_all
from market.sql import execute

PREFIX = "test_snapshot_"


async def _parents() -> dict[str, set[str]]:
    """table → the tables its foreign keys point to (from the database's catalog)."""
    if is_postgres():
        sql = (
            "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
            " FROM pg_constraint WHERE contype = 'f'"
        )
    else:
        sql = (
            'SELECT m.name AS child, p."table" AS parent FROM sqlite_master m,'
            " pragma_foreign_key_list(m.name) p WHERE m.type = 'table'"
        )
    edges: dict[str, set[str]] = {}
    for row in await execute(sql):
        edges.setdefault(str(row["child"]).strip('"'), set()).add(str(row["parent"]).strip('"'))
    return edges


def parents_first(tables: list[str], parents: dict[str, set[str]]) -> list[str]:
    """`tables` ordered so that every table comes after those it refers to (a table's
    references to itself are satisfied within its one INSERT … SELECT statement)."""
    ordered: list[str] = []
    left = sorted(tables)
    while left:
        ready = [t for t in left if not (parents.get(t, set()) - {t}) - set(ordered)]
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {left}")
        ordered += ready
        left = [t for t in left if t not in ready]
    return ordered


async def _sequences(tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, sequence) of PostgreSQL's serial columns."""
    rows = await execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name),"
        " column_name) AS sequence FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'"
    )
    return [
        (str(r["table_name"]), str(r["column_name"]), str(r["sequence"]))
        for r in rows
        if r["table_name"] in tables
    ]


@dataclass
class DemoSnapshot:
    district: DemoDistrict
    tables: list[str]  # parents first
    sequences: list[tuple[str, str, str]]

    @classmethod
    async def build(cls) -> DemoSnapshot:
        """Build the demo into the (empty) tables, keep a copy, empty them again."""
        names = [table._meta.tablename for table in all_tables()]
        tables = parents_first(names, await _parents())
        district = await load_demo()
        try:
            for name in tables:
                await execute(f'DROP TABLE IF EXISTS "{PREFIX}{name}"')
                await execute(f'CREATE TABLE "{PREFIX}{name}" AS SELECT * FROM "{name}"')  # noqa: S608 - table names from code
        finally:
            await truncate_all()
        sequences = await _sequences(tables) if is_postgres() else []
        return cls(district, tables, sequences)

    async def restore(self) -> DemoDistrict:
        """Copy the district in (all or nothing) and return what load_demo() returned."""
        async with atomic():
            for name in self.tables:
                await execute(f'INSERT INTO "{name}" SELECT * FROM "{PREFIX}{name}"')  # noqa: S608 - table names from code
            for table, column, sequence in self.sequences:
                await execute(
                    f'SELECT setval({{}}, GREATEST((SELECT COALESCE(MAX("{column}"), 0)'  # noqa: S608 - names from the catalog
                    f' FROM "{table}"), (SELECT last_value FROM {sequence})))',
                    sequence,
                )
        return copy.deepcopy(self.district)
