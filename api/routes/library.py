"""The audio library: scan folders inside the library roots (as jobs), search the analysed files (by
parameters, by what fits a project, or by what fits an uploaded clip)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from ai.music_keys import camelot
from api.deps import TAKES_NO_PARAMETERS, EngineDep, InputDep
from api.errors import error_response
from api.jobs.manager import Job, JobState, QueueFull
from api.jobs.schemas import JobAcceptedOrRunning
from api.jobs.trigger import job_urls
from api.params import RequestInput, body_errors, openapi_params, validate_params
from api.routes.analysis import analyze_audio_work
from api.schemas import (
    ErrorBody,
    LibraryClip,
    LibraryFileOut,
    LibraryScanParams,
    LibraryScanResult,
    LibrarySearchParams,
    LibrarySearchResponse,
)
from api.state import EngineState
from utils.errors import EngineError, InvalidParameter

if TYPE_CHECKING:
    from integration.library.search import LibraryQuery
    from integration.library.service import Library
    from integration.library.store import LibraryStore

# The library's modules (SQLAlchemy, Alembic, Dask) are imported inside the routes, after _store has opened
# the database in a worker thread (which imports them there, off the event loop): an engine that never
# serves a library request does not load them at all (dawg-ai's one-shot commands start faster).

router = APIRouter(prefix="/api/v1/library", tags=["library"])


class LibraryUnavailable(EngineError):
    status_code = 503
    code = "library_unavailable"


def _library(engine: EngineState) -> Library:
    if engine.library is None:
        raise LibraryUnavailable("the library is not set up in this engine")
    return engine.library


async def _store(engine: EngineState) -> LibraryStore:
    library = _library(engine)
    return await engine.run(lambda: library.store)  # opening and migrating the database blocks


SCAN_KEY = "library.scan "
"""A scan job's key: this, then the folder it scans (resolved)."""


def _scan_response(value: Any) -> Response:
    return JSONResponse(LibraryScanResult.model_validate(value).model_dump())


def _scan_accepted(job: Job, *, already_running: bool) -> Response:
    urls = job_urls(job.id)
    state = "running" if job.state is JobState.RUNNING else "queued"  # an unfinished job's
    body = JobAcceptedOrRunning(job_id=job.id, state=state, already_running=already_running, **urls)
    return JSONResponse(status_code=202, content=body.model_dump(), headers={"Location": urls["status_url"]})


@router.post(
    "/scan",
    status_code=202,
    response_model=JobAcceptedOrRunning,
    responses={
        **body_errors("a folder outside the library roots"),
        **{code: {"model": ErrorBody} for code in (404, 422, 503)},
    },
    openapi_extra=openapi_params(LibraryScanParams),
    summary="Scan a folder inside a library root as a job: every new or changed audio file analysed and stored",
    description="Answers 202 with the job; its result (GET result_url) is a LibraryScanResult. A folder outside "
    "the roots is 400, a missing one 404, both at once. One scan per folder at a time: while a scan of the same "
    "folder (however it was named: relative, absolute, through a link) or of a folder it lies in is queued or "
    "running, the answer is that scan's job with `already_running: true`, and no second scan is started (scan "
    "again once it has finished to pick up files added since it listed the folder). Different folders are scanned "
    "as separate jobs; a folder scanned while a scan of one of its subfolders runs leaves that scan's files to it "
    "(`covered` in its result), so no file is analysed twice.",
)
async def scan_library(engine: EngineDep, inp: InputDep) -> Response:
    params = validate_params(LibraryScanParams, inp.values)
    library = _library(engine)
    store = await _store(engine)
    from integration.library.scan import scan_folder

    folder, root = await engine.run(store.resolve_folder, params.folder)
    # From here to submit nothing awaits: a second request for this folder sees this one's job.
    scan_key = f"{SCAN_KEY}{folder}"
    for key, running in engine.jobs.unfinished_keys(SCAN_KEY):
        if folder.is_relative_to(key.removeprefix(SCAN_KEY)):  # this folder, or one it lies in, is being scanned
            return _scan_accepted(running, already_running=True)
    work_fn = partial(
        scan_folder,
        store,
        folder,
        root,
        runner=library.runner,
        max_duration_s=engine.settings.max_audio_duration_s,
    )

    async def work() -> dict[str, Any]:
        result = await engine.run(work_fn)
        return result.to_dict()

    try:
        job = engine.jobs.submit("library.scan", work, to_response=_scan_response, key=scan_key)
    except QueueFull as exc:
        full = error_response(exc.status_code, exc.code, exc.detail)
        full.headers["Retry-After"] = str(exc.retry_after_s)
        return full
    return _scan_accepted(job, already_running=False)


