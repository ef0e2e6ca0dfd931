"""`market serve`: granian (HTTP in Rust, the ASGI app on uvloop) running the app
factory in `--workers` processes.

Chosen by measurement (`python -m benchmarks.server_stack`): a bare Litestar hello on
granian with uvloop outran uvicorn with httptools and uvloop, and uvicorn with its
pure-Python h11 parser (what `market serve` ran before) by far; the benchmark fails if
the stack named by `STACK` stops being the fastest.

Every worker process builds its own app (`create_app`, so its own database pool and,
with MARKET_WORKER_INLINE=1, its own job loop: the jobs' claims, `market.jobs.claims`,
let one process at a time run a job, on one machine or many). SIGTERM or SIGINT stops
it gracefully: the socket closes, each worker finishes the requests it has and runs the
app's shutdown (a running job finishes, the pool closes); a worker still busy after
`KILL_TIMEOUT` seconds is killed. A worker that dies is started again; if the main
process dies, the kernel kills its workers (`die_with_parent`).

SIGTERM first drains for MARKET_DRAIN_SECONDS (`market.draining`: /readyz answers 503
and no job is claimed while requests are still served), then stops as above; SIGINT
(Ctrl-C) stops at once. Send SIGTERM to the main process only (systemd: KillMode=mixed):
a worker that receives it itself stops without draining.

Metrics: the workers write theirs under PROMETHEUS_MULTIPROC_DIR (`market.metrics`),
a folder emptied at each start: the environment's, else `<var>/metrics/serve-<pid>`.
Logs: JSON lines on stderr from the main process and every worker (`market.logs`).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

STACK = "granian"  # the candidate of benchmarks/server_stack.py that this module runs
TARGET = "composition.serve:worker_app"
KILL_TIMEOUT = 30  # seconds; the inline worker gives a running job 5 (stop_inline)
# A client that has not sent a whole request head within this many milliseconds is cut
# off: a trickling client holds no worker, and a stopping worker waits no longer for it.
HEADER_READ_TIMEOUT_MS = 10_000
PR_SET_PDEATHSIG = 1  # linux/prctl.h
ROOT = Path(__file__).resolve().parent.parent
# --reload watches the code only: var/ (the database, sessions, mail) changes all the
# time; templates and static files are read again without a restart in dev.
CODE = ("composition", "market", "bids", "donors", "opendata")


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux): a worker of a
    server whose main process was killed (SIGKILL, the OOM killer) must not go on
    serving the port unsupervised."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it died before we asked
        os.kill(os.getpid(), signal.SIGKILL)


def worker_app() -> Any:
    """The app, as each worker process builds it."""
    from composition.app import create_app
    from market import logs

    die_with_parent()
    logs.configure()
    return create_app()


def metrics_folder(var_dir: Path) -> Path:
    """PROMETHEUS_MULTIPROC_DIR for this server's workers, emptied of earlier runs'
    files (set in the environment the workers inherit)."""
    from market.metrics import MULTIPROC_ENV

    named = os.environ.get(MULTIPROC_ENV)
    folder = Path(named) if named else var_dir / "metrics" / f"serve-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def drain_marker(var_dir: Path) -> Path:
    """The file whose creation tells the workers to drain (market.draining)."""
    from market.draining import ENV

    folder = var_dir / "run"
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"serve-{os.getpid()}.draining"
    marker.unlink(missing_ok=True)
    os.environ[ENV] = str(marker)
    return marker


def server_class() -> type[Any]:
    """granian's server, whose SIGTERM drains first (`drain_seconds`, `drain_file`)."""
    from granian import Granian
    from granian.log import logger

    class DrainingServer(Granian):  # type: ignore[misc, valid-type]
        drain_seconds: float = 0.0
        drain_file: Path | None = None
        _drained = False

        def startup(self, *args: Any) -> None:
            super().startup(*args)
            signal.signal(signal.SIGTERM, self.on_sigterm)

        def on_sigterm(self, *_: Any) -> None:
            if self._drained or self.drain_seconds <= 0 or self.drain_file is None:
                self.signal_handler_interrupt()
                return
            self._drained = True
            self.drain_file.touch()
            logger.info(f"SIGTERM: draining for {self.drain_seconds:g}s, then stopping")
            timer = threading.Timer(self.drain_seconds, self.signal_handler_interrupt)
            timer.daemon = True
            timer.start()

    return DrainingServer


def command(args: argparse.Namespace) -> int:
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    from market import logs
    from market.settings import get_settings

    settings = get_settings()
    metrics_folder(settings.var_dir)
    marker = drain_marker(settings.var_dir)
    server = server_class()(
        TARGET,
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        workers=1 if args.reload else args.workers,
        reload=args.reload,
        reload_paths=[ROOT / name for name in CODE],
        respawn_failed_workers=not args.reload,
        workers_kill_timeout=KILL_TIMEOUT,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        # The peer stays the real one; X-Forwarded-For counts only from the proxies in
        # MARKET_TRUSTED_PROXIES (market.web.proxies). Granian adds no proxy handling.
        log_access=False,
        log_dictconfig=logs.dict_config(),
    )
    server.drain_seconds = 0 if args.reload else settings.drain_seconds
    server.drain_file = marker
    try:
        server.serve()
    finally:
        marker.unlink(missing_ok=True)
    return 0
