"""Deployment: the development PostgreSQL cluster (Patroni + etcd + HAProxy +
pgBackRest, `make cluster`), its failover test (`make cluster-test`), and the guide,
systemd units and example configurations for production (see deploy/README.md)."""
