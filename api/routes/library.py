"""The audio library: scan folders inside the library roots (as jobs), search the analysed files."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from api.deps import EngineDep, InputDep
from api.errors import error_response
from api.jobs.manager import QueueFull
from api.jobs.schemas import JobAccepted
from api.jobs.trigger import job_urls
from api.params import openapi_params, validate_params
from api.schemas import (
    ErrorBody,
    LibraryFileOut,
    LibraryScanParams,
    LibraryScanResult,
    LibrarySearchParams,
    LibrarySearchResponse,
)
from api.state import EngineState
from integration.library.scan import scan_folder
from integration.library.search import LibraryQuery, search
from integration.library.service import Library
from integration.library.store import LibraryStore
from utils.errors import EngineError

router = APIRouter(prefix="/api/v1/library", tags=["library"])

PROJECT_TEMPO_WINDOW = 0.08
"""Fits this project: tempos within 8 % of the manifest's (or of its half/double) match, closest first."""


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


def _scan_response(value: Any) -> Response:
    return JSONResponse(LibraryScanResult.model_validate(value).model_dump())


@router.post(
    "/scan",
    status_code=202,
    response_model=JobAccepted,
    responses={**{code: {"model": ErrorBody} for code in (400, 404, 422, 503)}},
    openapi_extra=openapi_params(LibraryScanParams),
    summary="Scan a folder inside a library root as a job: every new or changed audio file analysed and stored",
)
async def scan_library(engine: EngineDep, inp: InputDep) -> Response:
    """Answers 202 with the job; its result (GET result_url) is a LibraryScanResult. A folder
    outside the roots is 400, a missing one 404, both at once."""
    params = validate_params(LibraryScanParams, inp.values)
    library = _library(engine)
    store = await _store(engine)
    folder, root = await engine.run(store.resolve_folder, params.folder)
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
        job = engine.jobs.submit("library.scan", work, to_response=_scan_response)
    except QueueFull as exc:
        full = error_response(exc.status_code, exc.code, exc.detail)
        full.headers["Retry-After"] = str(exc.retry_after_s)
        return full
    urls = job_urls(job.id)
    body = JobAccepted(job_id=job.id, state="queued", **urls)
    return JSONResponse(status_code=202, content=body.model_dump(), headers={"Location": urls["status_url"]})


@router.get(
    "/search",
    response_model=LibrarySearchResponse,
    responses={**{code: {"model": ErrorBody} for code in (400, 404, 422, 503)}},
    openapi_extra=openapi_params(LibrarySearchParams),
    summary="Search the library by key (and compatible keys), tempo (and half/double time), loudness, "
    "duration, meter, path text, or what fits a project; closest first, paginated",
)
async def search_library(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    params = validate_params(LibrarySearchParams, inp.values)
    tempo, tempo_min, tempo_max, meter = params.tempo, params.tempo_min, params.tempo_max, params.meter
    if params.project_id is not None:
        manifest = await engine.run(engine.projects.get, params.project_id)
        if tempo is None:
            tempo = manifest.tempo
        if tempo_min is None and tempo_max is None:
            tempo_min, tempo_max = tempo * (1 - PROJECT_TEMPO_WINDOW), tempo * (1 + PROJECT_TEMPO_WINDOW)
        meter = meter or manifest.time_signature
    query = LibraryQuery(
        key=params.key,
        compatible=params.compatible,
        tempo=tempo,
        tempo_min=tempo_min,
        tempo_max=tempo_max,
        half_double=params.half_double,
        loudness_min=params.loudness_min,
        loudness_max=params.loudness_max,
        duration_min=params.duration_min,
        duration_max=params.duration_max,
        meter=meter,
        q=params.q,
        include_errors=params.include_errors,
        page=params.page,
        page_size=params.page_size,
    )
    store = await _store(engine)
    found = await engine.run(search, store, query)
    return {**found, "meter": meter}


@router.get(
    "/files/{file_id}",
    response_model=LibraryFileOut,
    responses={**{code: {"model": ErrorBody} for code in (404, 422, 503)}},
    summary="One library file: its analysis, or why it could not be analysed",
)
async def library_file(
    engine: EngineDep, file_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The row's id.")]
) -> dict[str, Any]:
    store = await _store(engine)
    return await engine.run(store.get, file_id)
