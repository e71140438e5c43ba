"""The status file that other tools poll (``shared/reference/dawg-core.md`` section 4).

:class:`StatusFileWriter` rewrites the file at start-up and then every ``interval_s`` seconds,
atomically (a temporary file in the same folder, flushed and fsynced, then ``os.replace``), so a
reader sees either the previous complete JSON document or the new one, never a partial one. A
failed write (no space, a read-only folder, a snapshot that raises) is logged and the writer keeps
going. :func:`build_status` assembles the document from the engine's real state, and
:func:`build_stopped_status` the last one, written when the engine stops (:meth:`StatusFileWriter.write_last`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

INSTANCE = "DAWG-AI"
FILE_MODE = 0o644  # other tools (other users, possibly) poll the file
DEFAULT_SNAPSHOT_TIMEOUT_S = 30.0


class StatusFileWriter:
    """Writes ``await snapshot()`` as JSON to ``path`` now and every ``interval_s`` seconds.

    A snapshot that takes longer than ``snapshot_timeout_s`` counts as a failed write.
    """

    def __init__(
        self,
        path: Path,
        interval_s: float,
        snapshot: Callable[[], Awaitable[dict[str, Any]]],
        *,
        snapshot_timeout_s: float = DEFAULT_SNAPSHOT_TIMEOUT_S,
    ) -> None:
        if interval_s <= 0 or snapshot_timeout_s <= 0:
            raise ValueError("interval_s and snapshot_timeout_s must be positive")
        self.snapshot_timeout_s = snapshot_timeout_s
        self.path = Path(path).expanduser()
        self.interval_s = interval_s
        self._snapshot = snapshot
        self._task: asyncio.Task[None] | None = None
        self._extra: list[asyncio.Task[None]] = []  # write_when_done's tasks
        self.writes = 0  # successful writes so far
        self.failures = 0  # failed attempts so far

    async def write_once(self) -> bool:
        """Take a snapshot and write it atomically. False (and logged) on any failure; never raises.

        Cancellation is not a failure: it propagates.
        """
        return await self._write(self._snapshot)

    async def write_last(self, snapshot: Callable[[], Awaitable[dict[str, Any]]]) -> bool:
        """Write ``await snapshot()`` (the engine has stopped) as :meth:`write_once` does, after :meth:`stop`.

        Only over a file this writer has written: an engine whose port another instance holds is stopped by
        the server milliseconds after its start-up, before its first write has ended (the snapshot's endpoint
        list takes about a second), and must not mark the running instance's file stopped.
        """
        if self.writes == 0:
            return False
        return await self._write(snapshot)

    async def _write(self, snapshot: Callable[[], Awaitable[dict[str, Any]]]) -> bool:
        try:
            async with asyncio.timeout(self.snapshot_timeout_s):
                document = await snapshot()
            text = json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n"
        except Exception:
            self.failures += 1
            logger.exception("status file %s: could not build the status", self.path)
            return False
        try:
            await asyncio.to_thread(write_atomically, self.path, text.encode("utf-8"))
        except OSError as exc:
            self.failures += 1
            logger.error("status file %s: write failed: %s", self.path, exc)
            return False
        self.writes += 1
        return True

    async def run(self) -> None:
        """Write now, then every ``interval_s`` seconds, until cancelled."""
        while True:
            await self.write_once()
            await asyncio.sleep(self.interval_s)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        """Start :meth:`run` as a task on the running loop (once; a second call returns the same task)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name=f"status-file:{self.path.name}")
        return self._task

    def write_when_done(self, tasks: Sequence[asyncio.Task[Any]]) -> asyncio.Task[None]:
        """Write once more as soon as ``tasks`` (the start-up steps) have all ended, so the file says
        "serving" then rather than "warming up" until the next scheduled write, minutes later.
        Cancelled by :meth:`stop`."""

        async def after() -> None:
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.write_once()

        task = asyncio.get_running_loop().create_task(after(), name=f"status-file-after-start-up:{self.path.name}")
        self._extra.append(task)
        return task

    async def stop(self) -> None:
        """Cancel the task started by :meth:`start` (and any :meth:`write_when_done`) and wait for them to end."""
        tasks = [t for t in (self._task, *self._extra) if t is not None]
        self._task, self._extra = None, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers never see a partial file.

    Creates the parent folders. Raises OSError on failure, leaving no temporary file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def build_status(
    *,
    endpoints: Sequence[str],
    models: Sequence[Mapping[str, Any]],
    core_connected: bool,
    uptime_s: float,
    requests: Mapping[str, Any],
    started_at: datetime,
    warming_up: Sequence[str] = (),
    models_dir: str | Path | None = None,
    core_url: str | None = None,
    magenta_loaded: bool | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The status document, built only from what is passed in.

    ``endpoints`` are the routes that really answer (e.g. ``"POST /api/v1/generate/midi"``);
    ``models`` describe the generation backends (dicts with ``name``, ``loaded`` and optionally
    ``family``, ``parts``, ``error``); ``requests`` are the request counts (e.g. ``{"total": 12,
    ...}``); ``warming_up`` names start-up steps still running. ``magenta_loaded`` overrides the
    detection of Magenta backends among ``models`` (``family == "magenta"`` or "magenta" in the
    name).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    endpoints = list(endpoints)
    loaded = [dict(m) for m in models if m.get("loaded", True) is True]
    failed = [dict(m) for m in models if m.get("loaded", True) is not True and not _loads_on_first_use(m)]
    if magenta_loaded is None:
        magenta_loaded = any(_is_magenta(m) for m in loaded)
    total_requests = _total_requests(requests)
    core_where = f" at {core_url}" if core_url else ""

    if not endpoints:
        phase = "starting"
    elif warming_up:
        phase = "warming up"
    else:
        phase = "serving"

    if warming_up:
        current_task = f"serving {len(endpoints)} endpoints while warming up: {', '.join(warming_up)}"
    elif endpoints:
        current_task = f"serving {len(endpoints)} endpoints ({total_requests} requests handled so far)"
    else:
        current_task = "starting the API"

    completed: list[str] = []
    if endpoints:
        completed.append(f"API serving {len(endpoints)} endpoints")
    for model in loaded:
        name = model.get("name", "unnamed model")
        parts = model.get("parts")
        completed.append(f"loaded model {name}" + (f" ({', '.join(map(str, parts))})" if parts else ""))
    if core_connected:
        completed.append(f"connected to DAWG-CORE{core_where}")

    next_steps: list[str] = []
    if warming_up:
        next_steps.append(f"finish start-up: {', '.join(warming_up)}")
    if not core_connected:
        next_steps.append(f"start DAWG-CORE (not reachable{core_where})")
    for model in failed:
        reason = model.get("error")
        next_steps.append(f"fix model {model.get('name', 'unnamed model')}" + (f": {reason}" if reason else ""))
    if not magenta_loaded and not warming_up:
        where = f" into {models_dir}" if models_dir else ""
        next_steps.append(f"train or drop Magenta bundles (.mag){where}")

    return {
        "instance": INSTANCE,
        "last_update": _utc_text(now),
        "started_at": _utc_text(started_at),
        "phase": phase,
        "current_task": current_task,
        "completed_tasks": completed,
        "api_endpoints_ready": endpoints,
        "ai_models": [dict(m) for m in models],
        "dawg_core_connected": bool(core_connected),
        "next_steps": next_steps,
        "uptime_seconds": round(float(uptime_s), 1),
        "request_counts": dict(requests),
    }


def build_stopped_status(
    *,
    models: Sequence[Mapping[str, Any]],
    uptime_s: float,
    requests: Mapping[str, Any],
    started_at: datetime,
    stopped_at: datetime | None = None,
) -> dict[str, Any]:
    """The document written when the engine stops, with :func:`build_status`'s keys: phase "stopped", no
    endpoint ready, every model in ``models`` (described as for :func:`build_status`) not loaded, DAWG-CORE not
    connected. Its ``last_update`` is ``stopped_at`` (default now)."""
    stopped = _utc_text(stopped_at or datetime.now(UTC))
    handled = _total_requests(requests)
    return {
        "instance": INSTANCE,
        "last_update": stopped,
        "started_at": _utc_text(started_at),
        "phase": "stopped",
        "current_task": f"stopped at {stopped}: the engine answers no requests until it is started again",
        "completed_tasks": [f"served from {_utc_text(started_at)} to {stopped} ({handled} requests handled)"],
        "api_endpoints_ready": [],
        "ai_models": [{**model, "loaded": False} for model in models],
        "dawg_core_connected": False,
        "next_steps": ["start the engine (python main.py) to serve again"],
        "uptime_seconds": round(float(uptime_s), 1),
        "request_counts": dict(requests),
    }


def _utc_text(moment: datetime) -> str:
    """``moment`` in UTC, ISO 8601 to the second with a Z: 2026-11-25T03:00:42Z."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _loads_on_first_use(model: Mapping[str, Any]) -> bool:
    """A model whose file is there and that nothing has asked for yet (the transcription models before the
    start-up step or the first /transcribe loads them): not loaded, but nothing to fix."""
    return model.get("available") is True and not model.get("error")


def _is_magenta(model: Mapping[str, Any]) -> bool:
    family = str(model.get("family", "")).lower()
    return family == "magenta" or "magenta" in str(model.get("name", "")).lower()


def _total_requests(requests: Mapping[str, Any]) -> int:
    total = requests.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return total
    return sum(v for v in requests.values() if isinstance(v, int) and not isinstance(v, bool))
