"""Fixtures of the crash tests: a throw-away PostgreSQL cluster, a template database
prepared once (migrated by `market migrate`, donations started through localstripe),
a copy of it per test, and the app as a server process that can be killed.

They need neither the shared PostgreSQL on 5432 nor MARKET_TEST_ENGINE, but run only
in the PostgreSQL pass of `make test` (marked `postgres_only`), so that the two passes
running side by side do not both run them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.crash.cluster import Cluster, ClusterUnavailable, make_cluster
from tests.net import free_port
from tests.stripe.conftest import API_KEY, ROOT, WEBHOOK_SECRET, localstripe

__all__ = ["localstripe"]

TEMPLATE = "crash_template"
DONATIONS = 1540  # unique events; with 460 redeliveries of them, 2,000 deliveries
_copies = itertools.count(1)


def run_cli(env: dict[str, str], *command: str) -> str:
    """`market <command>` with `env` (its DATABASE_URL); its output (raises when it
    exits non-zero)."""
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "composition.cli", *command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"market {' '.join(command)} exited {done.returncode}:"
                             f" {done.stdout[-2000:]}{done.stderr[-2000:]}")  # fmt: skip
    return done.stdout


def server_env(url: str, stripe_api: str, var_dir: Path) -> dict[str, str]:
    """The environment of the app (and its CLI) against `url`, Stripe at `stripe_api`."""
    return {
        **os.environ,
        "PICCOLO_CONF": "piccolo_conf",
        "DATABASE_URL": url,
        "MARKET_ENV": "test",
        "MARKET_VAR_DIR": str(var_dir),
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api,
    }


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    try:
        made = make_cluster()
    except ClusterUnavailable as exc:
        pytest.skip(f"no throw-away PostgreSQL cluster: {exc}")
    yield made
    made.remove()


async def _sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Template:
    cluster: Cluster
    stripe_api: str
    payments: list[dict[str, int | str]]  # payment_id, donation_id, intent, amount


@pytest.fixture(scope="session")
def template(
    cluster: Cluster, localstripe: str, tmp_path_factory: pytest.TempPathFactory
) -> Template:
    """Migrated, a tender open for donations, a 1:1 pledge, DONATIONS card donations
    awaiting their webhook: copied (CREATE DATABASE … TEMPLATE) for each test."""
    asyncio.run(_sql(cluster.url(), f"CREATE DATABASE {TEMPLATE}"))
    work = tmp_path_factory.mktemp("crash")
    env = server_env(cluster.url(TEMPLATE), localstripe, work)
    run_cli(env, "migrate")
    out = work / "payments.json"
    prepare = ["-m", "tests.crash.prepare", "--donations", str(DONATIONS), "--out", str(out)]
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, *prepare],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return Template(cluster, localstripe, json.loads(out.read_text()))


@pytest.fixture
def database(template: Template) -> str:
    """A fresh copy of the template database: its URL."""
    name = f"crash_{next(_copies)}"
    asyncio.run(_sql(template.cluster.url(), f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    return template.cluster.url(name)


class AppServer:
    """`market serve` on its own port against one database; killed with SIGKILL."""

    def __init__(self, url: str, stripe_api: str, var_dir: Path) -> None:
        self.env = server_env(url, stripe_api, var_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = var_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                [sys.executable, "-m", "composition.cli", "serve", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.starts += 1
        deadline = time.monotonic() + 120  # a loaded machine may take a while
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app server exited: {self.tail()}")
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"app server did not start: {self.tail()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def app_server(database: str, template: Template, tmp_path: Path) -> Iterator[AppServer]:
    server = AppServer(database, template.stripe_api, tmp_path)
    server.start()
    yield server
    if server.alive():
        server.kill()
