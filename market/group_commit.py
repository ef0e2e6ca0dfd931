"""Group commit inside one process: requests that arrive while a batch is being written
join the next batch, so a flood of small writes becomes a few large transactions (the
write-ahead log's group commit, TigerBeetle's request batching). A lone request is a
batch of one and waits for nothing: there is no timer, only the time the batch before
it takes.

`GroupCommit(apply)` takes `apply(items) -> outcomes`, one outcome per item in order —
a value, or an exception that is raised to that item's caller only. An exception
raised by `apply` itself goes to every caller of that batch. Each caller awaits its
own outcome; one whose request is cancelled leaves its item in the batch (a write
already under way completes, as it would for a single request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")

Apply = Callable[[Sequence[Item]], Awaitable[Sequence[Out | BaseException]]]


class GroupCommit(Generic[Item, Out]):
    def __init__(self, apply: Apply[Item, Out], *, max_batch: int = 200) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._apply = apply
        self._max = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Out]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drainer: asyncio.Task[None] | None = None
        self.batches: list[int] = []  # the size of each batch written (bounded, recent)

    async def submit(self, item: Item) -> Out:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests, a restarted worker)
            self._loop, self._waiting, self._drainer = loop, [], None
        future: asyncio.Future[Out] = loop.create_future()
        self._waiting.append((item, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Out]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max], self._waiting[self._max :]
                self.batches = [*self.batches[-99:], len(batch)]
                try:
                    outcomes = await self._apply([item for item, _ in batch])
                    if len(outcomes) != len(batch):
                        raise RuntimeError("a group commit returned the wrong number of outcomes")
                except Exception as exc:
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller was cancelled
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                batch = []
        finally:
            # Cancelled (the loop is closing): nobody is left to answer these callers.
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting = []
            self._drainer = None
