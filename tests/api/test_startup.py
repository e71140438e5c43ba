"""api/startup.py: what start-up does that no request sees, checked where a request cannot."""

from __future__ import annotations

import asyncio
import gc
import importlib
import threading
from collections.abc import Callable
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


def test_the_warm_ups_run_every_heavy_path_without_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The start-up warm-ups run the analysis, an accompaniment, both transcriptions, a suggestion and a render
    on synthetic music. A failure there is only logged (the engine serves cold), and the first request of that
    endpoint then pays what the step should have done (17-20 s on a fresh install, bench/first_requests.py).
    The real warm-ups run; only their calls are counted. Each goes through its whole path: an accompaniment of
    music without a beat would raise, a transcription without its model too."""
    ran: list[str] = []
    for name in ("ai.generation.accompaniment", "ai.mixing.render", "ai.transcription.transcribe"):
        module = importlib.import_module(name)  # the module: the package's ``transcribe`` is its function
        real = module.warm_up

        def counted(*args: object, _real: Callable[..., None] = real, _name: str = module.__name__) -> None:
            _real(*args)
            ran.append(_name)

        monkeypatch.setattr(module, "warm_up", counted)
    app = create_app(make_settings(tmp_path, warmup=True))

    async def serve_until_warm() -> None:
        async with running(app):
            for _ in range(1800):
                if not app.state.engine.warming_up:
                    return
                await asyncio.sleep(0.1)

    with caplog.at_level("INFO", logger="api.startup"):
        asyncio.run(serve_until_warm())
    assert not [r for r in caplog.records if "failed" in r.getMessage()], caplog.text
    done = {r.getMessage().split("'")[1] for r in caplog.records if "done after" in r.getMessage()}
    assert {"analysis", "mixing", "transcription"} <= done
    assert sorted(ran) == ["ai.generation.accompaniment", "ai.mixing.render", "ai.transcription.transcribe"]
