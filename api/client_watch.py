"""A synchronous request's work stopped when its client hangs up.

A request answered when its work is done (the default, not ``async=true``) used to run to the end
after its client had gone: a transcription went on for 15 s of two shared cores for an answer
nobody would read. :func:`while_connected` runs the work as a task with a progress reporter
(ai/progress.py) that only watches for the client, the same mechanism a cancelled job uses: while
the work runs, the request is asked every ``poll_s`` whether its client is still there; once it is
not, the task is cancelled and the work in the worker threads raises
:class:`ai.progress.Cancelled` at its next progress call, so the CPU is free within one checkpoint.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

from ai import progress
from utils.errors import EngineError

logger = logging.getLogger(__name__)

T = TypeVar("T")

DISCONNECT_POLL_S = 0.5
"""How often a running request asks whether its client is still connected (seconds)."""


class ClientGone(EngineError):
    """The client disconnected while its request's work ran; the work was stopped. Nobody reads the
    answer (499, as nginx names a request its client closed); the log has one INFO line."""

    status_code = 499
    code = "client_disconnected"


class _ClientWatch:
    """A progress reporter (ai.progress.Reporter) that reports nowhere and raises Cancelled once the
    client is gone. Called from worker threads."""

    def __init__(self) -> None:
        self.gone = threading.Event()

    def update(self, fraction: float, stage: str | None) -> None:
        self.check()

    def check(self) -> None:
        if self.gone.is_set():
            raise progress.Cancelled("the client disconnected")


async def _awaited(work: Awaitable[T]) -> T:
    return await work


async def while_connected(request: Request, work: Awaitable[T], *, poll_s: float = DISCONNECT_POLL_S) -> T:
    """Await ``work`` while ``request``'s client stays; when it hangs up first, stop the work (see the
    module docstring) and raise :class:`ClientGone`. The work's own result or error is passed on as is."""
    watch = _ClientWatch()
    context = contextvars.copy_context()
    context.run(progress.attach, watch)
    task = asyncio.create_task(_awaited(work), context=context)
    started = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll_s)
            if done:
                return task.result()
            if await request.is_disconnected():
                break
    except asyncio.CancelledError:  # the server is cancelling the request: the work goes with it
        watch.gone.set()  # in its worker threads too (a forced shutdown would otherwise wait for them)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    watch.gone.set()  # worker threads stop at their next progress call
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # its own clean-up (temporary files) done
    detail = f"the client disconnected after {time.monotonic() - started:.1f} s; its work was stopped"
    logger.info("%s %s: %s", request.method, request.url.path, detail)
    raise ClientGone(detail)
