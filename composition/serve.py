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
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
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

    die_with_parent()
    return create_app()


def command(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    server = Granian(
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
    )
    server.serve()
    return 0
