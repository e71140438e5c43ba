"""The job queue: a bounded queue of long requests, a fixed number of workers, results kept a while.

A job is one request's work (a coroutine that the trigger prepared, with its own copies of the
uploads) and what the synchronous call would have answered: the same status code, headers and
body, or the same error. Its work runs in a fresh context to which the job attaches itself as the
progress reporter (ai/progress.py); the engine's worker threads get a copy of that context, so
reports from inside the analysis, mixing and generation loops land here, and a cancelled job
raises :class:`ai.progress.Cancelled` there at the next report.

Lifecycle: queued -> running -> succeeded | failed | cancelled. Finished jobs, their results and
their files are dropped ``keep_s`` after they finish (or sooner when more than MAX_FINISHED_KEPT
are held); a job's input files are deleted as soon as it finishes.

A job may be submitted with a ``key`` naming its input (a library scan: its folder); while it is
queued or running :meth:`JobManager.unfinished` finds it by that key, so a route can answer the job
already at work instead of starting the same work twice. The key is let go when the job finishes,
however it finishes (succeeded, failed, cancelled queued or running, or the engine stopping).
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import json
import logging
import math
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.responses import Response

from ai import progress
from api.errors import error_response
from api.file_response import TemporaryFileResponse
from api.params import remove_off_loop, remove_quietly
from utils.errors import EngineError, NotFound
from utils.scratch import scratch_space
from utils.settings import Settings

logger = logging.getLogger(__name__)

IN_MEMORY_RESULT_BYTES = 1 << 20
"""Results up to this size stay in memory (and JSON ones are shown inline in the job's status);
larger ones (a rendered mix is tens of MB) are written to a file until the job expires."""
MAX_FINISHED_KEPT = 1024
"""Finished jobs held at most, whatever keep_s says (memory bound): those without a result (cancelled) go first,
then the oldest finished."""
DROPPED_REMEMBERED = 8192
"""Ids of jobs dropped by MAX_FINISHED_KEPT, and of jobs deleted, whose 404 says so (a few hundred KB at most)."""
RETRY_AFTER_DEFAULT_S = 5
"""Retry-After of a full queue before any job has finished to time."""
RECENT_DURATIONS = 20  # finished jobs whose run times estimate Retry-After
SWEEP_INTERVAL_MAX_S = 60.0
STAGE_CANCELLED_QUEUED = "cancelled before it started"
"""The stage of a job cancelled while it waited in the queue (instead of "queued")."""


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class QueueFull(EngineError):
    """The queue holds jobs_max_queued jobs waiting; the answer carries a Retry-After header."""

    status_code = 503
    code = "queue_full"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class JobNotFound(NotFound):
    code = "job_not_found"


class JobNotFinished(EngineError):
    """The job's result was asked for while it is queued or running (or it was cancelled)."""

    status_code = 409
    code = "job_not_finished"


class JobCancelled(JobNotFinished):
    code = "job_cancelled"


@dataclass
class StoredResponse:
    """An HTTP answer kept for later: status, raw headers (content-type and content-length
    included) and the body, in memory or in a file."""

    status_code: int
    raw_headers: list[tuple[bytes, bytes]]
    size: int
    body: bytes | None = None
    path: Path | None = None
    _json: Any = None
    _json_read: bool = False

    @property
    def media_type(self) -> str | None:
        for name, value in self.raw_headers:
            if name == b"content-type":
                return value.decode("latin-1")
        return None

    @property
    def is_json(self) -> bool:
        media = (self.media_type or "").split(";")[0].strip().lower()
        return media == "application/json" or media.endswith("+json")

    def json_inline(self) -> Any:
        """The JSON body as Python values when it is JSON and held in memory, else None (parsed once)."""
        if not self._json_read:  # marked read once parsed: a view in another thread may be parsing it now
            if self.is_json and self.body is not None:
                self._json = json.loads(self.body)
            self._json_read = True
        return self._json

    async def to_response(self) -> Response:
        """The stored answer, byte for byte and header for header."""
        body = self.body if self.body is not None else await asyncio.to_thread(self._read)
        response = Response(content=body, status_code=self.status_code)
        response.raw_headers = list(self.raw_headers)
        return response

    def _read(self) -> bytes:
        assert self.path is not None
        return self.path.read_bytes()

    def discard(self) -> None:
        if self.path is not None:
            remove_quietly(self.path)
            self.path = None


def _keep(response: Response, spool_dir: Path | None) -> StoredResponse:
    """Store a finished response (blocking when it writes a file: run it in a thread)."""
    if isinstance(response, TemporaryFileResponse):  # its body is a file of its own already: moved, not read
        size = response.temporary_path.stat().st_size
        if size <= IN_MEMORY_RESULT_BYTES:  # small: kept in memory as any small answer (JSON shown inline)
            try:
                small = StoredResponse(response.status_code, list(response.raw_headers), size)
                small.body = response.temporary_path.read_bytes()
                return small
            finally:
                remove_quietly(response.temporary_path)
        with (
            scratch_space(spool_dir),
            tempfile.NamedTemporaryFile(prefix="dawg-job-result-", dir=spool_dir, delete=False) as handle,
        ):
            path = Path(handle.name)
        try:
            with scratch_space(spool_dir, make_folder=False):
                shutil.move(response.temporary_path, path)
        except BaseException:
            remove_quietly(path)
            remove_quietly(response.temporary_path)
            raise
        return StoredResponse(response.status_code, list(response.raw_headers), path.stat().st_size, path=path)
    body = bytes(response.body)
    stored = StoredResponse(response.status_code, list(response.raw_headers), len(body))
    if len(body) <= IN_MEMORY_RESULT_BYTES:
        stored.body = body
        return stored
    with (
        scratch_space(spool_dir),
        tempfile.NamedTemporaryFile(prefix="dawg-job-result-", dir=spool_dir, delete=False) as handle,
    ):
        stored.path = Path(handle.name)
        try:
            handle.write(body)
        except BaseException:
            handle.close()
            stored.discard()
            raise
    return stored


JobWork = Callable[[], Coroutine[Any, Any, Any]]
"""A job's work: the route's work function bound to the engine and the job's own input."""
ToResponse = Callable[[Any], Response]
"""What the route would have answered for the work's return value."""


@dataclass(eq=False)
class Job:
    """One job. Its progress fields are written by worker threads (through :meth:`update`) and read
    by the event loop; a lock keeps the fraction monotonic."""

    id: str
    kind: str
    created_at: datetime
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    stage: str = "queued"
    updated_at: datetime | None = None  # the last progress report from the work itself
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: StoredResponse | None = None  # the result (succeeded) or the error answer (failed)
    work: JobWork | None = None
    to_response: ToResponse | None = None
    files: list[Path] = field(default_factory=list)
    key: str | None = None  # the input it works on, held in JobManager._unfinished_by_key until it finishes
    task: asyncio.Task[Any] | None = None
    finished_monotonic: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    # ai.progress.Reporter: called from worker threads.
    def update(self, fraction: float, stage: str | None) -> None:
        if self._cancel.is_set():
            raise progress.Cancelled(f"job {self.id} was cancelled")
        with self._lock:
            if fraction > self.progress:
                self.progress = fraction
            if stage:
                self.stage = stage
            self.updated_at = datetime.now(UTC)

    def check(self) -> None:
        if self._cancel.is_set():
            raise progress.Cancelled(f"job {self.id} was cancelled")

    def run_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobManager:
    """Queue, workers and the kept results. Created (and started, and shut down) by the lifespan."""

    def __init__(self, *, max_queued: int, concurrency: int, keep_s: float, spool_dir: Path | None = None) -> None:
        self.max_queued = max_queued
        self.concurrency = concurrency
        self.keep_s = keep_s
        self.spool_dir = spool_dir
        self._jobs: dict[str, Job] = {}  # in creation order
        self._waiting: dict[str, Job] = {}  # queued jobs in queue order (positions)
        self._unfinished_by_key: dict[str, Job] = {}
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._sweeper: asyncio.Task[None] | None = None
        self._durations: deque[float] = deque(maxlen=RECENT_DURATIONS)
        self._dropped_early: OrderedDict[str, None] = OrderedDict()  # by MAX_FINISHED_KEPT, before keep_s
        self._deleted: OrderedDict[str, datetime] = OrderedDict()  # by DELETE, when
        self._closing = False
        self.started_at = datetime.now(UTC)  # jobs live in memory: none from before this time is known

    @classmethod
    def from_settings(cls, settings: Settings) -> JobManager:
        return cls(
            max_queued=settings.jobs_max_queued,
            concurrency=settings.jobs_concurrency,
            keep_s=settings.jobs_keep_s,
            spool_dir=settings.upload_dir,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the workers and the expiry sweep (in the running event loop)."""
        self._workers = [
            asyncio.create_task(self._work_loop(), name=f"dawg-job-worker-{n}") for n in range(self.concurrency)
        ]
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="dawg-job-sweeper")

    def close(self) -> None:
        """Take no new job, and cancel every queued and running one: the engine is stopping. Their event
        streams end at once with the cancelled state, so the server need not wait for them (api/serving.py).
        Called again by :meth:`shutdown`."""
        self._closing = True
        for job in list(self._jobs.values()):
            if not job.finished:
                self._cancel(job)

    async def shutdown(self) -> None:
        """Cancel every queued and running job, stop the workers and delete every job's files."""
        self.close()
        tasks = [*self._workers, *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for job in list(self._jobs.values()):
            self._drop(job)

    # ------------------------------------------------------------------ submitting

    def ensure_room(self) -> None:
        """Raise QueueFull (503) when no job can be queued now (checked before uploads are copied)."""
        if self._closing:
            raise QueueFull("the engine is shutting down; no new jobs are taken", RETRY_AFTER_DEFAULT_S)
        if len(self._waiting) >= self.max_queued:
            raise QueueFull(
                f"the job queue is full ({len(self._waiting)} jobs waiting, setting DAWG_AI_JOBS_MAX_QUEUED); "
                "try again later",
                self.retry_after_s(),
            )

    def submit(
        self,
        kind: str,
        work: JobWork,
        *,
        to_response: ToResponse,
        files: Iterable[Path] = (),
        key: str | None = None,
    ) -> Job:
        """Queue ``work``; ``files`` are the job's own input copies, deleted when it finishes; ``key``
        names its input for :meth:`unfinished` until it finishes (the caller asks that first, with no
        await in between: a key already held is a bug, a ValueError).
        Raises QueueFull (the caller still owns ``files`` then)."""
        if key is not None and key in self._unfinished_by_key:
            raise ValueError(f"job {self._unfinished_by_key[key].id} already works on {key!r}")
        self.ensure_room()
        self._sweep()
        now = datetime.now(UTC)
        job = Job(
            id=uuid.uuid4().hex,
            kind=kind,
            created_at=now,
            work=work,
            to_response=to_response,
            files=list(files),
            key=key,
        )
        if key is not None:
            self._unfinished_by_key[key] = job
        self._jobs[job.id] = job
        self._waiting[job.id] = job
        self._queue.put_nowait(job)
        return job

    def retry_after_s(self) -> int:
        """Seconds until a place in the queue is likely free: a place frees when a running job ends and
        the next waiting one starts, about every (recent mean run time / workers) seconds
        (RETRY_AFTER_DEFAULT_S before any job has finished)."""
        if not self._durations:
            return RETRY_AFTER_DEFAULT_S
        mean = sum(self._durations) / len(self._durations)
        return max(1, min(3600, math.ceil(mean / self.concurrency)))

    # ------------------------------------------------------------------ reading

    def get(self, job_id: str) -> Job:
        self._sweep()
        job = self._jobs.get(job_id)
        if job is None:
            started = self.started_at.isoformat(timespec="seconds").replace("+00:00", "Z")
            said = job_id if len(job_id) <= 80 else f"{job_id[:80]}... ({len(job_id)} characters)"
            if job_id in self._dropped_early:  # it said "finished more than keep_s ago" of a job seconds old
                raise JobNotFound(
                    f"job {said!r} finished, and was dropped before its {self.keep_s:g} s were up to make room: "
                    f"the engine holds at most {MAX_FINISHED_KEPT} finished jobs (cancelled ones go first, then "
                    "the oldest); fetch a result soon after its job finishes"
                )
            deleted = self._deleted.get(job_id)
            if deleted is not None:  # it said "unknown, from before a restart, or expired": none of them true
                when = deleted.isoformat(timespec="seconds").replace("+00:00", "Z")
                raise JobNotFound(f"job {said!r} was deleted at {when} (DELETE forgets a finished job and its result)")
            raise JobNotFound(
                f"no job {said!r}: unknown, submitted before the engine (re)started at {started} (jobs are "
                f"held in memory and a restart forgets them), or finished more than {self.keep_s:g} s ago "
                "(setting DAWG_AI_JOBS_KEEP_S)"
            )
        return job

    def jobs(self) -> list[Job]:
        """Every job held, newest first."""
        self._sweep()
        return list(reversed(self._jobs.values()))

    def unfinished(self, key: str) -> Job | None:
        """The queued or running job submitted with ``key``, if any."""
        return self._unfinished_by_key.get(key)

    def unfinished_keys(self, prefix: str) -> list[tuple[str, Job]]:
        """(key, job) of every queued or running job whose key starts with ``prefix``."""
        return [(key, job) for key, job in self._unfinished_by_key.items() if key.startswith(prefix)]

    def position(self, job: Job) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        return self.positions().get(job.id) if job.state is JobState.QUEUED else None

    def positions(self) -> dict[str, int]:
        """Every waiting job's position (one pass, for the list of all jobs)."""
        return {job_id: n for n, job_id in enumerate(self._waiting, start=1)}

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys((state.value for state in JobState), 0)
        for job in self._jobs.values():
            found[job.state.value] += 1
        return found

    def expires_at(self, job: Job) -> datetime | None:
        return None if job.finished_at is None else job.finished_at + timedelta(seconds=self.keep_s)

    # ------------------------------------------------------------------ changing

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job (a finished one is left as it is)."""
        job = self.get(job_id)
        if not job.finished:
            self._cancel(job)
        return job

    def forget(self, job_id: str) -> Job:
        """Cancel the job if it is unfinished; a finished job is removed with its result."""
        job = self.get(job_id)
        if job.finished:
            self._drop(job)
            self._deleted[job.id] = datetime.now(UTC)
            while len(self._deleted) > DROPPED_REMEMBERED:
                self._deleted.popitem(last=False)
        else:
            self._cancel(job)
        return job

    def _cancel(self, job: Job) -> None:
        job._cancel.set()  # the work's next progress call raises Cancelled in its thread
        was_running = job.state is JobState.RUNNING
        self._waiting.pop(job.id, None)
        self._finish(job, JobState.CANCELLED)
        if was_running and job.task is not None:
            job.task.cancel()
        elif not was_running:
            # A running job keeps the last stage its work reported (where it stopped); this one never ran.
            job.stage = STAGE_CANCELLED_QUEUED
            self._delete_files(job)  # a running job's worker deletes them once its task is done

    def _finish(self, job: Job, state: JobState, outcome: StoredResponse | None = None) -> None:
        if job.finished:  # cancelled while the work was finishing: the cancel stands
            if outcome is not None:
                outcome.discard()
            return
        job.state = state
        job.outcome = outcome
        if job.key is not None:  # held by this job alone (submit refuses a second): the input is free again
            del self._unfinished_by_key[job.key]
        job.finished_at = datetime.now(UTC)
        job.finished_monotonic = time.monotonic()
        if state is JobState.SUCCEEDED:
            job.progress, job.stage = 1.0, "done"
        job.work = job.to_response = None  # the closure holds the request's input
        job.done.set()
        duration = job.run_seconds()
        if duration is not None and state is not JobState.CANCELLED:
            self._durations.append(duration)

    def _drop(self, job: Job) -> None:
        self._jobs.pop(job.id, None)
        self._waiting.pop(job.id, None)
        self._delete_files(job)
        if job.outcome is not None:
            job.outcome.discard()

    @staticmethod
    def _delete_files(job: Job) -> None:
        for path in job.files:
            remove_quietly(path)
        job.files.clear()

    def _sweep(self) -> None:
        """Drop finished jobs older than keep_s, and the oldest finished beyond MAX_FINISHED_KEPT."""
        now = time.monotonic()
        kept: list[tuple[float, Job]] = []
        for job in list(self._jobs.values()):
            if job.finished_monotonic is None:
                continue
            if now - job.finished_monotonic >= self.keep_s:
                self._drop(job)
            else:
                kept.append((job.finished_monotonic, job))
        if len(kept) > MAX_FINISHED_KEPT:
            # A job with no result (cancelled) goes before any with one: 1,100 cancelled jobs dropped a result
            # finished seconds before, whose id then read as expired.
            kept.sort(key=lambda item: (item[1].outcome is not None, item[0]))
            for _, job in kept[: len(kept) - MAX_FINISHED_KEPT]:
                self._drop(job)
                self._dropped_early[job.id] = None
            while len(self._dropped_early) > DROPPED_REMEMBERED:
                self._dropped_early.popitem(last=False)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(min(SWEEP_INTERVAL_MAX_S, max(0.05, self.keep_s / 2)))
            try:
                self._sweep()
            except Exception:  # never let the sweep die: log it and sweep again next time
                logger.exception("the job sweep failed")

    # ------------------------------------------------------------------ running

    async def _work_loop(self) -> None:
        while True:
            job = await self._queue.get()
            if job.state is not JobState.QUEUED:  # cancelled while it waited
                continue
            self._waiting.pop(job.id, None)
            try:
                await self._run(job)
            except Exception:  # a worker never dies of one job: that job fails, the next one runs
                logger.exception("job %s (%s) could not be run", job.id, job.kind)
                failed = error_response(500, "internal_error", "internal error in the AI engine; see its log")
                self._finish(job, JobState.FAILED, _keep(failed, None))  # small: kept in memory

    async def _run(self, job: Job) -> None:
        assert job.work is not None and job.to_response is not None
        work, to_response = job.work, job.to_response
        job.state, job.stage, job.started_at = JobState.RUNNING, "started", datetime.now(UTC)
        context = contextvars.copy_context()
        context.run(progress.attach, job, "running")
        job.task = task = asyncio.create_task(work(), name=f"dawg-job-{job.id}", context=context)
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the manager is shutting down
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._delete_files(job)
            raise
        try:
            outcome = await self._outcome(job, task, to_response)
            if outcome is not None:
                state = JobState.SUCCEEDED if outcome.status_code < 400 else JobState.FAILED
                self._finish(job, state, outcome)
        finally:
            job.task = None
            uploads, job.files = list(job.files), []
            await remove_off_loop(*uploads)  # the job's copies of its uploads: off the event loop

    async def _outcome(self, job: Job, task: asyncio.Task[Any], to_response: ToResponse) -> StoredResponse | None:
        """What the synchronous call would have answered; None when the job was cancelled."""
        if task.cancelled() or job.state is JobState.CANCELLED:
            # Its Cancelled, or what the work raised on its way out, is retrieved: asyncio logged each as an ERROR,
            # "Task exception was never retrieved". Anything but the cancellation itself is still a bug to log.
            stray = None if task.cancelled() else task.exception()
            if stray is not None and not isinstance(stray, progress.Cancelled | EngineError):
                logger.warning("job %s (%s) was cancelled; its work ended with %r", job.id, job.kind, stray)
            return None
        error = task.exception()
        if isinstance(error, progress.Cancelled):
            self._finish(job, JobState.CANCELLED)
            return None
        try:
            if error is not None:
                raise error
            # Off the event loop: this dumps the route's answer to JSON (a long analysis, a transcription).
            response = await asyncio.to_thread(to_response, task.result())
        except EngineError as exc:
            if exc.status_code >= 500:
                logger.warning("job %s (%s) -> %d %s: %s", job.id, job.kind, exc.status_code, exc.code, exc.detail)
            response = error_response(exc.status_code, exc.code, exc.detail, getattr(exc, "extra", None))
        except Exception:
            # As the API's handler of unexpected errors: a bug surfaces as a 500 and is logged.
            logger.exception("unexpected error in job %s (%s)", job.id, job.kind)
            response = error_response(500, "internal_error", "internal error in the AI engine; see its log")
        return await asyncio.to_thread(_keep, response, self.spool_dir)
