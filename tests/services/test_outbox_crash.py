"""`market worker --job outbox.deliver` killed with SIGKILL between sending an e-mail
and marking it sent, twice, against the suite's PostgreSQL database and a real SMTP
server: afterwards every message arrived, and each kill cost exactly one duplicate,
which carries the same Message-ID as its first copy.

The moment is made deterministic by the server: at the 10th and 25th message it has
received the whole message but holds back its "250 OK" until the test has killed the
worker — so the worker dies after the send and before it could mark the row sent, the
window a crash can hit. Restarted workers wait out the dead one's lease
(MARKET_OUTBOX_LEASE_SECONDS=1) and send what it held."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from market import outbox
from market.db import atomic
from market.outbox import rules
from market.settings import get_settings
from market.sql import execute
from tests.smtp import Mailbox, SmtpServer

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("fresh_db")]

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 40
STALL_AT = (10, 25)  # the received messages (duplicates counted) the server holds back
LEASE_SECONDS = 1


class HoldsBack(Mailbox):
    """Records each message, then at the chosen ones signals `reached` and answers
    only once `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = {n: threading.Event() for n in STALL_AT}
        self.release = {n: threading.Event() for n in STALL_AT}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        number = len(self.messages)
        if number in self.reached:
            self.reached[number].set()
            await asyncio.get_running_loop().run_in_executor(None, self.release[number].wait, 60)
        return answer


async def start_worker(smtp_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PICCOLO_CONF": "piccolo_conf",
        "MARKET_SMTP_URL": smtp_url,
        "MARKET_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "composition.cli", "worker", "--job", "outbox.deliver",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def unsent() -> int:
    [row] = await execute("SELECT COUNT(*) AS n FROM market_outbox WHERE sent_at IS NULL")
    return int(row["n"])


async def test_a_worker_killed_between_send_and_commit_resends_once_and_loses_nothing() -> None:
    async with atomic():
        for n in range(MESSAGES):
            await outbox.enqueue_email(f"k{n}@example.org", f"Crash {n}", "Body\n", key=f"kill|{n}")
    mailbox = HoldsBack()
    server = SmtpServer(mailbox=mailbox).start()
    runs = 0
    try:
        for stall in STALL_AT:
            worker = await start_worker(server.url)
            runs += 1
            await asyncio.wait_for(asyncio.to_thread(mailbox.reached[stall].wait), 120)
            worker.send_signal(signal.SIGKILL)
            assert await worker.wait() == -signal.SIGKILL
            mailbox.release[stall].set()
            await asyncio.sleep(LEASE_SECONDS + 0.2)  # the dead worker's lease ends
        while await unsent() and runs < 10:
            worker = await start_worker(server.url)
            runs += 1
            _, err = await asyncio.wait_for(worker.communicate(), 120)
            assert worker.returncode == 0, err.decode()[-2000:]
            if await unsent():
                await asyncio.sleep(LEASE_SECONDS)
    finally:
        for event in mailbox.release.values():
            event.set()
        server.stop()

    base = get_settings().base_url
    expected = {rules.message_id(f"kill|{n}", base) for n in range(MESSAGES)}
    received = Counter(str(m["Message-ID"]) for m in mailbox.messages)
    line = (
        f"outbox SIGKILL x{len(STALL_AT)}: {MESSAGES} messages, {len(mailbox.messages)} received,"
        f" {len(received)} distinct Message-IDs, {runs} worker runs"
    )
    assert set(received) == expected, line  # none lost
    assert len(mailbox.messages) - MESSAGES == len(STALL_AT), line  # one duplicate per kill
    doubled = [mid for mid, count in received.items() if count == 2]
    assert len(doubled) == len(STALL_AT) and max(received.values()) == 2, line
    for mid in doubled:  # the copies are the same message
        copies = [m for m in mailbox.messages if str(m["Message-ID"]) == mid]
        assert len({(str(m["To"]), str(m["Subject"])) for m in copies}) == 1
    rows = await execute("SELECT sent_at, failed_at FROM market_outbox")
    assert all(r["sent_at"] is not None and r["failed_at"] is None for r in rows), line
    print(f"\n{line}")
