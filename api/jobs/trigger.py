"""Running a route as a job: ``async=true`` (query, form or JSON) or the header ``Prefer: respond-async``.

A long route takes :data:`JobModeDep` and hands its work function to :meth:`JobMode.run_or_queue`:
without the parameter the work runs now, exactly as before (the synchronous answer stays the
default). With it the parameters are validated at once (a bad value is still a 422, not a failed
job), the uploads are copied to the job's own temporary files (the request's are closed when the
202 is sent), and the answer is 202 with the job's id and URLs.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter
from starlette.datastructures import Headers, UploadFile
from starlette.responses import Response

from api.client_watch import while_connected
from api.deps import InputDep
from api.errors import error_response
from api.jobs.manager import JobWork, QueueFull, ToResponse
from api.jobs.schemas import JobAccepted
from api.owned_results import copy_upload_owned
from api.params import Repeated, RequestInput, remove_quietly, repeated_refused, validate_params
from api.schemas import ErrorBody
from api.state import EngineState
from utils.errors import InvalidParameter

T = TypeVar("T")
Work = Callable[[EngineState, RequestInput], Awaitable[T]]

ASYNC_PARAMETER = "async"
JOBS_PATH = "/api/v1/jobs"
_API_PREFIX = "/api/v1/"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

ASYNC_DESCRIPTION = (
    "true: answer 202 at once with a job id and run the request as a job (poll GET /api/v1/jobs/{id}, "
    "or follow its server-sent events). Also accepted in a form or JSON body, or as the header "
    "'Prefer: respond-async'. Default false: the request answers when its work is done."
)
PREFER_DESCRIPTION = "respond-async (RFC 7240): run the request as a job, as async=true does (async=false wins)."

JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobAccepted,
        "description": "With async=true or Prefer: respond-async: the job is queued. Poll status_url (also in "
        "Location), or follow events_url; GET result_url answers what this route would have answered.",
        "headers": {"Location": {"description": "The job's status URL.", "schema": {"type": "string"}}},
    },
    503: {
        "model": ErrorBody,
        "description": "queue_full: with async=true, the job queue is full (setting DAWG_AI_JOBS_MAX_QUEUED); "
        "try again after Retry-After seconds. Other 503 codes as the route documents.",
        "headers": {
            "Retry-After": {"description": "Seconds after which a place is likely free.", "schema": {"type": "integer"}}
        },
    },
}


def job_urls(job_id: str) -> dict[str, str]:
    status = f"{JOBS_PATH}/{job_id}"
    return {"status_url": status, "events_url": f"{status}/events", "result_url": f"{status}/result"}


def prefers_async(prefer: str | None) -> bool:
    """Whether a Prefer header (RFC 7240: comma-separated preferences, each with ;parameters) asks
    for respond-async."""
    if not prefer:
        return False
    return any(item.split(";")[0].strip().lower() == "respond-async" for item in prefer.split(","))


def _flag(value: Any) -> bool | None:
    """``async`` as sent: JSON true/false, or a string; None when not given (or empty). Sent twice
    (``?async=true&async=false``) it is a 422 like any other one-value field, not a guess at which one won."""
    if isinstance(value, Repeated):
        raise repeated_refused(ASYNC_PARAMETER, value)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidParameter(ASYNC_PARAMETER, f"must be true or false (got {str(value)[:40]!r})")


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


async def rendered_off_loop(response_model: Any, value: Any) -> Response:
    """``value`` rendered as FastAPI renders a route's answer with ``response_model``, in a worker thread:
    the JSON of a long analysis, a transcription or a rendered mix's base64 held the event loop, and
    every other request, while it was dumped (bench/loop_blocking.py)."""
    return await asyncio.to_thread(_responder(response_model), value)


def _responder(response_model: Any) -> ToResponse:
    """The route's answer for a work function's return value, as FastAPI renders it: a Response as it
    is; anything else validated against the route's response model and dumped to JSON bytes."""

    def to_response(value: Any) -> Response:
        if isinstance(value, Response):
            return value
        if response_model is None:
            return JSONResponse(jsonable_encoder(value))
        adapter = _adapter(response_model)
        content = adapter.dump_json(adapter.validate_python(value, from_attributes=True), by_alias=True)
        return Response(content=content, media_type="application/json")

    return to_response


@dataclass(frozen=True)
class _SavedUpload:
    field: str
    path: Path
    filename: str | None
    size: int | None
    headers: Headers


