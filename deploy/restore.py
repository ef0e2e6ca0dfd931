"""Restore the whole development cluster from its pgBackRest repository: the steps of
deploy/RUNBOOK.md, "Restore the cluster from a backup", on `make cluster`'s cluster.

    python -m deploy.restore [--set LABEL] [--target "2026-11-30 10:00:00+00"]

Patroni is stopped on every node (the replicas first), the cluster's state removed
from etcd (`patronictl remove`), n1's data directory replaced by the backup
(`pgbackrest restore`: the latest backup, or `--set`, replayed to the end of the WAL
archive, or to `--target`) and recovered by PostgreSQL alone until it promotes; then
Patroni starts on n1, which becomes the leader of a new cluster, and on n2 and n3
with empty data directories, which clone it. etcd and HAProxy keep running.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time

from composition.pgtools import data_owner, give_to, run
from deploy.cluster import (
    LAYOUT,
    healthy,
    leader,
    log,
    spawn,
    status,
    terminate,
    wait_until,
)
from deploy.cluster_config import NODES, PG_BIN, SCOPE, STANZA, Layout, archive_command


def stop_patroni(layout: Layout) -> None:
    first = leader(layout)
    order = [n for i, n in enumerate(NODES) if i != first]
    for node in order + ([NODES[first]] if first is not None else []):
        terminate(layout, f"patroni-{node}", within=90)


def forget_cluster(layout: Layout) -> None:
    """`patronictl remove`: the cluster's keys in etcd (it asks twice to be sure)."""
    subprocess.run(
        ["patronictl", "-c", str(layout.patroni_yml(NODES[0])), "remove", SCOPE],
        input=f"{SCOPE}\nYes I am aware\n",
        text=True,
        capture_output=True,
        check=True,
        timeout=60,
    )


def restore_into(layout: Layout, node: str, options: list[str]) -> None:
    owner = data_owner()
    data = layout.data(node)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(mode=0o700)
    give_to(data, owner)
    config = f"--config={layout.pgbackrest_conf}"
    run(["pgbackrest", config, f"--stanza={STANZA}", f"--pg1-path={data}", "restore", *options],
        owner, timeout=3600)  # fmt: skip


def recover_alone(layout: Layout, node: str) -> None:
    """PostgreSQL replays the archive and promotes, without Patroni (which would rewrite
    the recovery settings pgBackRest wrote), archiving as a primary does; then it stops
    cleanly."""
    owner, data, index = data_owner(), layout.data(node), NODES.index(node)
    settings = (
        f"-p {layout.pg(index)} -c listen_addresses=127.0.0.1"
        f" -c unix_socket_directories={layout.run} -c synchronous_standby_names=''"
        # Archiving stays on, from this node's own directory: the new timeline's history
        # file must reach the repository, or a later restore cannot follow it (and this
        # timeline's segments would collide with the next one of the same number).
        f" -c archive_mode=on -c archive_command='{archive_command(layout, node)}'"
    )
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data)]
    log_file = str(layout.run / f"restore-{node}.log")
    run([*pg_ctl, "-l", log_file, "-o", settings, "-w", "-t", "3600", "start"], owner, timeout=3700)
    psql = [str(PG_BIN / "psql"), "-h", str(layout.run), "-p", str(layout.pg(index)), "-Atc"]
    wait_until(
        "the end of recovery",
        lambda: run([*psql, "SELECT pg_is_in_recovery()"], owner).stdout.strip() == "f",
        within=3600,
    )
    run([*pg_ctl, "-m", "fast", "-w", "stop"], owner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="", help="the backup (default: the latest)")
    parser.add_argument("--target", default="", help="recover to this time, not to the end")
    args = parser.parse_args(argv)
    options = [f"--set={args.set}"] if args.set else []
    if args.target:
        options += ["--type=time", f"--target={args.target}", "--target-action=promote"]
    layout, owner, began = LAYOUT, data_owner(), time.monotonic()
    stop_patroni(layout)
    forget_cluster(layout)
    restore_into(layout, NODES[0], options)
    recover_alone(layout, NODES[0])
    spawn(layout, f"patroni-{NODES[0]}", ["patroni", str(layout.patroni_yml(NODES[0]))], user=owner)
    wait_until(f"{NODES[0]} as the leader", lambda: leader(layout) == 0)
    for node in NODES[1:]:
        shutil.rmtree(layout.data(node), ignore_errors=True)
        spawn(layout, f"patroni-{node}", ["patroni", str(layout.patroni_yml(node))], user=owner)
    wait_until("a leader and a synchronous standby", lambda: healthy(layout))
    log(f"restored in {time.monotonic() - began:.0f} s")
    print(status(layout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
