"""Login rate limit in a store every worker shares.

Failures are counted per e-mail and per client address in fixed windows. With
Redis the counter is an atomic INCR with an expiry; with the file store the
read-modify-write is serialised by an exclusive file lock, which every worker on
the host shares.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
from pathlib import Path

from redis.asyncio import Redis

from market import clock
from market.settings import Settings


def _bucket(kind: str, value: str) -> str:
    return f"{kind}-" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


class LoginLimiter:
    """`blocked(email, ip)` before checking a password; `failed(...)` after a failure."""

    def __init__(self, settings: Settings) -> None:
        self.limit = settings.login_max_failures
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

    def _keys(self, email: str, ip: str) -> list[tuple[str, int]]:
        return [(_bucket("email", email), self.limit), (_bucket("ip", ip), self.ip_limit)]

    async def blocked(self, email: str, ip: str) -> bool:
        window = self._window_id()
        for key, limit in self._keys(email, ip):
            if await self._get(f"{key}:{window}") >= limit:
                return True
        return False

    async def failed(self, email: str, ip: str) -> None:
        window = self._window_id()
        for key, _limit in self._keys(email, ip):
            await self._incr(f"{key}:{window}")

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

    def _file_update(self, key: str, delta: int) -> int:
        path: Path = self._dir / "counters.json"
        with open(self._dir / "counters.lock", "a") as lock:
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
                    tmp = path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(counters))
                    tmp.replace(path)
                return counters[key]
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
