"""A real Stripe-compatible server (localstripe) and the app as a real server process,
so that localstripe can deliver its signed webhooks to `/webhooks/stripe`."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from market.settings import get_settings, reset_settings
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_localstripe_test"
API_KEY = "sk_test_localstripe"


def wait_until_up(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120  # a loaded CI machine may take a while
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: " + process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own wrapper, fixed arguments
        [sys.executable, "-m", "tests.stripe.localstripe_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/v1/charges", process, "localstripe")
    yield url
    stop(process)


@dataclass(frozen=True)
class StripeStack:
    api: str  # localstripe
    app: str  # the app server localstripe posts webhooks to


@pytest.fixture(scope="session")
def stripe_app(localstripe: str) -> Iterator[str]:
    """The app served by `market serve` (once per session) with Stripe pointed at localstripe
    and its webhook registered there."""
    port = free_port()
    env = {
        **os.environ,
        "PICCOLO_CONF": "piccolo_conf",
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": localstripe,
    }
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "composition.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    app_url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{app_url}/healthz", process, "app server")
    response = httpx.post(
        f"{localstripe}/_config/webhooks/pgm",
        data={"url": f"{app_url}/webhooks/stripe", "secret": WEBHOOK_SECRET},
    )
    response.raise_for_status()
    yield app_url
    stop(process)


@pytest.fixture
def stripe_stack(localstripe: str, stripe_app: str, fresh_db: None) -> Iterator[StripeStack]:
    """Real commits (the server process reads them) and this test process's settings
    pointed at localstripe too."""
    before = get_settings()
    reset_settings(
        dataclasses.replace(
            before,
            stripe_secret_key=API_KEY,
            stripe_publishable_key="pk_test_localstripe",
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=localstripe,
        )
    )
    yield StripeStack(localstripe, stripe_app)
    reset_settings(before)
