"""`market.db.on_commit`: what a transaction counts (metrics) happens once it commits,
never when it rolls back — nor when only a savepoint inside it does."""

from __future__ import annotations

import pytest

from market.db import atomic, on_commit


class Boom(Exception):
    pass


async def test_actions_run_after_the_commit_and_not_after_a_rollback(fresh_db: None) -> None:
    done: list[str] = []
    async with atomic():
        on_commit(lambda: done.append("a"))
        assert done == []  # not yet: the transaction is open
    assert done == ["a"]
    with pytest.raises(Boom):
        async with atomic():
            on_commit(lambda: done.append("b"))
            raise Boom
    assert done == ["a"]


async def test_a_rolled_back_savepoint_drops_its_actions_only(fresh_db: None) -> None:
    done: list[str] = []
    async with atomic():
        on_commit(lambda: done.append("outer"))
        with pytest.raises(Boom):
            async with atomic():
                on_commit(lambda: done.append("inner, undone"))
                raise Boom
        async with atomic():
            on_commit(lambda: done.append("inner, kept"))
        assert done == []
    assert done == ["outer", "inner, kept"]


async def test_outside_a_transaction_an_action_runs_at_once(fresh_db: None) -> None:
    done: list[str] = []
    on_commit(lambda: done.append("now"))
    assert done == ["now"]


async def test_a_failing_action_does_not_undo_the_commit(fresh_db: None) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("a metric failed")

    async with atomic():
        on_commit(broken)
        on_commit(lambda: done.append("after"))
    assert done == ["after"]
