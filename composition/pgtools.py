"""PostgreSQL's own programs (initdb, pg_ctl, pgbackrest), run as the OS user that owns
the data: PostgreSQL refuses to run as root, so when we are root they run as the
`postgres` OS user (`runuser -u postgres --`); otherwise as ourselves.

Used by `market backup` (a scratch server to restore into), the development cluster
(deploy/cluster.py) and the crash tests' throw-away cluster (tests/crash/cluster.py).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path


class PgToolsUnavailable(Exception):
    """Why PostgreSQL's programs cannot be run here."""


def pg_bin() -> Path:
    """The directory of initdb and pg_ctl: from PATH, else the newest Debian one."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    raise PgToolsUnavailable("initdb/pg_ctl not found (PATH or /usr/lib/postgresql/*/bin)")


def data_owner() -> str | None:
    """None: run as ourselves; else the OS user to run PostgreSQL's programs as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgToolsUnavailable("running as root and there is no `postgres` OS user") from None
    if not shutil.which("runuser"):
        raise PgToolsUnavailable("running as root and `runuser` is not available")
    return "postgres"


def as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


def give_to(path: Path, owner: str | None) -> None:
    """`path` (a directory we just made) belongs to `owner`."""
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def run(
    command: list[str],
    owner: str | None,
    *,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` as `owner`; raise RuntimeError with its output when it fails."""
    done = subprocess.run(  # noqa: S603 - PostgreSQL's programs, our own arguments
        as_owner(command, owner),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}: {done.stdout}{done.stderr}"
        )
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
