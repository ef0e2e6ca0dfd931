"""A throw-away PostgreSQL cluster: `initdb` into a temp dir, its own port, started
and stopped (or killed: `pg_ctl stop -m immediate`) by the test itself.

initdb refuses to run as root; as root the cluster belongs to the `postgres` OS user
(commands run through `runuser -u postgres --`). `fsync=off`: the faults these tests
inject kill processes, not the machine, so the OS page cache survives every one of
them and crash recovery replays the WAL as it would after a real postmaster crash.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from composition.pgtools import (
    PgToolsUnavailable,
    data_owner,
    free_port,
    give_to,
    pg_bin,
    run,
)

ClusterUnavailable = PgToolsUnavailable  # why no throw-away cluster can be made here


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    owner: str | None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        try:
            return run([str(self.bin / args[0]), *args[1:]], self.owner, timeout=timeout)
        except RuntimeError as exc:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{exc}\n{tail}") from None

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
            " -c fsync=off -c full_page_writes=off -c max_connections=100"
            " -c shared_buffers=64MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def kill(self) -> None:
        """The postmaster and every backend stop at once, nothing flushed: crash recovery
        runs on the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        pid_file = self.data / "postmaster.pid"
        return pid_file.exists()

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(RuntimeError):
                self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _root(prefix: str, owner: str | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    give_to(root, owner)
    return root


def make_cluster() -> Cluster:
    """A started cluster on a free port (raises ClusterUnavailable when it cannot be)."""
    binaries = pg_bin()
    owner = data_owner()
    cluster = Cluster(binaries, _root("market-crash-pg-", owner), free_port(), owner)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.remove()
        raise
    return cluster


def make_standby(primary: Cluster) -> Cluster:
    """A started hot standby of `primary` on a free port: `pg_basebackup -R` (streaming
    replication from the primary's WAL, `standby.signal` and `primary_conninfo` written
    for it). initdb's trust rules already let loopback replication connections in."""
    if not (primary.bin / "pg_basebackup").exists():
        raise ClusterUnavailable("pg_basebackup not found beside initdb")
    standby = Cluster(primary.bin, _root("market-replica-pg-", primary.owner), free_port(),
                      primary.owner)  # fmt: skip
    try:
        standby._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                     "postgres", "-D", str(standby.data), "-R", "-X", "stream",
                     "--checkpoint=fast", "--no-sync")  # fmt: skip
        standby.start()
    except BaseException:
        standby.remove()
        raise
    return standby


def wait_for_port(port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")
