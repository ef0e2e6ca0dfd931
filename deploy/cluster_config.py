"""The development cluster's configuration, as data: which port each process listens
on and the files `deploy.cluster` writes (etcd's command line, each Patroni node's
YAML, HAProxy's and pgBackRest's configuration). Pure: no I/O, so the unit tests read
exactly what `make cluster` runs.

One machine, three of everything, every port in one block (`BASE` … `BASE + 99`):

    etcd client    BASE+1..3    etcd peer      BASE+11..13
    Patroni REST   BASE+21..23  PostgreSQL     BASE+31..33
    HAProxy        BASE+40 primary (read-write), BASE+41 replicas, BASE+42 stats page
    app processes  BASE+51, BASE+52 (make cluster-test)
    scratch restore BASE+60 (market backup verify in make cluster-test)

Money needs the commit on two machines before the donor is told "paid": Patroni's
synchronous mode (strict) keeps one synchronous standby and `synchronous_commit = on`,
and promotes only that standby, so no acknowledged commit is lost on failover.
`primary_start_timeout: 0` makes Patroni fail over at once when the primary's
PostgreSQL dies, instead of restarting it in place first (the default waits 300 s).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BASE = 18300
NODES = ("n1", "n2", "n3")
ETCD_MEMBERS = ("e1", "e2", "e3")
SCOPE = "market-dev"
NAMESPACE = "/pgm/"
STANZA = "market"
DATABASE = "market"
APP_ROLE = "market"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Timings of the development cluster (Patroni's defaults: ttl 30, loop_wait 10,
# retry_timeout 10). Patroni needs loop_wait + 2 * retry_timeout <= ttl.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 15, 2, 5


@dataclass(frozen=True, slots=True)
class Secrets:
    superuser: str
    replication: str
    rewind: str
    app: str


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything lives (`root`, var/cluster) and listens (`base`)."""

    root: Path
    base: int = BASE

    def etcd_client(self, i: int) -> int:
        return self.base + 1 + i

    def etcd_peer(self, i: int) -> int:
        return self.base + 11 + i

    def rest(self, i: int) -> int:
        return self.base + 21 + i

    def pg(self, i: int) -> int:
        return self.base + 31 + i

    @property
    def primary_port(self) -> int:
        return self.base + 40

    @property
    def replica_port(self) -> int:
        return self.base + 41

    @property
    def stats_port(self) -> int:
        return self.base + 42

    def app_port(self, i: int) -> int:
        return self.base + 51 + i

    @property
    def scratch_port(self) -> int:
        return self.base + 60

    def ports(self) -> list[int]:
        """Every port the cluster and its test use."""
        three = range(len(NODES))
        return [
            *(self.etcd_client(i) for i in three),
            *(self.etcd_peer(i) for i in three),
            *(self.rest(i) for i in three),
            *(self.pg(i) for i in three),
            self.primary_port,
            self.replica_port,
            self.stats_port,
            self.app_port(0),
            self.app_port(1),
            self.scratch_port,
        ]

    @property
    def run(self) -> Path:
        """pid files and PostgreSQL's sockets."""
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def data(self, node: str) -> Path:
        return self.root / "pg" / node

    def etcd_data(self, member: str) -> Path:
        return self.root / "etcd" / member

    @property
    def pgbackrest(self) -> Path:
        return self.root / "pgbackrest"

    @property
    def pgbackrest_conf(self) -> Path:
        return self.pgbackrest / "pgbackrest.conf"

    @property
    def haproxy_cfg(self) -> Path:
        return self.root / "haproxy.cfg"

    def patroni_yml(self, node: str) -> Path:
        return self.root / f"{node}.yml"

    def app_url(self, secrets: Secrets, database: str = DATABASE, *, replica: bool = False) -> str:
        port = self.replica_port if replica else self.primary_port
        return f"postgresql://{APP_ROLE}:{secrets.app}@127.0.0.1:{port}/{database}"

    def admin_url(self, secrets: Secrets, database: str = "postgres") -> str:
        return f"postgresql://postgres:{secrets.superuser}@127.0.0.1:{self.primary_port}/{database}"


def etcd_command(layout: Layout, i: int) -> list[str]:
    """One member of the three-member etcd cluster (etcd 3.4 flags)."""
    name = ETCD_MEMBERS[i]
    peers = ",".join(
        f"{m}=http://127.0.0.1:{layout.etcd_peer(j)}" for j, m in enumerate(ETCD_MEMBERS)
    )
    client = f"http://127.0.0.1:{layout.etcd_client(i)}"
    peer = f"http://127.0.0.1:{layout.etcd_peer(i)}"
    return [
        "etcd",
        f"--name={name}",
        f"--data-dir={layout.etcd_data(name)}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={peers}",
        f"--initial-cluster-token={SCOPE}",
        "--initial-cluster-state=new",
        "--enable-v2=false",
    ]


def archive_command(layout: Layout, node: str) -> str:
    """WAL segments go to the pgBackRest repository (only the primary archives)."""
    return (
        f"pgbackrest --config={layout.pgbackrest_conf} --stanza={STANZA}"
        f" --pg1-path={layout.data(node)} archive-push %p"
    )