@router.get(
    "/search",
    response_model=LibrarySearchResponse,
    responses={
        **body_errors("a project_id that leaves the projects directory"),
        **{code: {"model": ErrorBody} for code in (404, 422, 503)},
    },
    openapi_extra=openapi_params(LibrarySearchParams, body=False),
    summary="Search the library by key (and compatible keys), tempo (and half/double time), loudness, "
    "duration, meter, path text, or what fits a project; closest first, paginated",
)
async def search_library(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    params = validate_params(LibrarySearchParams, inp.values)
    await _store(engine)  # opened (and its modules imported) in a worker thread before the query is built
    from integration.library.search import fitting

    query = _query(params)
    if params.project_id is not None:  # the manifest has no key: its tempo and meter are the targets
        manifest = await engine.run(engine.projects.get, params.project_id)
        query = fitting(query, key=None, tempo=manifest.tempo, meter=manifest.time_signature)
    return await _search(engine, query)


_CLIP_DOCS = openapi_params(
    LibrarySearchParams,
    files={
        "file": f"The clip ({SUPPORTED_FORMATS_TEXT}), analysed as /api/v1/analyze/audio does: its key, tempo and "
        "meter are the targets of the parameters not given."
    },
    required_file="file",
)


@router.post(
    "/search",
    response_model=LibrarySearchResponse,
    responses={
        **body_errors(),
        413: {"model": ErrorBody, "description": "the clip is over the upload limit (DAWG_AI_MAX_UPLOAD_MB)"},
        415: {"model": ErrorBody, "description": "the clip's format is not supported"},
        422: {
            "model": ErrorBody,
            "description": "no clip in the multipart field 'file', a clip that cannot be decoded or is too long "
            "(DAWG_AI_MAX_AUDIO_DURATION_S), a bad parameter, or project_id with a clip",
        },
        503: {"model": ErrorBody},
    },
    openapi_extra=_CLIP_DOCS,
    summary="Search the library for files that fit an uploaded clip: its key (and compatible keys), tempo "
    "(+-8 %, half/double time) and meter, closest first",
)
async def search_library_by_clip(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    """Multipart: the clip in ``file`` and any parameter of GET /search (form fields or the query
    string); a parameter given wins over the clip's value (``key`` given: that key, not the clip's)."""
    params = validate_params(LibrarySearchParams, inp.values)  # refused before the clip is decoded
    if params.project_id is not None:
        raise InvalidParameter("project_id", "send either project_id or a clip to fit, not both")
    clip = await _analyse_clip(engine, inp)
    await _store(engine)
    from integration.library.search import fitting

    query = fitting(_query(params), key=clip.key, tempo=clip.tempo, meter=clip.meter)
    return {**await _search(engine, query), "clip": clip.model_dump()}


async def _analyse_clip(engine: EngineState, inp: RequestInput) -> LibraryClip:
    """The analysis route's own work (its upload limits, decoding and analysis in the worker pool)."""
    analysis = await analyze_audio_work(engine, inp)
    key = analysis.get("key")
    return LibraryClip(
        filename=analysis.get("filename"),
        duration=analysis["duration"],
        tempo=analysis.get("tempo"),
        key=key,
        key_confidence=analysis.get("key_confidence", 0.0),
        camelot=camelot(key) if key else None,
        meter=analysis.get("time_signature"),
    )


def _query(params: LibrarySearchParams) -> LibraryQuery:
    from integration.library.search import LibraryQuery

    return LibraryQuery(
        key=params.key,
        compatible=params.compatible,
        tempo=params.tempo,
        tempo_min=params.tempo_min,
        tempo_max=params.tempo_max,
        half_double=params.half_double,
        loudness_min=params.loudness_min,
        loudness_max=params.loudness_max,
        duration_min=params.duration_min,
        duration_max=params.duration_max,
        meter=params.meter,
        q=params.q,
        include_errors=params.include_errors,
        page=params.page,
        page_size=params.page_size,
    )


async def _search(engine: EngineState, query: LibraryQuery) -> dict[str, Any]:
    store = await _store(engine)
    from integration.library.search import search

    found = await engine.run(search, store, query)
    return {**found, "meter": query.meter}


@router.get(
    "/files/{file_id}",
    response_model=LibraryFileOut,
    dependencies=TAKES_NO_PARAMETERS,
    responses={**{code: {"model": ErrorBody} for code in (404, 422, 503)}},
    summary="One library file: its analysis, or why it could not be analysed",
)
async def library_file(
    engine: EngineDep, file_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The row's id.")]
) -> dict[str, Any]:
    store = await _store(engine)
    return await engine.run(store.get, file_id)
