"""DAWG AI Engine: composes the FastAPI app. ``python main.py`` serves it on 127.0.0.1:9000."""

from __future__ import annotations

import os

# Magenta needs Keras 2 behaviour from tf-keras; this must be set before TensorFlow is imported.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One OpenBLAS thread per worker thread: the analysis and mixing call BLAS on small matrices from several
# threads at once, and OpenBLAS's extra threads spin-wait on the cores those need (bench/blas_threads.py:
# 3-minute analysis 0.45 -> 0.34 s, mixing advice on 4 stems 2.38 -> 1.46 s on a busy machine). Must be set
# before numpy is imported; the environment's own value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import asyncio  # noqa: E402
import logging  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402

from fastapi import FastAPI  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402

from ai import model_files, pools  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from api import startup  # noqa: E402
from api.errors import install_error_handlers  # noqa: E402
from api.http_limits import HeadLimits  # noqa: E402
from api.jobs.manager import JobManager  # noqa: E402
from api.middleware import install_middleware  # noqa: E402
from api.routes import (  # noqa: E402
    accompaniment,
    analysis,
    command,
    core,
    generation,
    jobs,
    library,
    mixing,
    projects,
    system,
    transcription,
    ui,
)
from api.schemas import ErrorBody  # noqa: E402
from api.site_guard import LOCAL_ORIGINS, install_site_guard  # noqa: E402
from api.state import EngineState  # noqa: E402
from integration.core_client import CoreClient  # noqa: E402
from integration.library.service import Library  # noqa: E402
from integration.projects import ProjectStore  # noqa: E402
from integration.status_file import StatusFileWriter  # noqa: E402
from utils.settings import Settings  # noqa: E402

VERSION = "1.0.0"
logger = logging.getLogger("dawg_ai")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    model_files.use_folder(settings.models_dir)  # before anything loads a model: analysis, mixing, drums
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(dynamics=load_dynamics(settings.models_dir)))
    engine = EngineState(
        settings=settings,
        pool=ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="dawg-worker"),
        core=CoreClient.from_settings(settings),
        registry=registry,
        projects=ProjectStore(settings.projects_dir),
        jobs=JobManager.from_settings(settings),
        quick_pool=ThreadPoolExecutor(max_workers=settings.quick_workers, thread_name_prefix="dawg-quick"),
    )
    app.state.engine = engine
    audio_library = Library.from_settings(settings)  # its database opens in a start-up step (or on first use)
    engine.library = audio_library
    engine.jobs.start()  # the job workers (api/jobs): shut down below, before the pools their work runs in
    pools.start()  # the analyses' shared thread pools (ai/pools.py): owned here, shut down below
    startup.tune_interpreter_for_serving()
    startup.make_upload_folder(settings)
    startup.import_before_serving(settings)
    background = startup.start_background_work(engine)
    status_writer = StatusFileWriter(
        settings.status_file, settings.status_interval_s, lambda: startup.status_snapshot(app, engine)
    )
    if settings.write_status_file:
        status_writer.start()
        status_writer.write_when_done(background)  # "serving" as soon as start-up ends, not minutes later
    logger.info("DAWG AI Engine %s ready on %s:%d", VERSION, settings.host, settings.port)
    try:
        async with _mcp_serving(app):  # /mcp: its sessions end before the engine below does
            yield
    finally:
        engine.stopping.set()  # a Magenta load still running ends quietly (the interpreter may exit under it)
        await engine.jobs.shutdown()  # running jobs cancelled, their temporary files deleted
        await status_writer.stop()
        # Nothing answers any more (the server closed its socket before this shutdown): the file says so.
        await status_writer.write_last(lambda: startup.stopped_snapshot(engine))
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await engine.core.aclose()
        await asyncio.to_thread(audio_library.close)  # the database and the Dask client
        engine.pool.shutdown(wait=False, cancel_futures=True)
        if engine.quick_pool is not None:
            engine.quick_pool.shutdown(wait=False, cancel_futures=True)
        pools.shutdown()