async def _save_uploads(engine: EngineState, inp: RequestInput) -> list[_SavedUpload]:
    """Copies of the request's uploads in temporary files (settings.upload_dir or the system's)."""
    saved: list[_SavedUpload] = []
    try:
        for name, uploads in inp.files.items():
            for upload in uploads:
                path = await copy_upload_owned(engine, upload)
                saved.append(_SavedUpload(name, path, upload.filename, upload.size, upload.headers))
    except BaseException:
        for item in saved:
            remove_quietly(item.path)
        raise
    return saved


def _job_work(engine: EngineState, work: Work[Any], values: dict[str, Any], saved: list[_SavedUpload]) -> JobWork:
    """The work bound to the job's own input: its uploads are opened when it starts (not while it
    waits: 256 queued jobs must not hold file handles) and closed when it ends."""

    async def run() -> Any:
        handles = []
        files: dict[str, list[UploadFile]] = {}
        try:
            for item in saved:
                handle = item.path.open("rb")
                handles.append(handle)
                upload = UploadFile(handle, size=item.size, filename=item.filename, headers=item.headers)
                files.setdefault(item.field, []).append(upload)
            return await work(engine, RequestInput(values=dict(values), files=files))
        finally:
            for handle in handles:
                handle.close()

    return run


@dataclass(frozen=True)
class JobMode:
    """How the caller asked for the route: run now (the default) or as a job."""

    run_async: bool
    via_prefer: bool  # asked with Prefer: respond-async (the 202 says Preference-Applied)
    kind: str  # the route, e.g. "mixing.render"
    response_model: Any  # the route's response model (the job's JSON result is rendered with it)
    request: Request  # run now: its work stops when this request's client hangs up (api/client_watch.py)

    async def answer(self, value: T) -> T | Response:
        """``value`` rendered as the route's answer in a thread (:func:`rendered_off_loop`)."""
        if isinstance(value, Response):
            return value
        return await rendered_off_loop(self.response_model, value)

    async def run_or_queue(
        self,
        engine: EngineState,
        inp: RequestInput,
        work: Work[T],
        *,
        params: type[BaseModel] | None = None,
        check: Callable[[Any], object] | None = None,
    ) -> T | Response:
        """``work(engine, inp)`` now, or queued as a job (202). ``params``: the route's parameter model,
        validated before queuing; ``check``: more checks without decoding on the validated params.
        Run now, the work is stopped when the client hangs up before it is done (:func:`while_connected`)."""
        if not self.run_async:
            return await self.answer(await while_connected(self.request, work(engine, inp)))
        if params is not None:
            validated = validate_params(params, inp.values)
            if check is not None:
                check(validated)
        try:
            engine.jobs.ensure_room()  # before copying hundreds of MB for nothing
            saved = await _save_uploads(engine, inp)
            try:
                job = engine.jobs.submit(
                    self.kind,
                    _job_work(engine, work, inp.values, saved),
                    to_response=_responder(self.response_model),
                    files=[item.path for item in saved],
                )
            except BaseException:
                for item in saved:
                    remove_quietly(item.path)
                raise
        except QueueFull as exc:
            full = error_response(exc.status_code, exc.code, exc.detail)
            full.headers["Retry-After"] = str(exc.retry_after_s)
            return full
        urls = job_urls(job.id)
        headers = {"Location": urls["status_url"]}
        if self.via_prefer:
            headers["Preference-Applied"] = "respond-async"
        body = JobAccepted(job_id=job.id, state="queued", **urls)
        return JSONResponse(status_code=202, content=body.model_dump(), headers=headers)


async def job_mode(
    request: Request,
    inp: InputDep,
    # Declared for /docs (and read by FastAPI); the value used is the one in the merged parameters,
    # so a form or JSON body may carry it too.
    async_: Annotated[str | None, Query(alias=ASYNC_PARAMETER, description=ASYNC_DESCRIPTION)] = None,
    prefer: Annotated[str | None, Header(description=PREFER_DESCRIPTION)] = None,
) -> JobMode:
    """Takes ``async`` out of the parameters (the routes' models refuse unknown names) and reads
    the Prefer header; an explicit async=false wins over the header."""
    explicit = _flag(inp.values.pop(ASYNC_PARAMETER, None))
    preferred = prefers_async(prefer)
    route = request.scope.get("route")
    path: str = getattr(route, "path", request.url.path)
    return JobMode(
        run_async=explicit if explicit is not None else preferred,
        via_prefer=explicit is None and preferred,
        kind=path.removeprefix(_API_PREFIX).replace("/", "."),
        response_model=getattr(route, "response_model", None),
        request=request,
    )


JobModeDep = Annotated[JobMode, Depends(job_mode)]
