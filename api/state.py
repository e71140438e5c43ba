"""The engine's long-lived objects, built by the lifespan in main.py and read by dependencies."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from ai.generation.base import GeneratorRegistry
from api.jobs.manager import JobManager
from integration.core_client import CoreClient
from integration.library.service import Library
from integration.projects import ProjectStore
from utils.settings import Settings

T = TypeVar("T")


@dataclass
class RequestStats:
    """Request counts by route template and by status class, for /api/v1/status."""

    total: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def record(self, route: str, status_code: int) -> None:
        self.total += 1
        self.by_route[route] += 1
        self.by_status[f"{status_code // 100}xx"] += 1

    def snapshot(self) -> dict[str, object]:
        return {"total": self.total, "by_route": dict(self.by_route), "by_status": dict(self.by_status)}


@dataclass
class EngineState:
    settings: Settings
    pool: ThreadPoolExecutor
    core: CoreClient
    registry: GeneratorRegistry
    projects: ProjectStore
    jobs: JobManager
    stats: RequestStats = field(default_factory=RequestStats)
    started_monotonic: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warming_up: set[str] = field(default_factory=set)
    models_ready: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the server's shutdown begins (:meth:`begin_stopping`) or the lifespan ends: start-up work still
    running in a worker thread (the Magenta load) stops."""
    library: Library | None = None  # the audio library (api/routes/library.py); set by the lifespan
    quick_pool: ThreadPoolExecutor | None = None
    """Threads for short work (MIDI generation), set by the lifespan (settings.quick_workers): with every ``pool``
    thread busy with an analysis, mix or render, a 4-bar bass line waited 14 s for one (QA pass 9); None: ``pool``."""

    def begin_stopping(self) -> None:
        """The server's shutdown has begun (api/serving.py): no new jobs, the queued and running ones cancelled.
        A request cancelled from now on is answered 503 ``shutting_down`` (api/middleware.py)."""
        self.stopping.set()
        self.jobs.close()

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic

    async def wait_for_models(self, model: str | None) -> None:
        """Magenta bundles load in the background after start-up: a request that would use one (model
        auto, magenta, or a bundle id not registered yet) waits for them, up to model_load_wait_s,
        rather than falling back to the theory backend early."""
        if model in (None, "", "auto", "magenta") or model not in self.registry.names:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.models_ready.wait(), self.settings.model_load_wait_s)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run CPU-heavy ``fn(*args)`` in the worker pool, off the event loop, in a copy of the caller's
        context: run_in_executor does not carry contextvars, and a job's progress reporter
        (ai/progress.py) must reach the loops it reports from."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.pool, context.run, fn, *args)

    async def run_quick(self, fn: Callable[..., T], *args: object) -> T:
        """:meth:`run`, in the pool for short work (``quick_pool``): never queued behind long analyses."""
        context = contextvars.copy_context()
        pool = self.quick_pool or self.pool
        return await asyncio.get_running_loop().run_in_executor(pool, context.run, fn, *args)
