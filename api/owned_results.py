"""Worker-thread work whose result owns something on disk (a stem file, an encoded answer): when the
request is cancelled (the client went away) while the worker still runs, the thread cannot be stopped,
so what it makes is thrown away when it finishes instead of being left in the upload folder with
nobody to delete it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from starlette.datastructures import UploadFile

from api.params import copy_upload, remove_quietly
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


async def copy_upload_owned(engine: EngineState, upload: UploadFile) -> Path:
    """:func:`api.params.copy_upload` with the engine's limits and upload folder, in a worker thread; when the
    request is cancelled while the thread copies (a job cancelled, a client gone), the copy is deleted once the
    thread is done. It was left in the upload folder: a job cancelled while it copied its upload left the 5 MB
    copy of a 30 s WAV there for good."""
    settings = engine.settings
    copy = functools.partial(
        copy_upload, upload, max_upload_bytes=settings.max_upload_bytes, directory=settings.upload_dir
    )
    return await run_owning(engine, remove_quietly, copy)


def _discard(done: asyncio.Future[T], discard: Callable[[T], object]) -> None:
    if not done.cancelled() and done.exception() is None:
        discard(done.result())


__all__ = ["copy_upload_owned", "run_owning"]
