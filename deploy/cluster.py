"""The development cluster: `make cluster` / `make cluster-stop`.

    python -m deploy.cluster start | stop | status | env

On this machine, under var/cluster/ and on the ports of `deploy.cluster_config`: a
three-member etcd, three Patroni nodes running PostgreSQL 15 (one primary, one
synchronous standby, one asynchronous standby), HAProxy in front of them (a read-write
port that follows the primary, a read-only port over the replicas) and a pgBackRest
repository the primary archives its WAL into. `start` is idempotent: what already
runs is left alone; the data survives `stop`. `env` prints the DATABASE_URL of the
app's database `market` (role `market`) through HAProxy.

PostgreSQL refuses to run as root: as root, Patroni (and so PostgreSQL) and pgBackRest
run as the `postgres` OS user. Every process is started in a session of its own with
its pid in var/cluster/run/<name>.pid, and stopped by that pid only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg

from composition.pgtools import data_owner, give_to, run
from deploy.cluster_config import (
    APP_ROLE,
    DATABASE,
    ETCD_MEMBERS,
    NODES,
    STANZA,
    Layout,
    Secrets,
    etcd_command,
    haproxy_config,
    patroni_yaml,
    pgbackrest_config,
)

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = Layout(ROOT / "var" / "cluster")
TOOLS = ("etcd", "patroni", "patronictl", "haproxy", "pgbackrest")
STARTUP_SECONDS = 180  # a loaded machine bootstraps three nodes slowly


def log(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


# --- secrets and files -----------------------------------------------------------


def load_secrets(layout: Layout) -> Secrets:
    """The cluster's passwords, made once (var/cluster/secrets.json, mode 0600)."""
    path = layout.root / "secrets.json"
    if not path.exists():
        layout.root.mkdir(parents=True, exist_ok=True)
        made = {k: secrets.token_urlsafe(18) for k in ("superuser", "replication", "rewind", "app")}
        path.touch(mode=0o600)
        path.write_text(json.dumps(made))
    return Secrets(**json.loads(path.read_text()))


def write_files(layout: Layout, owner: str | None, keys: Secrets) -> None:
    for folder in (layout.root, layout.logs, layout.root / "etcd"):
        folder.mkdir(parents=True, exist_ok=True)
    for folder in (layout.run, layout.root / "pg", layout.pgbackrest):
        folder.mkdir(parents=True, exist_ok=True)
        give_to(folder, owner)
    for sub in ("repo", "log", "lock", "spool"):
        (layout.pgbackrest / sub).mkdir(exist_ok=True)
        give_to(layout.pgbackrest / sub, owner)
    (layout.root / "pg").chmod(0o700)
    for i, node in enumerate(NODES):
        _private(layout.patroni_yml(node), patroni_yaml(layout, i, keys), owner)
    layout.haproxy_cfg.write_text(haproxy_config(layout))
    layout.pgbackrest_conf.write_text(pgbackrest_config(layout))


def _private(path: Path, text: str, owner: str | None) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)
    give_to(path, owner)


# --- processes --------------------------------------------------------------------


def _pid_file(layout: Layout, name: str) -> Path:
    return layout.run / f"{name}.pid"


def running(layout: Layout, name: str) -> int | None:
    """The pid of our process `name` if it still runs (and is still ours)."""
    path = _pid_file(layout, name)
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if str(layout.root).encode() in cmdline else None


def spawn(layout: Layout, name: str, argv: list[str], *, user: str | None = None) -> int:
    """Start `argv` detached (a session of its own), logging to logs/<name>.log."""
    pid = running(layout, name)
    if pid:
        return pid
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(Path("~postgres").expanduser() if user else Path.home()),
    }
    with (layout.logs / f"{name}.log").open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=layout.root,
            env=env,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    _pid_file(layout, name).write_text(f"{process.pid}\n")
    return process.pid


def terminate(layout: Layout, name: str, within: float = 60) -> None:
    """SIGTERM our process `name`, SIGKILL it after `within` seconds."""
    pid = running(layout, name)
    if pid is None:
        _pid_file(layout, name).unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and running(layout, name):
        time.sleep(0.2)
    if running(layout, name):
        log(f"{name} did not stop in {within:g} s: SIGKILL")
        os.kill(pid, signal.SIGKILL)
    _pid_file(layout, name).unlink(missing_ok=True)


# --- what the cluster says about itself ------------------------------------------------


def http_json(url: str, timeout: float = 2) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our ports
        return json.loads(response.read())


def members(layout: Layout) -> list[dict[str, Any]]:
    """Patroni's view of the cluster (GET /cluster on the first node that answers)."""
    for i in range(len(NODES)):
        try:
            found = http_json(f"http://127.0.0.1:{layout.rest(i)}/cluster")
        except (OSError, ValueError):
            continue
        return list(found.get("members", []))
    return []


def leader(layout: Layout) -> int | None:
    """The index of the node that holds the leader key and runs, if any."""
    for member in members(layout):
        if member.get("role") == "leader" and member.get("state") == "running":
            return NODES.index(member["name"])
    return None


def healthy(layout: Layout) -> bool:
    """A running leader, a synchronous standby and every node running or streaming."""
    found = members(layout)
    roles = [m.get("role") for m in found]
    return (
        len(found) == len(NODES)
        and roles.count("leader") == 1
        and "sync_standby" in roles
        and all(m.get("state") in ("running", "streaming") for m in found)
    )


