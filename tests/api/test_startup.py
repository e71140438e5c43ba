"""api/startup.py: what start-up does that no request sees, checked where a request cannot."""

from __future__ import annotations

import asyncio
import gc

import pytest

from api import startup


def test_the_heap_is_frozen_after_a_young_collection_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full collection of the start-up heap stalled every request for 270-600 ms just after start-up."""
    collected: list[int] = []
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))

    async def steps() -> None:
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        await startup._freeze_heap_after([asyncio.ensure_future(done)])

    asyncio.run(steps())
    assert collected == [1] and frozen == [True]
