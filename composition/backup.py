"""`market backup take` and `market backup verify`: pgBackRest backups that record the
audit head published when they were taken, and a proof that the latest one restores.

pgBackRest is configured the usual way (`/etc/pgbackrest/pgbackrest.conf`, or
`PGBACKREST_CONFIG` and the other `PGBACKREST_*` variables); `--config` and
`--stanza` (default `PGBACKREST_STANZA`, else `market`) are passed on its command line.

**take** reads the audit head the app publishes (`GET <MARKET_BASE_URL>/api/v1/audit`:
the chain's length and head hash), runs `pgbackrest backup` with that head as the
backup's annotations (`audit-length`, `audit-head`), and, once the backup is done,
annotates it with the head published then (`audit-length-after`). The restored chain
must contain the first and may not go past the second.

**verify** restores a backup (the latest, or `--set`) into a scratch directory,
recovering only to the backup's consistent point (`--type=immediate`), with WAL
archiving off, and starts it as a scratch PostgreSQL on a free port (`--port`). It then
compares the restored audit chain with the annotated head (the row at the published
length carries the published hash; the restored head is not behind it), chains the
audit rows that were queued at backup time (`market worker --job audit.sequence`, what
the worker would have done) and runs `market ledger check` and `market audit verify`
against it. The scratch server is stopped and removed (`--keep` keeps it). Exit 0 only
when everything holds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from composition.pgtools import data_owner, free_port, give_to, pg_bin, run

ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=os.environ.get("PGBACKREST_CONFIG", ""))
    parser.add_argument("--stanza", default=os.environ.get("PGBACKREST_STANZA", "market"))


def take_arguments(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)
    parser.add_argument("--type", choices=("full", "diff", "incr"), default="full")
    parser.add_argument(
        "--published", default="", help="the app's base URL (default MARKET_BASE_URL)"
    )


def verify_arguments(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)
    parser.add_argument("--set", default="", help="the backup label (default: the latest)")
    parser.add_argument("--port", type=int, default=0, help="the scratch server's port")
    parser.add_argument("--database", default="", help="default: DATABASE_URL's database")
    parser.add_argument("--keep", action="store_true", help="keep the scratch server running")


def pgbackrest(args: argparse.Namespace, *command: str, timeout: float = 3600) -> str:
    options = [f"--stanza={args.stanza}"] + ([f"--config={args.config}"] if args.config else [])
    return run(["pgbackrest", *options, *command], data_owner(), timeout=timeout).stdout


@dataclass(frozen=True, slots=True)
class Head:
    length: int
    hash: str


def published_head(base_url: str) -> Head:
    """The head the app publishes (opendata's `GET /api/v1/audit`)."""
    url = base_url.rstrip("/") + "/api/v1/audit"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the operator's URL
        body = json.loads(response.read())
    return Head(int(body["length"]), str(body["head"]))


def latest_backup(args: argparse.Namespace, label: str = "") -> dict[str, Any]:
    """`pgbackrest info` of the stanza: the backup `label`, or the latest one."""
    stanzas = json.loads(pgbackrest(args, "info", "--output=json"))
    backups = [b for s in stanzas if s["name"] == args.stanza for b in s.get("backup", [])]
    chosen = [b for b in backups if not label or b["label"] == label]
    if not chosen:
        raise SystemExit(f"no backup {label or 'at all'} in stanza {args.stanza}")
    return dict(chosen[-1])


def take(args: argparse.Namespace) -> int:
    from market import clock
    from market.settings import get_settings

    base = args.published or get_settings().base_url
    before = published_head(base)
    at = clock.now().isoformat(timespec="seconds")
    pgbackrest(
        args,
        "backup",
        f"--type={args.type}",
        f"--annotation=audit-length={before.length}",
        f"--annotation=audit-head={before.hash}",
        f"--annotation=audit-published={base}",
        f"--annotation=audit-read-at={at}",
    )
    label = str(latest_backup(args)["label"])
    after = published_head(base)
    pgbackrest(
        args, "annotate", f"--set={label}", f"--annotation=audit-length-after={after.length}"
    )
    print(
        f"backup {label}: audit head published before it {before.length} {before.hash},"
        f" after it {after.length}"
    )
    return 0


@dataclass
class Scratch:
    """A PostgreSQL restored from a backup, on its own port, as the data's OS user."""

    root: Path
    port: int
    owner: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 600) -> None:
        run([str(pg_bin() / "pg_ctl"), "-D", str(self.data), *args], self.owner, timeout=timeout)

    def start(self) -> None:
        """Start it with what a restored node must not do switched off: archive into the
        live repository, stream from a primary, wait for a synchronous standby."""
        trust = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        for name, text in (("pg_hba.conf", trust), ("pg_ident.conf", "")):
            (self.root / name).write_text(text)
            give_to(self.root / name, self.owner)
        options = " ".join(
            f"-c {setting}"
            for setting in (
                f"port={self.port}",
                "listen_addresses=127.0.0.1",
                f"unix_socket_directories={self.root}",
                f"hba_file={self.root / 'pg_hba.conf'}",
                f"ident_file={self.root / 'pg_ident.conf'}",
                "archive_mode=off",
                "synchronous_standby_names=''",
                "primary_conninfo=''",
                "primary_slot_name=''",
                "cluster_name=market-restore",
            )
        )
        log = str(self.root / "server.log")
        self.pg_ctl("-l", log, "-o", options, "-w", "-t", "600", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop", timeout=120)


def restore(args: argparse.Namespace, label: str) -> Scratch:
    owner = data_owner()
    root = Path(tempfile.mkdtemp(prefix="market-restore-"))
    give_to(root, owner)
    scratch = Scratch(root, args.port or free_port(), owner)
    scratch.data.mkdir(mode=0o700)
    give_to(scratch.data, owner)
    pgbackrest(
        args,
        "restore",
        f"--set={label}",
        "--reset-pg1-host",  # on a repository host: restore here, not on the database's
        f"--pg1-path={scratch.data}",
        "--type=immediate",
        "--target-action=promote",
        "--archive-mode=off",
    )
    scratch.start()
    return scratch


async def _wait_promoted(url: str, within: float = 600) -> None:
    import asyncio

    import asyncpg

    deadline = time.monotonic() + within
    while True:
        connection = await asyncpg.connect(url)
        try:
            if not await connection.fetchval("SELECT pg_is_in_recovery()"):
                return
        finally:
            await connection.close()
        if time.monotonic() > deadline:
            raise RuntimeError("the restored server did not finish recovery")
        await asyncio.sleep(0.5)


async def restored_head(url: str, length: int) -> tuple[Head, str | None]:
    """The restored chain's head (its last sequenced row, through the kernel's read view
    `market_v_audit_event`), and its row's hash at `length` (None: no such row)."""
    import asyncpg

    from market.audit.rules import GENESIS

    await _wait_promoted(url)
    connection = await asyncpg.connect(url)
    try:
        head = await connection.fetchrow(
            "SELECT seq, hash FROM market_v_audit_event WHERE seq IS NOT NULL"
            " ORDER BY seq DESC LIMIT 1"
        )
        at = await connection.fetchval(
            "SELECT hash FROM market_v_audit_event WHERE seq = $1", length
        )
    finally:
        await connection.close()
    found = Head(int(head["seq"]), str(head["hash"])) if head else Head(0, GENESIS)
    return found, None if at is None else str(at)


def compare_heads(
    annotations: dict[str, str], restored: Head, at_published: str | None
) -> tuple[bool, str]:
    """The restored chain against the head published when the backup was taken."""
    if "audit-length" not in annotations:
        return False, "the backup records no published audit head (take it with market backup take)"
    length, published = int(annotations["audit-length"]), annotations["audit-head"]
    after = int(annotations.get("audit-length-after", restored.length))
    if restored.length < length:
        return False, f"the restored chain ends at {restored.length}, before the published {length}"
    if length and at_published != published:
        return False, f"the restored row {length} hashes to {at_published}, published {published}"
    if restored.length > after:
        return False, f"the restored chain ends at {restored.length}, past {after} published after"
    return True, (
        f"the published head {length} {published[:16]}… is in the restored chain"
        f" (restored head {restored.length}; {after} published after the backup)"
    )


def market(url: str, *command: str) -> tuple[bool, str]:
    """`market <command>` against the restored database: (exit 0?, its output)."""
    done = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "composition.cli", *command],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, f"market {' '.join(command)}: {lines[-1] if lines else ''}"


def verify(args: argparse.Namespace) -> int:
    import asyncio

    from market.settings import get_settings

    database = args.database or urlparse(get_settings().database_url).path.lstrip("/")
    backup = latest_backup(args, args.set)
    label, annotations = str(backup["label"]), dict(backup.get("annotation") or {})
    print(f"restoring backup {label} ({backup['type']}) …", flush=True)
    scratch = restore(args, label)
    try:
        url = scratch.url(database)
        restored, at_published = asyncio.run(
            restored_head(url, int(annotations.get("audit-length", 0)))
        )
        results = [compare_heads(annotations, restored, at_published)]
        results.append(market(url, "worker", "--job", "audit.sequence"))
        results += [market(url, "ledger", "check"), market(url, "audit", "verify")]
    finally:
        if args.keep:
            print(f"the scratch server keeps running: {scratch.url(database)} ({scratch.root})")
        else:
            scratch.stop()
            shutil.rmtree(scratch.root, ignore_errors=True)
    for ok, line in results:
        print(f"  {'ok ' if ok else 'FAILED'} {line}")
    passed = all(ok for ok, _ in results)
    print(f"backup {label}: {'verified' if passed else 'NOT verified'}")
    return 0 if passed else 1
