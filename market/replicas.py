"""Read replicas for public reads, with a bound on staleness and read-your-writes.

With DATABASE_REPLICA_URLS set (PostgreSQL streaming replicas of DATABASE_URL), each
server process keeps a pool per replica (the engine's `extra_nodes`) and a monitor that,
every `probe_every` seconds, reads the primary's WAL position (`pg_current_wal_lsn()`)
and then each replica's replayed position (`pg_last_wal_replay_lsn()`). A replica that
has replayed at least the position the primary had at time T holds every transaction
committed before T, so its *staleness* is at most now − T (T the latest such sample:
`fresh_as_of`). This bound needs no clock but the process's own, does not grow on an
idle primary (nothing new to replay), and does grow when a replica stops replaying or
cannot be reached.

Which requests read from a replica (`market.web.reads`): anonymous GETs of the routes
that ask for it (public pages, open data, feeds: `opt=REPLICA_READS`), and only from a
replica whose staleness is within MARKET_REPLICA_MAX_LAG_MS (1 s by default) — else the
primary. Read-your-writes: a request that wrote (any unsafe method) gets a cookie with
the primary's WAL position after it (`WROTE_COOKIE`); a later request carrying it reads
from a replica only once that replica has replayed past it. The pages that show a
reader's own money (a donation's page and receipt, "my donations") never read from a
replica at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from market import metrics
from market.db import engine

log = logging.getLogger("market.replicas")

WROTE_COOKIE = "pgm_wrote"
WROTE_MAX_AGE = 300  # seconds: longer than any staleness we accept
_LSN = re.compile(r"[0-9]{1,20}")
NEVER = 2**64  # past any WAL position
UNKNOWN_STALENESS = 1e9  # seconds, in the gauge: a replica never (or no longer) dated
SAMPLES_KEPT = 120.0  # seconds of primary positions kept to date a replica's position
PRIMARY_LSN = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn"
REPLICA_LSN = (
    "SELECT pg_is_in_recovery() AS standby,"
    " (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn"
)


@dataclass
class Replica:
    name: str  # replica0, replica1, … (never the URL: it may carry a password)
    node: Any  # its PostgresEngine
    replayed: int | None = None  # the WAL position it has replayed, at the last probe
    fresh_as_of: float | None = None  # monotonic time: it holds all the primary had then

    def staleness(self, now: float) -> float:
        return float("inf") if self.fresh_as_of is None else now - self.fresh_as_of


def fresh_as_of(samples: deque[tuple[float, int]], replayed: int) -> float | None:
    """The latest sample time at which the primary's position was at most `replayed`."""
    for at, position in reversed(samples):
        if position <= replayed:
            return at
    return None


class Router:
    """The replicas of this process, what the monitor knows of them, and the choice."""

    def __init__(self, replicas: list[Replica], max_lag: float) -> None:
        self.replicas = replicas
        self.max_lag = max_lag
        self.probe_every = min(max(max_lag / 5, 0.05), 1.0)
        self.samples: deque[tuple[float, int]] = deque()
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None

    def pick(self, wrote: int | None = None) -> Replica | None:
        """A replica within the bound that has replayed past `wrote`, in turn; or None."""
        now = time.monotonic()
        usable = [
            r
            for r in self.replicas
            if r.staleness(now) <= self.max_lag
            and (wrote is None or (r.replayed is not None and r.replayed >= wrote))
        ]
        if not usable:
            return None
        return usable[next(self._turn) % len(usable)]

    async def probe(self) -> None:
        """One look: the primary's position now, then how far each replica has replayed."""
        at = time.monotonic()
        [row] = await engine().run_ddl(PRIMARY_LSN)
        self.samples.append((at, int(row["lsn"])))
        while len(self.samples) > 1 and self.samples[0][0] < at - SAMPLES_KEPT:
            self.samples.popleft()
        for replica in self.replicas:
            try:
                [seen] = await replica.node.run_ddl(REPLICA_LSN)
            except Exception as exc:  # down or restarting: it stops being fresh
                log.warning("replica %s did not answer: %s", replica.name, type(exc).__name__)
                continue
            if not seen["standby"] or seen["lsn"] is None:  # promoted, or not a replica
                replica.replayed, replica.fresh_as_of = None, None
                continue
            replica.replayed = int(seen["lsn"])
            dated = fresh_as_of(self.samples, replica.replayed)
            if dated is not None and (replica.fresh_as_of is None or dated > replica.fresh_as_of):
                replica.fresh_as_of = dated

    async def _monitor(self) -> None:
        while True:
            try:
                await self.probe()
            except Exception as exc:  # the primary is away: no replica gets fresher
                log.warning("replica monitor: primary did not answer: %s", type(exc).__name__)
            self.publish()
            await asyncio.sleep(self.probe_every)

    def publish(self) -> None:
        """Each replica's staleness bound, into this process's gauge."""
        now = time.monotonic()
        for replica in self.replicas:
            seconds = replica.staleness(now)
            metrics.REPLICA_STALENESS.labels(replica=replica.name).set(
                seconds if math.isfinite(seconds) else UNKNOWN_STALENESS
            )

    async def start(self) -> None:
        for replica in self.replicas:  # no connection yet: a replica that is down
            await replica.node.start_connection_pool(min_size=0, max_size=10)  # stops nothing
        with contextlib.suppress(Exception):
            await self.probe()
        self._task = asyncio.get_running_loop().create_task(self._monitor())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


_router: Router | None = None


def router() -> Router | None:
    """This process's router, once `start_replicas` ran with replicas configured."""
    return _router


async def start_replicas() -> None:
    """on_startup: pools and the monitor, when the engine has replicas."""
    global _router
    from market.settings import get_settings

    nodes = getattr(engine(), "extra_nodes", {})
    if not nodes:
        return
    replicas = [Replica(name, node) for name, node in sorted(nodes.items())]
    _router = Router(replicas, get_settings().replica_max_lag_ms / 1000)
    await _router.start()


async def stop_replicas() -> None:
    global _router
    if _router is not None:
        await _router.stop()
        _router = None


async def primary_position() -> int:
    """The primary's WAL position now: what a reader who just wrote must see."""
    [row] = await engine().run_ddl(PRIMARY_LSN)
    return int(row["lsn"])


def parse_wrote(raw: str | None) -> int | None:
    """The `pgm_wrote` cookie: a WAL position (digits); None when absent. A garbled one
    is a position no replica reaches, so its bearer reads from the primary."""
    if raw is None:
        return None
    return int(raw) if _LSN.fullmatch(raw) else NEVER


def staleness() -> dict[str, float]:
    """Each replica's staleness bound now (seconds; inf when unknown), for metrics."""
    if _router is None:
        return {}
    now = time.monotonic()
    return {r.name: r.staleness(now) for r in _router.replicas}