@asynccontextmanager
async def _mcp_serving(app: FastAPI) -> AsyncIterator[None]:
    """/mcp's session manager while the app serves, when the app mounts it (setting ``mcp``)."""
    if not hasattr(app.state, "mcp"):
        yield
        return
    from api import mcp_server

    async with mcp_server.serving(app):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="DAWG AI Engine",
        version=VERSION,
        description="Audio analysis, MIDI generation and mixing advice for the DAWG workstation. "
        "Every parameter is accepted as a query string, a form body or a JSON body.",
        lifespan=lifespan,
        responses={
            403: {"model": ErrorBody, "description": "origin_not_allowed: sent from a web page on another site"},
            421: {"model": ErrorBody, "description": "host_not_allowed: the Host header does not name this machine"},
            414: {"model": ErrorBody, "description": "uri_too_long: path and query string over 8 KiB"},
            431: {"model": ErrorBody, "description": "header_fields_too_large: headers over 32 KiB in all"},
            507: {
                "model": ErrorBody,
                "description": "scratch_space_unavailable: the engine cannot write its temporary files (uploads, "
                "decoded stems, a rendered mix): the disk is full or DAWG_AI_UPLOAD_DIR cannot be made or written",
            },
        },
    )
    app.state.settings = settings
    app.state.version = VERSION
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=LOCAL_ORIGINS,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],  # DELETE: ends an /mcp session, cancels a job
        allow_headers=["*"],
        # The rendered mix answers with its measurements in headers; a browser only shows these.
        expose_headers=[
            "Mcp-Session-Id",  # a browser MCP client reads its /mcp session id
            "Location",  # a job's status URL (202), and when to try a full job queue again (503)
            "Retry-After",
            "Content-Disposition",
            "X-Loudness-LUFS",
            "X-True-Peak-dBTP",
            "X-Target-LUFS",
            "X-Applied-Moves",
            "X-Findings-Acted-On",
            "X-Findings-Gone",
            "X-Findings-New",  # problems the render made (none of the stems had them)
            "X-Project-Id",  # the project a render without stems or project_id took
            "X-Tracks-Left-Out",
            # format=midi answers carry what the JSON answer would say in these: the seed to reproduce, the model
            # and styles played, where the chords came from, the notes written, the tempo and why it was clipped, why
            # the meter is not the style's own.
            "X-Seed",
            "X-Model",
            "X-Models",
            "X-Styles",
            "X-Harmony-Source",
            "X-Notes",
            "X-Tempo",
            "X-Tempo-Note",
            "X-Meter-Note",
            "X-Bandwidth-Note",
        ],
    )
    install_middleware(app)
    install_site_guard(app, allowed_hosts=settings.allowed_hosts, allowed_origins=settings.cors_origins)
    app.add_middleware(HeadLimits)  # outermost: 414/431 before anything reads the request
    install_error_handlers(app)
    for module in (
        system,
        core,
        analysis,
        projects,
        generation,
        mixing,
        command,
        jobs,
        transcription,
        accompaniment,
        library,
        ui,
    ):
        app.include_router(module.router)
    if settings.mcp:
        from api import mcp_server  # the MCP SDK only where it is served (its import is ~0.5 s)

        mcp_server.mount(app)  # the same routes as MCP tools, at /mcp
    ui.mount(app)  # the page's static files, at /ui/static
    return app


def __getattr__(name: str) -> FastAPI:
    """``main.app`` (``uvicorn main:app``) is built from the environment's settings when first asked for, not
    on import: the command line and the tests import create_app and build their own."""
    if name == "app":
        globals()["app"] = built = create_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    import sys

    from api.serving import serve

    app = create_app()
    _settings: Settings = app.state.settings
    logging.basicConfig(level=_settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(serve(app, host=_settings.host, port=_settings.port, log_level=_settings.log_level.lower()))