def patroni_config(layout: Layout, i: int, secrets: Secrets) -> dict[str, object]:
    """Patroni's YAML for node `i` (as a dict: JSON is YAML, so it is written as JSON)."""
    node = NODES[i]
    etcd = ",".join(f"127.0.0.1:{layout.etcd_client(j)}" for j in range(len(ETCD_MEMBERS)))
    return {
        "scope": SCOPE,
        "namespace": NAMESPACE,
        "name": node,
        "log": {"level": "INFO"},
        "restapi": {
            "listen": f"127.0.0.1:{layout.rest(i)}",
            "connect_address": f"127.0.0.1:{layout.rest(i)}",
        },
        "etcd3": {"hosts": etcd},
        "bootstrap": {
            "dcs": {
                "ttl": TTL,
                "loop_wait": LOOP_WAIT,
                "retry_timeout": RETRY_TIMEOUT,
                "maximum_lag_on_failover": 1024 * 1024,
                "primary_start_timeout": 0,
                "synchronous_mode": True,
                "synchronous_mode_strict": True,
                "synchronous_node_count": 1,
                "postgresql": {
                    "use_pg_rewind": True,
                    "use_slots": True,
                    "parameters": cluster_parameters(),
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{layout.pg(i)}",
            "connect_address": f"127.0.0.1:{layout.pg(i)}",
            "use_unix_socket": True,
            "data_dir": str(layout.data(node)),
            "bin_dir": str(PG_BIN),
            "pgpass": str(layout.run / f"{node}.pgpass"),
            "authentication": {
                "superuser": {"username": "postgres", "password": secrets.superuser},
                "replication": {"username": "replicator", "password": secrets.replication},
                "rewind": {"username": "rewinder", "password": secrets.rewind},
            },
            "parameters": {
                "unix_socket_directories": str(layout.run),
                "archive_command": archive_command(layout, node),
            },
            "pg_hba": [
                "local all all peer",
                "host replication replicator 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 scram-sha-256",
            ],
        },
        "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
    }


def cluster_parameters() -> dict[str, object]:
    """PostgreSQL settings every node shares (kept in etcd by Patroni)."""
    return {
        "synchronous_commit": "on",
        "wal_level": "replica",
        "hot_standby": "on",
        "wal_log_hints": "on",  # pg_rewind brings a failed primary back as a replica
        "max_connections": 200,
        "max_wal_senders": 10,
        "max_replication_slots": 10,
        "archive_mode": "on",
        "archive_timeout": 60,
        "shared_buffers": "64MB",
        "password_encryption": "scram-sha-256",
    }


def patroni_yaml(layout: Layout, i: int, secrets: Secrets) -> str:
    return json.dumps(patroni_config(layout, i, secrets), indent=2) + "\n"


def haproxy_config(layout: Layout) -> str:
    """Two addresses in front of the three nodes: the primary (Patroni answers 200 on
    /primary only on the leader) and the replicas (/replica, round robin). A node
    marked down has its sessions cut, so no connection stays on a demoted primary."""

    def servers() -> str:
        return "".join(
            f"    server {node} 127.0.0.1:{layout.pg(i)} check port {layout.rest(i)}\n"
            for i, node in enumerate(NODES)
        )

    checks = (
        "    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1"
        " on-marked-down shutdown-sessions\n"
    )
    return (
        "# Written by deploy/cluster.py (make cluster): edit deploy/cluster_config.py.\n"
        "global\n"
        "    maxconn 2000\n"
        f"    pidfile {layout.run / 'haproxy.pid'}\n"
        "\n"
        "defaults\n"
        "    mode tcp\n"
        "    retries 2\n"
        "    timeout connect 4s\n"
        "    timeout client 30m\n"
        "    timeout server 30m\n"
        "    timeout check 2s\n"
        "\n"
        "listen stats\n"
        "    mode http\n"
        f"    bind 127.0.0.1:{layout.stats_port}\n"
        "    stats enable\n"
        "    stats uri /\n"
        "\n"
        "listen primary\n"
        f"    bind 127.0.0.1:{layout.primary_port}\n"
        "    option httpchk\n"
        "    http-check send meth GET uri /primary\n"
        "    http-check expect status 200\n"
        f"{checks}{servers()}"
        "\n"
        "listen replicas\n"
        f"    bind 127.0.0.1:{layout.replica_port}\n"
        "    balance roundrobin\n"
        "    option httpchk\n"
        "    http-check send meth GET uri /replica\n"
        "    http-check expect status 200\n"
        f"{checks}{servers()}"
    )


def pgbackrest_config(layout: Layout) -> str:
    """The repository and the stanza. pg1 is whichever node is primary: `deploy.cluster`
    and `market backup` pass --pg1-path/--pg1-port of the current leader (one machine
    cannot list three local data directories as pg1..pg3)."""
    return (
        "# Written by deploy/cluster.py (make cluster): edit deploy/cluster_config.py.\n"
        "[global]\n"
        f"repo1-path={layout.pgbackrest / 'repo'}\n"
        "repo1-retention-full=3\n"
        f"log-path={layout.pgbackrest / 'log'}\n"
        f"lock-path={layout.pgbackrest / 'lock'}\n"
        f"spool-path={layout.pgbackrest / 'spool'}\n"
        "log-level-console=warn\n"
        "log-level-file=info\n"
        "start-fast=y\n"
        "process-max=2\n"
        "compress-type=lz4\n"
        "\n"
        f"[{STANZA}]\n"
        f"pg1-path={layout.data(NODES[0])}\n"
        f"pg1-port={layout.pg(0)}\n"
        f"pg1-socket-path={layout.run}\n"
    )
