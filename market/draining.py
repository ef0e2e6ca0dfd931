"""Draining: the time between `market serve` receiving SIGTERM and its socket closing.

`market serve` names a marker file for its workers (MARKET_DRAIN_FILE, set before they
start) and creates it on SIGTERM; then, MARKET_DRAIN_SECONDS later, it stops the way
granian stops (the socket closes, each worker finishes the requests it has, runs the
app's shutdown and exits). Each worker looks for the marker every `LOOK_EVERY` seconds
(`watch`, started with the app): from then on `/readyz` answers 503 (a load balancer
stops sending new requests while the ones it sent are still served) and the inline job
worker stops claiming jobs (a running one finishes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

ENV = "MARKET_DRAIN_FILE"
LOOK_EVERY = 0.2  # seconds
log = logging.getLogger("market.draining")

_draining = False


def draining() -> bool:
    return _draining


def begin() -> None:
    """This process drains from now on (also for tests)."""
    global _draining
    if not _draining:
        log.info("draining: /readyz answers 503, no new job is claimed")
    _draining = True


def reset() -> None:
    global _draining
    _draining = False


async def _watch(path: str, on_drain: list[Callable[[], None]]) -> None:
    # A stat of a local file every LOOK_EVERY: another process makes the marker, so no
    # event of this loop could tell us sooner.
    while not os.path.exists(path):  # noqa: ASYNC110, ASYNC240 - a local stat, microseconds
        await asyncio.sleep(LOOK_EVERY)
    begin()
    for action in on_drain:
        action()


def start_watching(app: Any) -> None:
    """on_startup: watch for the marker when `market serve` named one."""
    path = os.environ.get(ENV)
    if not path:
        return
    worker = getattr(app.state, "worker", None)
    on_drain = [worker.stop] if worker is not None else []
    app.state.drain_watch = asyncio.get_running_loop().create_task(_watch(path, on_drain))


async def stop_watching(app: Any) -> None:
    task = getattr(app.state, "drain_watch", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
