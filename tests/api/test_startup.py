"""api/startup.py: what start-up does that no request sees, checked where a request cannot."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest

from api import startup
from api.local_client import running
from main import create_app
from tests.api.conftest import make_settings


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


def test_the_magenta_load_is_told_when_the_engine_stops(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The lifespan's end tells a Magenta load still running to stop (load_bundles' ``stop``): the
    interpreter's exit would otherwise fail its imports under it, one traceback per bundle."""
    from ai.generation import magenta_backend

    entered, told = threading.Event(), []

    def load_bundles(models_dir: Path, registry: object, *, stop: threading.Event | None = None) -> list[object]:
        entered.set()
        told.append(stop is not None and stop.wait(10))
        return []

    monkeypatch.setattr(magenta_backend, "load_bundles", load_bundles)
    app = create_app(make_settings(tmp_path, load_magenta=True))

    async def serve_while_loading() -> None:
        async with running(app):
            assert await asyncio.to_thread(entered.wait, 10)
            assert not told  # still loading while the engine serves

    asyncio.run(serve_while_loading())
    app.state.engine.pool.shutdown(wait=True)  # the loader's thread has returned
    assert told == [True]