def wait_until(what: str, check: Any, within: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError(f"the cluster did not get {what} within {within:g} s (see {LAYOUT.logs})")


def etcd_healthy(layout: Layout) -> bool:
    try:
        return all(
            http_json(f"http://127.0.0.1:{layout.etcd_client(i)}/health").get("health") == "true"
            for i in range(len(ETCD_MEMBERS))
        )
    except (OSError, ValueError):
        return False


def kill_primary(layout: Layout) -> str:
    """SIGKILL the primary's PostgreSQL — the postmaster and every process it started,
    at once, nothing flushed or said goodbye — and name the node. Patroni itself stays
    up: it sees its PostgreSQL gone and hands the leader key over."""
    index = leader(layout)
    if index is None:
        raise RuntimeError("no running primary to kill")
    pid_file = layout.data(NODES[index]) / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0])
    children = [pid for pid in _pids() if _parent(pid) == postmaster]
    for pid in (postmaster, *children):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return NODES[index]


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


# --- pgBackRest -----------------------------------------------------------------


def pgbackrest_env(layout: Layout) -> dict[str, str]:
    """pgBackRest's environment: its config, and pg1 = the current primary."""
    index = leader(layout)
    if index is None:
        raise RuntimeError("no running primary")
    return {
        **os.environ,
        "PGBACKREST_CONFIG": str(layout.pgbackrest_conf),
        "PGBACKREST_STANZA": STANZA,
        "PGBACKREST_PG1_PATH": str(layout.data(NODES[index])),
        "PGBACKREST_PG1_PORT": str(layout.pg(index)),
    }


def pgbackrest(layout: Layout, *args: str) -> str:
    done = run(["pgbackrest", *args], data_owner(), env=pgbackrest_env(layout))
    return done.stdout


# --- start, stop -------------------------------------------------------------------


async def _ensure_database(layout: Layout, keys: Secrets) -> None:
    """The app's role and database (idempotent), through HAProxy's primary port."""
    connection = await asyncpg.connect(layout.admin_url(keys), timeout=10)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
            await connection.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{keys.app}'")
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await connection.execute(f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
    finally:
        await connection.close()


async def _answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False
    try:
        return not await connection.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await connection.close()


def missing_tools() -> list[str]:
    import shutil

    return [tool for tool in TOOLS if shutil.which(tool) is None]


def start(layout: Layout = LAYOUT) -> Secrets:
    missing = missing_tools()
    if missing:
        raise RuntimeError(f"not installed: {', '.join(missing)} (make cluster installs them)")
    owner = data_owner()
    keys = load_secrets(layout)
    write_files(layout, owner, keys)
    for i, member in enumerate(ETCD_MEMBERS):
        spawn(layout, f"etcd-{member}", etcd_command(layout, i))
    wait_until("a healthy etcd", lambda: etcd_healthy(layout))
    for node in NODES:
        spawn(layout, f"patroni-{node}", ["patroni", str(layout.patroni_yml(node))], user=owner)
    log("etcd up; waiting for Patroni: a leader, a synchronous standby, three nodes running")
    wait_until("a leader and a synchronous standby", lambda: healthy(layout))
    spawn(layout, "haproxy", ["haproxy", "-db", "-f", str(layout.haproxy_cfg)])
    wait_until("the primary behind HAProxy", lambda: asyncio.run(_answers(layout.admin_url(keys))))
    asyncio.run(_ensure_database(layout, keys))
    ensure_stanza(layout)
    return keys


def ensure_stanza(layout: Layout) -> None:
    """The backup stanza exists and WAL archiving works (pgbackrest check)."""
    if "status: ok" not in pgbackrest(layout, "info"):
        pgbackrest(layout, "stanza-create")
    pgbackrest(layout, "check")


def stop(layout: Layout = LAYOUT) -> None:
    terminate(layout, "haproxy", within=10)
    first = leader(layout)
    order = [n for i, n in enumerate(NODES) if i != first]
    order += [NODES[first]] if first is not None else []
    for node in order:  # the replicas first: stopping the leader first would fail over
        terminate(layout, f"patroni-{node}", within=90)
    for member in ETCD_MEMBERS:
        terminate(layout, f"etcd-{member}", within=20)


def is_running(layout: Layout = LAYOUT) -> bool:
    return any(running(layout, f"patroni-{node}") for node in NODES)


@contextmanager
def cluster_up(layout: Layout = LAYOUT) -> Iterator[Secrets]:
    """The cluster, started if it was not running (and then stopped afterwards)."""
    was_running = is_running(layout)
    keys = start(layout)
    try:
        yield keys
    finally:
        if not was_running:
            stop(layout)


def status(layout: Layout = LAYOUT) -> str:
    done = subprocess.run(
        ["patronictl", "-c", str(layout.patroni_yml(NODES[0])), "list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return done.stdout + done.stderr


def summary(layout: Layout, keys: Secrets) -> str:
    return (
        f"{status(layout)}"
        f"primary (read-write): DATABASE_URL={layout.app_url(keys)}\n"
        f"replicas (read-only): {layout.app_url(keys, replica=True)}\n"
        f"HAProxy stats: http://127.0.0.1:{layout.stats_port}/\n"
        f"pgBackRest: PGBACKREST_CONFIG={layout.pgbackrest_conf} PGBACKREST_STANZA={STANZA}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status", "env"))
    args = parser.parse_args(argv)
    if args.action == "start":
        keys = start()
        print(summary(LAYOUT, keys))
    elif args.action == "stop":
        stop()
        log("stopped (data kept in var/cluster)")
    elif args.action == "status":
        print(status() if is_running() else "the cluster is not running")
    else:
        print(f"DATABASE_URL={LAYOUT.app_url(load_secrets(LAYOUT))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
