"""Stores shared by all workers: files under var/ by default, Redis when REDIS_URL is set."""

from __future__ import annotations

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore

from market.settings import Settings


def make_store(settings: Settings, namespace: str) -> Store:
    if settings.redis_url:
        return RedisStore.with_client(url=settings.redis_url, namespace=f"pgm:{namespace}")
    path = settings.var_dir / namespace
    path.mkdir(parents=True, exist_ok=True)
    return FileStore(path=path)
