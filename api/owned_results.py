"""Worker-thread work whose result owns something on disk (a stem file, an encoded answer): when the
request is cancelled (the client went away) while the worker still runs, the thread cannot be stopped,
so what it makes is thrown away when it finishes instead of being left in the upload folder with
nobody to delete it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from api.state import EngineState

T = TypeVar("T")


async def run_owning(engine: EngineState, discard: Callable[[T], object], fn: Callable[..., T], *args: object) -> T:
    """``engine.run(fn, *args)``; on cancellation ``discard(result)`` once the worker is done (when it
    returned a result)."""
    work = asyncio.ensure_future(engine.run(fn, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        work.add_done_callback(lambda done: _discard(done, discard))
        raise


def _discard(done: asyncio.Future[T], discard: Callable[[T], object]) -> None:
    if not done.cancelled() and done.exception() is None:
        discard(done.result())


__all__ = ["run_owning"]
