"""Start-up work that must not block serving: loading Magenta bundles and the transcription models, warming up
analysis and mixing."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from ai.analysis.beat_net import describe_shipped_beat_net
from ai.analysis.drums_only import describe_model as describe_drums_only
from ai.analysis.rhythm import describe_shipped_level_model
from ai.audio.voice import describe_voice_model
from ai.generation.dynamics import describe_dynamics
from ai.generation.melody_harmony import describe_model as describe_melody_harmony
from ai.generation.microtiming import describe_timing
from ai.mixing.role_model import describe_role_model
from ai.transcription.transcribe import describe_transcription_models
from api.openapi_schema import openapi_schema
from api.state import EngineState
from integration.status_file import build_status, build_stopped_status
from utils.settings import Settings

logger = logging.getLogger(__name__)


def _load_magenta(engine: EngineState) -> None:
    from ai.generation.magenta_backend import load_bundles  # imports TensorFlow: only here

    load_bundles(engine.settings.models_dir, engine.registry, stop=engine.stopping)


def _warm_up_analysis(engine: EngineState) -> None:
    """The analysis, then the accompaniment that runs it (its cues, beat following and bar harmony, on the
    theory generators: the Magenta bundles may still be loading)."""
    from ai.analysis.pipeline import warm_up
    from ai.generation import accompaniment

    warm_up()
    accompaniment.warm_up(engine.registry)


def _open_library(engine: EngineState) -> None:
    if engine.library is not None:
        engine.library.open()  # its migrations run now, not in the first library request


def _warm_up_mixing(engine: EngineState) -> None:
    from ai.mixing import render
    from ai.mixing.suggest import warmup

    warmup()
    render.warm_up()


def _load_transcription(engine: EngineState) -> None:
    """The transcription models (basic-pitch's ONNX session, the drum network): loaded here, not inside
    the first /transcribe, which would otherwise pay the load's time (~1.3 s) and its memory (~30 MB); then
    a transcription with each, so that their first runs and kernels are not the first request's either."""
    from ai.transcription import drums, pitched
    from ai.transcription.transcribe import warm_up

    pitched.load_model()
    drums.shipped_drum_net()
    warm_up()


async def _run_step(engine: EngineState, name: str, fn: Callable[[EngineState], None]) -> None:
    engine.warming_up.add(name)
    try:
        await engine.run(fn, engine)
        logger.info("start-up step '%s' done after %.1f s", name, engine.uptime_s)
    except Exception:
        # A failed step leaves the engine serving (theory backend, cold analysis); it is logged
        # and visible through /api/v1/models and the status file.
        logger.exception("start-up step '%s' failed", name)
    finally:
        engine.warming_up.discard(name)
        if name == "magenta":
            engine.models_ready.set()


SWITCH_INTERVAL_S = 0.001
"""How long a Python thread may hold the GIL before another may run (CPython's default is 5 ms).
Generation is pure Python in a worker thread: at 5 ms the event loop waited on every round, and
/health's p99 under 100 queued generation jobs was 60-115 ms; at 1 ms it was 34-43 ms, throughput
unchanged (bench/jobs.py)."""


def make_upload_folder(settings: Settings) -> None:
    """Make DAWG_AI_UPLOAD_DIR at start-up, so that a folder that cannot be made is in the log at once;
    the requests that need it answer 507 saying why (utils/scratch.py, which also makes it again when a
    temporary-files cleaner removed it)."""
    if settings.upload_dir is None:
        return
    try:
        settings.upload_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.error(
            "cannot make the upload folder %s (%s): requests with audio will answer 507",
            settings.upload_dir,
            exc.strerror or exc,
        )


def tune_interpreter_for_serving() -> None:
    """Let the event loop get the GIL sooner while worker threads compute (SWITCH_INTERVAL_S)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


async def _freeze_heap_after(tasks: list[asyncio.Task[None]]) -> None:
    """Once start-up work is done, move every object alive then (models, compiled code, tables) out
    of the garbage collector's reach: a full collection scanned them all, a 115-125 ms pause of every
    thread, the event loop included, every 30-50 generations (bench/jobs.py).

    Only the young generations are collected first (0.3 ms): a full collection of the 660,000 objects
    alive then took 270-340 ms (600 ms on a loaded machine), one stall of every request just after
    start-up, to find about 10 unreachable objects more than the young collection's 99; those few stay."""
    await asyncio.gather(*tasks, return_exceptions=True)
    gc.collect(1)
    gc.freeze()


def import_before_serving(settings: Settings) -> None:
    """Imports that hold the GIL for long inside one C call, done before the engine accepts connections,
    where they delay nothing but the start: NumPy's extra float types (ml_dtypes, which TensorFlow imports
    first) register themselves in 0.7-1.0 s without letting another thread run, and in the Magenta step's
    worker thread that stalled every request, /health included, for as long."""
    if settings.load_magenta:
        import ml_dtypes  # noqa: F401


def start_background_work(engine: EngineState) -> list[asyncio.Task[None]]:
    settings = engine.settings
    tasks: list[asyncio.Task[None]] = []
    if settings.load_magenta:
        tasks.append(asyncio.create_task(_run_step(engine, "magenta", _load_magenta)))
    else:
        engine.models_ready.set()
    if settings.library_roots:  # an engine set up for a library: its database is opened (and migrated) at start-up
        tasks.append(asyncio.create_task(_run_step(engine, "library", _open_library)))
    if not settings.warmup:  # a one-shot engine (dawg-ai, tests): a full collection would only cost it time
        return tasks
    tasks.append(asyncio.create_task(_run_step(engine, "analysis", _warm_up_analysis)))
    tasks.append(asyncio.create_task(_run_step(engine, "mixing", _warm_up_mixing)))
    tasks.append(asyncio.create_task(_run_step(engine, "transcription", _load_transcription)))
    return [*tasks, asyncio.create_task(_freeze_heap_after(list(tasks)))]


def live_endpoints(app: FastAPI) -> list[str]:
    """'METHOD /path' of every API route the app really serves (from its OpenAPI schema)."""
    return [
        f"{method.upper()} {path}"
        for path, operations in openapi_schema(app).get("paths", {}).items()
        for method in operations
    ]


async def status_snapshot(app: FastAPI, engine: EngineState) -> dict[str, Any]:
    core_connected = await engine.core.is_reachable()
    # Built in a worker thread: the endpoint list is the OpenAPI schema, whose first build costs ~1 s
    # of CPU. On the event loop at start-up it held back the lifespan (so the listening socket) for
    # 6-80 s on a loaded machine while TensorFlow imported beside it, and stalled every request.
    # What the event loop changes (the requests' counts, the start-up steps) is read here, on it.
    requests, warming_up = engine.stats.snapshot(), sorted(engine.warming_up)
    return await asyncio.to_thread(_status_document, app, engine, core_connected, requests, warming_up)


def _status_document(
    app: FastAPI, engine: EngineState, core_connected: bool, requests: dict[str, Any], warming_up: list[str]
) -> dict[str, Any]:
    return build_status(
        endpoints=live_endpoints(app),
        models=_models(engine),
        core_connected=core_connected,
        uptime_s=engine.uptime_s,
        requests=requests,
        started_at=engine.started_at,
        warming_up=warming_up,
        models_dir=str(engine.settings.models_dir),
        core_url=engine.settings.core_url,
    )


async def stopped_snapshot(engine: EngineState) -> dict[str, Any]:
    """The status file's last document, once the engine has stopped serving (integration/status_file.py)."""
    requests = engine.stats.snapshot()
    return await asyncio.to_thread(
        lambda: build_stopped_status(
            models=_models(engine), uptime_s=engine.uptime_s, requests=requests, started_at=engine.started_at
        )
    )


def _models(engine: EngineState) -> list[dict[str, Any]]:
    """Every model the engine uses, described as /api/v1/models does (reads files: call it off the event loop)."""
    return [
        *engine.registry.describe(),
        describe_shipped_level_model(),
        describe_shipped_beat_net(),
        describe_drums_only(),
        describe_role_model(),
        describe_voice_model(),
        describe_dynamics(engine.settings.models_dir),
        describe_timing(),
        describe_melody_harmony(),
        *describe_transcription_models(),
    ]
