"""The development cluster's configuration (deploy/cluster_config.py), as `make cluster`
writes it: every port in the helper's block and none twice, synchronous replication
for the money, fail-over at once, HAProxy following Patroni's own checks, WAL archived
by each node from its own data directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.cluster_config import (
    ETCD_MEMBERS,
    NODES,
    STANZA,
    Layout,
    Secrets,
    etcd_command,
    haproxy_config,
    patroni_config,
    patroni_yaml,
    pgbackrest_config,
)

LAYOUT = Layout(Path("/srv/market/var/cluster"))
KEYS = Secrets(superuser="su-pw", replication="repl-pw", rewind="rewind-pw", app="app-pw")


def test_every_port_is_in_the_block_and_none_is_used_twice() -> None:
    ports = LAYOUT.ports()
    assert len(ports) == len(set(ports)) == 3 * 4 + 3 + 2 + 1
    assert all(18300 <= port <= 18399 for port in ports)
    moved = Layout(LAYOUT.root, base=20000).ports()
    assert [p - 20000 for p in moved] == [p - 18300 for p in ports]


@pytest.mark.parametrize("i", range(len(NODES)))
def test_each_node_keeps_one_synchronous_standby_and_fails_over_at_once(i: int) -> None:
    config: Any = patroni_config(LAYOUT, i, KEYS)
    dcs = config["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True and dcs["synchronous_mode_strict"] is True
    assert dcs["synchronous_node_count"] == 1
    assert dcs["postgresql"]["parameters"]["synchronous_commit"] == "on"
    assert dcs["primary_start_timeout"] == 0  # no restart in place first
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]  # Patroni's rule
    assert dcs["postgresql"]["use_pg_rewind"] and dcs["postgresql"]["parameters"]["wal_log_hints"]
    assert json.loads(patroni_yaml(LAYOUT, i, KEYS)) == config  # JSON is YAML


def test_the_nodes_differ_only_in_their_name_ports_and_data() -> None:
    configs: list[Any] = [patroni_config(LAYOUT, i, KEYS) for i in range(len(NODES))]
    pg = [c["postgresql"] for c in configs]
    assert [c["name"] for c in configs] == list(NODES)
    assert len({p["listen"] for p in pg}) == len({p["data_dir"] for p in pg}) == 3
    assert len({c["restapi"]["listen"] for c in configs}) == 3
    assert all(c["bootstrap"] == configs[0]["bootstrap"] for c in configs)
    etcd = configs[0]["etcd3"]["hosts"]
    assert etcd == ",".join(f"127.0.0.1:{LAYOUT.etcd_client(j)}" for j in range(3))


def test_each_node_archives_from_its_own_data_directory_into_the_stanza() -> None:
    for i, node in enumerate(NODES):
        config: Any = patroni_config(LAYOUT, i, KEYS)
        command = config["postgresql"]["parameters"]["archive_command"]
        assert f"--stanza={STANZA}" in command and command.endswith("archive-push %p")
        assert f"--pg1-path={LAYOUT.data(node)} " in command
        assert f"--config={LAYOUT.pgbackrest_conf}" in command
    conf = pgbackrest_config(LAYOUT)
    assert f"[{STANZA}]" in conf and f"repo1-path={LAYOUT.pgbackrest / 'repo'}" in conf


def test_haproxy_sends_writes_to_patronis_primary_and_reads_to_its_replicas() -> None:
    config = haproxy_config(LAYOUT)
    primary, replicas = config.split("listen primary")[1].split("listen replicas")
    assert f"bind 127.0.0.1:{LAYOUT.primary_port}" in primary
    assert "uri /primary" in primary and "/replica" not in primary
    assert f"bind 127.0.0.1:{LAYOUT.replica_port}" in replicas and "uri /replica" in replicas
    for section in (primary, replicas):
        assert "on-marked-down shutdown-sessions" in section  # no session stays on a demoted node
        for i, node in enumerate(NODES):
            assert f"server {node} 127.0.0.1:{LAYOUT.pg(i)} check port {LAYOUT.rest(i)}" in section


def test_the_etcd_members_form_one_cluster_of_three() -> None:
    commands = [etcd_command(LAYOUT, i) for i in range(len(ETCD_MEMBERS))]
    initial = {next(a for a in c if a.startswith("--initial-cluster=")) for c in commands}
    [members] = initial  # the same member list everywhere
    for j, name in enumerate(ETCD_MEMBERS):
        assert f"{name}=http://127.0.0.1:{LAYOUT.etcd_peer(j)}" in members
    for i, command in enumerate(commands):
        assert f"--listen-client-urls=http://127.0.0.1:{LAYOUT.etcd_client(i)}" in command
        assert f"--data-dir={LAYOUT.etcd_data(ETCD_MEMBERS[i])}" in command


def test_the_app_reaches_the_primary_and_the_replicas_through_haproxy() -> None:
    assert LAYOUT.app_url(KEYS) == "postgresql://market:app-pw@127.0.0.1:18340/market"
    assert LAYOUT.app_url(KEYS, "x", replica=True).endswith("@127.0.0.1:18341/x")
