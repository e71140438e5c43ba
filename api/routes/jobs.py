"""Jobs: where a long request runs as a job (async=true), its progress, its events, its result, cancelling it.

A job is made by calling a long route (analyze/audio, analyze/project, mixing/*, generate/*, transcribe) with
``async=true`` or ``Prefer: respond-async``; these routes read it by id. A finished job and its
result are kept for DAWG_AI_JOBS_KEEP_S seconds, then its id is a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response, StreamingResponse

from api.deps import NO_PARAMETERS_RESPONSES, TAKES_NO_PARAMETERS, EngineDep
from api.jobs.manager import Job, JobCancelled, JobManager, JobNotFinished, JobState
from api.jobs.schemas import JobList, JobOut
from api.jobs.trigger import job_urls
from api.schemas import ErrorBody

router = APIRouter(
    prefix="/api/v1/jobs", tags=["jobs"], dependencies=TAKES_NO_PARAMETERS, responses=NO_PARAMETERS_RESPONSES
)

SSE_POLL_S = 0.2
"""How often an event stream looks at its job (a finished job ends the stream at once)."""
SSE_HEARTBEAT_S = 0.5
"""A progress event at least this often while the job is queued or running, changed or not (the
contract is at least one a second)."""

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorBody,
        "description": "job_not_found: an unknown id, a job from before the engine restarted, one deleted, or one "
        "finished more than keep_s ago (or dropped sooner to make room); the detail says which.",
    }
}
JobId = Annotated[str, Path(description="The job's id: job_id of the 202 answer that queued it.")]


def job_view(
    jobs: JobManager, job: Job, *, with_result: bool = True, positions: dict[str, int] | None = None
) -> JobOut:
    """The job as the API shows it; ``with_result``: a succeeded job's JSON result inline (up to 1 MB);
    ``positions``: the queue's positions when many jobs are shown at once."""
    outcome = job.outcome
    error: ErrorBody | None = None
    result: Any = None
    if outcome is not None and job.state is JobState.FAILED:
        body = outcome.json_inline()
        if isinstance(body, dict):
            error = ErrorBody.model_validate(body)
    elif outcome is not None and with_result:
        result = outcome.json_inline()
    return JobOut(
        job_id=job.id,
        kind=job.kind,
        state=job.state.value,
        progress=round(job.progress, 4),
        stage=job.stage,
        position=jobs.position(job) if positions is None else positions.get(job.id),
        created_at=job.created_at,
        started_at=job.started_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        expires_at=jobs.expires_at(job),
        status_code=None if outcome is None else outcome.status_code,
        media_type=None if outcome is None else outcome.media_type,
        result=result,
        error=error,
        **job_urls(job.id),
    )


async def parse_result_off_loop(job: Job) -> None:
    """A finished job's JSON answer (up to 1 MB, shown inline) parsed in a thread before the view reads it."""
    if job.outcome is not None:
        await asyncio.to_thread(job.outcome.json_inline)


@router.get("", response_model=JobList, summary="Every job held, newest first, and the queue's settings")
async def list_jobs(engine: EngineDep) -> JobList:
    jobs = engine.jobs
    positions = jobs.positions()
    return JobList(
        jobs=[job_view(jobs, job, with_result=False, positions=positions) for job in jobs.jobs()],
        counts=jobs.counts(),
        max_queued=jobs.max_queued,
        concurrency=jobs.concurrency,
        keep_s=jobs.keep_s,
    )


@router.get(
    "/{job_id}",
    response_model=JobOut,
    responses=_NOT_FOUND,
    summary="A job's state, progress 0..1, stage, queue position and times; its JSON result or error once finished",
)
async def get_job(job_id: JobId, engine: EngineDep) -> JobOut:
    job = engine.jobs.get(job_id)
    await parse_result_off_loop(job)
    return job_view(engine.jobs, job)


@router.get(
    "/{job_id}/result",
    response_class=Response,
    responses={
        200: {
            "description": "What the route itself would have answered: its JSON, or the file (WAV, FLAC, MIDI) "
            "with its headers.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                "audio/flac": {"schema": {"type": "string", "format": "binary"}},
                "audio/midi": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **_NOT_FOUND,
        409: {
            "model": ErrorBody,
            "description": "job_not_finished: queued or running, ask again when it has finished; "
            "job_cancelled: it has no result.",
        },
        "4XX": {"model": ErrorBody, "description": "A failed job: the error its route would have answered."},
        "5XX": {"model": ErrorBody, "description": "A failed job: the error its route would have answered."},
    },
    summary="The job's result exactly as the route answers it (or its error, with the same status)",
)
async def job_result(job_id: JobId, engine: EngineDep) -> Response:
    job = engine.jobs.get(job_id)
    if job.state is JobState.CANCELLED:
        raise JobCancelled(f"job {job_id} was cancelled; it has no result")
    if job.outcome is None:
        raise JobNotFinished(
            f"job {job_id} is {job.state.value} ({job.progress:.0%}, {job.stage}); ask again when it has "
            "finished (its status_url or events_url say when)"
        )
    return await job.outcome.to_response()


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


async def _events(jobs: JobManager, job: Job) -> AsyncIterator[bytes]:
    sent: tuple[Any, ...] | None = None
    sent_at = 0.0
    while not job.finished:
        view = job_view(jobs, job, with_result=False)
        seen = (view.state, view.progress, view.stage, view.position, view.updated_at)
        now = time.monotonic()
        if seen != sent or now - sent_at >= SSE_HEARTBEAT_S:
            yield _event("progress", view.model_dump_json())
            sent, sent_at = seen, now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(job.done.wait(), SSE_POLL_S)
    await parse_result_off_loop(job)
    yield _event("done", job_view(jobs, job).model_dump_json())


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: 'progress' (data: the job's status as GET /api/v1/jobs/{id} "
            "answers it) whenever it changes and at least every second while queued or running, then one "
            "'done' (data: the final status, the JSON result inline when small); then the stream ends.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **_NOT_FOUND,
    },
    summary="A job's progress as server-sent events, ending with its final state",
)
async def job_events(job_id: JobId, engine: EngineDep) -> StreamingResponse:
    job = engine.jobs.get(job_id)
    return StreamingResponse(
        _events(engine.jobs, job),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


_CANCEL_DOCS = (
    "A queued job is dropped from the queue; a running one stops at its work's next progress report "
    "(its state is cancelled at once)."
)


@router.delete(
    "/{job_id}",
    response_model=JobOut,
    responses=_NOT_FOUND,
    summary="Cancel a queued or running job; a finished job is forgotten with its result",
    description=_CANCEL_DOCS + " A finished job is removed (its id is then a 404). Answers the job's last status.",
)
async def delete_job(job_id: JobId, engine: EngineDep) -> JobOut:
    jobs = engine.jobs
    return job_view(jobs, jobs.forget(job_id))


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses=_NOT_FOUND,
    summary="Cancel a queued or running job (for clients that cannot send DELETE)",
    description=_CANCEL_DOCS + " A finished job is left as it is. Answers the job's status.",
)
async def cancel_job(job_id: JobId, engine: EngineDep) -> JobOut:
    jobs = engine.jobs
    return job_view(jobs, jobs.cancel(job_id))
