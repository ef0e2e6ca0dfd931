"""Login throttling in a store every worker shares: it slows an attacker down without
locking the owner out.

- Per e-mail *and* client address: after `login_max_failures` failures in a row, each
  further attempt must wait 2, 4, 8 … seconds (at most `login_window_seconds`) after
  the last failure. A password guesser at one address gets slower and slower; the
  owner at another address is not affected, and a success clears the pair.
- Per client address, across all e-mails: at most 4 × `login_max_failures` failures
  in a fixed window (credential stuffing from one address).

Which address a request comes from is `client_address` (market.web.proxies): a
forwarded header counts only from a trusted proxy. With Redis the counters are atomic
(INCR / HINCRBY with expiries); with the file store the read-modify-write is serialised
by an exclusive file lock, which every worker on the host shares.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from market import clock
from market.settings import Settings


def _bucket(kind: str, value: str) -> str:
    return f"{kind}-" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


class LoginLimiter:
    """`wait_seconds(email, ip)` before checking a password (0 = go ahead);
    `failed(...)` after a failure, `succeeded(...)` after a success."""

    def __init__(self, settings: Settings) -> None:
        self.free = settings.login_max_failures
        # Addresses may be shared (NAT, offices): allow more per address than per account.
        self.ip_limit = settings.login_max_failures * 4
        self.window = settings.login_window_seconds
        self._redis: Redis | None = (
            Redis.from_url(settings.redis_url) if settings.redis_url else None
        )
        self._dir = settings.var_dir / "ratelimit"
        if self._redis is None:
            self._dir.mkdir(parents=True, exist_ok=True)

    def _window_id(self) -> int:
        return int(clock.now().timestamp()) // self.window

    def delay_after(self, failures: int) -> int:
        """Seconds to wait after the last of `failures` consecutive failures."""
        if failures < self.free:
            return 0
        return int(min(self.window, 2 ** min(failures - self.free + 1, 30)))

    async def wait_seconds(self, email: str, ip: str) -> int:
        now = clock.now().timestamp()
        window = self._window_id()
        if await self._get(f"{_bucket('ip', ip)}:{window}") >= self.ip_limit:
            return max(1, (window + 1) * self.window - int(now))
        failures, last = await self._pair(_pair_key(email, ip))
        remaining = last + self.delay_after(failures) - now
        return max(0, math.ceil(remaining))

    async def blocked(self, email: str, ip: str) -> bool:
        return await self.wait_seconds(email, ip) > 0

    async def failed(self, email: str, ip: str) -> None:
        await self._incr(f"{_bucket('ip', ip)}:{self._window_id()}")
        await self._pair_failed(_pair_key(email, ip), clock.now().timestamp())

    async def succeeded(self, email: str, ip: str) -> None:
        key = _pair_key(email, ip)
        if self._redis is not None:
            await self._redis.delete(f"pgm:login:{key}")
            return
        await asyncio.to_thread(self._file_pair, key, None)

    # --- storage ---------------------------------------------------------------------

    async def _get(self, key: str) -> int:
        if self._redis is not None:
            value = await self._redis.get(f"pgm:login:{key}")
            return int(value or 0)
        return await asyncio.to_thread(self._file_update, key, 0)

    async def _incr(self, key: str) -> int:
        if self._redis is not None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(f"pgm:login:{key}")
                pipe.expire(f"pgm:login:{key}", self.window * 2)
                count, _ = await pipe.execute()
            return int(count)
        return await asyncio.to_thread(self._file_update, key, 1)

    async def _pair(self, key: str) -> tuple[int, float]:
        if self._redis is not None:
            values = await self._redis.hmget(f"pgm:login:{key}", ["n", "last"])
            return int(values[0] or 0), float(values[1] or 0)
        return await asyncio.to_thread(self._file_pair, key, 0.0)

    async def _pair_failed(self, key: str, now: float) -> None:
        if self._redis is not None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(f"pgm:login:{key}", "n", 1)
                pipe.hset(f"pgm:login:{key}", "last", str(now))
                pipe.expire(f"pgm:login:{key}", self.window * 4)
                await pipe.execute()
            return
        await asyncio.to_thread(self._file_pair, key, now)

    def _locked(self, name: str) -> Any:
        return open(self._dir / name, "a")

    def _file_update(self, key: str, delta: int) -> int:
        path: Path = self._dir / "counters.json"
        with self._locked("counters.lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                counters: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}
                current = self._window_id()
                # Drop windows that ended; the file stays small.
                counters = {
                    k: v for k, v in counters.items() if int(k.rsplit(":", 1)[1]) >= current - 1
                }
                counters[key] = counters.get(key, 0) + delta
                if delta:
                    _write(path, counters)
                return counters[key]
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _file_pair(self, key: str, failed_at: float | None) -> tuple[int, float]:
        """Read a pair (failed_at 0.0), record a failure at `failed_at`, or clear (None)."""
        path: Path = self._dir / "pairs.json"
        with self._locked("counters.lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pairs: dict[str, list[float]] = (
                    json.loads(path.read_text()) if path.exists() else {}
                )
                count, last = pairs.get(key, [0, 0.0])
                if failed_at is None:
                    pairs.pop(key, None)
                elif failed_at:
                    count, last = count + 1, failed_at
                    horizon = failed_at - self.window * 4
                    pairs = {k: v for k, v in pairs.items() if v[1] >= horizon}
                    pairs[key] = [count, last]
                if failed_at is None or failed_at:
                    _write(path, pairs)
                return int(count), float(last)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _pair_key(email: str, ip: str) -> str:
    return _bucket("pair", f"{email.strip().lower()}\n{ip}")


def _write(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
