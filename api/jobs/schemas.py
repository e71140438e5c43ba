"""Bodies of the job routes (shown in /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import ErrorBody

JobStateName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobAccepted(BaseModel):
    """The answer (202) of a route called with async=true or Prefer: respond-async."""

    job_id: str = Field(description="The job's id.")
    state: JobStateName = Field(description="queued: it starts when a worker is free.")
    status_url: str = Field(description="GET: state, progress 0..1, stage, times, then the result (also in Location).")
    events_url: str = Field(
        description="GET: server-sent events, a 'progress' event at least every second, then 'done'."
    )
    result_url: str = Field(description="GET: the result exactly as the route answers it (409 until it is finished).")


class JobAcceptedOrRunning(JobAccepted):
    """The 202 of a route that runs one job per input at a time (a library scan per folder)."""

    state: JobStateName = Field(description="queued: it starts when a worker is free; running: it has started.")
    already_running: bool = Field(
        False,
        description="true: a job on the same input (the same folder) was already queued or running; this is "
        "that job, and no second one was started.",
    )


class JobOut(BaseModel):
    """A job: where it stands, and its result or error once finished."""

    job_id: str
    kind: str = Field(description="What runs: the route, e.g. mixing.render, analyze.audio, generate.melody.")
    state: JobStateName = Field(description="queued, running, then succeeded, failed or cancelled.")
    progress: float = Field(ge=0.0, le=1.0, description="Share of the work done, 0..1, reported by the work itself.")
    stage: str = Field(
        description="What the work is doing now (decoding, features, rhythm, stems ...): queued, started, then "
        "the work's own stages; done once succeeded. A failed or cancelled job keeps the stage it stopped at; "
        "one cancelled while queued says 'cancelled before it started'."
    )
    position: int | None = Field(None, description="While queued: 1 for the next job to start.")
    created_at: datetime
    started_at: datetime | None = None
    updated_at: datetime | None = Field(None, description="The work's last progress report.")
    finished_at: datetime | None = None
    expires_at: datetime | None = Field(
        None, description="When a finished job and its result are dropped (setting DAWG_AI_JOBS_KEEP_S)."
    )
    status_code: int | None = Field(
        None, description="Once finished (not cancelled): the HTTP status the route itself would have answered."
    )
    media_type: str | None = Field(None, description="The result's content type (application/json, audio/wav ...).")
    result: Any = Field(
        None,
        description="When succeeded with a JSON result of at most 1 MB: that JSON, as the route answers it. "
        "Files (WAV, FLAC, MIDI) and larger JSON: GET result_url.",
    )
    error: ErrorBody | None = Field(None, description="When failed: the error body the route would have answered.")
    status_url: str
    events_url: str
    result_url: str


class JobList(BaseModel):
    jobs: list[JobOut] = Field(description="Every job held, newest first (results not inline: see each status_url).")
    counts: dict[str, int] = Field(description="Jobs held per state.")
    max_queued: int = Field(description="Jobs that may wait at once (setting DAWG_AI_JOBS_MAX_QUEUED); more: 503.")
    concurrency: int = Field(description="Jobs that run at once (setting DAWG_AI_JOBS_CONCURRENCY).")
    keep_s: float = Field(description="Seconds a finished job and its result are kept (setting DAWG_AI_JOBS_KEEP_S).")
