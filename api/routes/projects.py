"""Project analysis: manifest, live DAWG-CORE state, track roles, stems and findings."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.audio.stem_file import close_all
from ai.mixing.measure import TrackInput
from ai.mixing.roles import resolve_roles
from ai.mixing.suggest import suggest
from ai.project_findings import project_findings
from api.deps import NO_PARAMETERS_RESPONSES, TAKES_NO_PARAMETERS, EngineDep, InputDep
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import mix_stems, parse_roles
from api.params import RequestInput, body_errors, openapi_params, validate_params
from api.schemas import (
    ErrorBody,
    ProjectAnalysisResponse,
    ProjectListResponse,
    ProjectParams,
    ProjectSummaryOut,
    ProjectTrackOut,
    UnreadManifestOut,
)
from api.state import EngineState
from integration.projects import ProjectManifest, ProjectStore, stem_key, unread_alternatives, written_utc
from utils.errors import CoreError, ProjectNotFound

router = APIRouter(prefix="/api/v1", tags=["projects"])


def _listing(store: ProjectStore) -> ProjectListResponse:
    """The listing from one read of the directory: the projects with their stems, the files left out and why, and
    what is wrong with the folder itself when no project was found."""
    scan = store.scan()
    return ProjectListResponse(
        projects_dir=str(store.projects_dir),
        projects=[
            ProjectSummaryOut(**manifest.to_dict(), stems=sorted(store.stems_of(manifest)))
            for manifest in scan.projects
        ],
        message=None if scan.projects else store.folder_problem(),
        unread=[UnreadManifestOut(file=file, reason=reason) for file, reason in scan.unread],
    )


@router.get(
    "/projects",
    response_model=ProjectListResponse,
    dependencies=TAKES_NO_PARAMETERS,
    responses=NO_PARAMETERS_RESPONSES,
    summary="The DAWG-CORE projects in the projects directory, with the tracks that have stems",
)
async def list_projects(engine: EngineDep) -> ProjectListResponse:
    return await engine.run(_listing, engine.projects)  # reads the directory: off the event loop


@router.post(
    "/analyze/project",
    response_model=ProjectAnalysisResponse,
    responses={
        **body_errors("a project_id that leaves the projects directory"),
        **{code: {"model": ErrorBody} for code in (404, 422)},
        **JOB_RESPONSES,
    },
    openapi_extra=openapi_params(ProjectParams),
    summary="Analyse a DAWG-CORE project: manifest, roles, stems, live core status, findings",
)
async def analyze_project(engine: EngineDep, inp: InputDep, job: JobModeDep) -> ProjectAnalysisResponse | Response:
    return await job.run_or_queue(engine, inp, analyze_project_work, params=ProjectParams)


async def analyze_project_work(engine: EngineState, inp: RequestInput) -> ProjectAnalysisResponse:
    """The route's work (text commands and jobs run it too)."""
    params = validate_params(ProjectParams, inp.values)
    message: str | None = None
    if params.project_id:
        manifest = await engine.run(engine.projects.get, params.project_id)
    else:
        manifest, message = await _project_worked_on_last(engine)
    passed_over: dict[str, str] = {}
    stems = await engine.run(engine.projects.stems_of, manifest, passed_over)
    unread_stems = {track: passed_over[stem_key(track)] for track in manifest.tracks if stem_key(track) in passed_over}
    names = list(dict.fromkeys([*manifest.tracks, *stems]))
    roles = resolve_roles(names, parse_roles(params.roles))

    core: dict[str, Any]
    core_tracks: int | None = None
    try:
        live = await engine.core.project_status()
        core = {"connected": True, **live.to_dict()}
        core_tracks = live.num_tracks
    except CoreError as exc:
        core = {"connected": False, "reason": exc.detail}

    findings = project_findings(
        tracks=manifest.tracks,
        roles=roles,
        stems=stems,
        stems_dir=engine.projects.stems_dir(manifest.project_id),
        tempo=manifest.tempo,
        time_signature=manifest.time_signature,
        core_tracks=core_tracks,
        unread_stems=unread_stems,
    )
    measurements: dict[str, dict[str, Any]] = {}
    suggestions: list[dict[str, Any]] = []
    left_out: list[str] = []
    if stems:
        # Decoded as the mixing routes decode stems: long ones into stem files, deleted at the end.
        with progress.section(0.0, 0.15, "decoding"):  # a job's progress (ai/progress.py)
            tracks, left_out = await mix_stems(engine, stems, roles)
        left_out += await engine.run(unread_alternatives, stems)
        try:
            inputs = [TrackInput(t.name, t.audio, t.role) for t in tracks]
            with progress.section(0.15, 1.0, "measuring"):
                # None: the session's target (a podcast's -16 LUFS, else streaming's -14), as /mixing/suggest gives it
                report = (await engine.run(partial(suggest, inputs, target=params.target or None))).to_dict()
        finally:
            close_all([t.audio for t in tracks])
        measurements = {m["name"]: m for m in report["tracks"]}
        suggestions = report["suggestions"]
    left_out += await engine.run(engine.projects.stems_not_read, manifest)  # said with stems read or none
    message = "; ".join(([message] if message else []) + left_out) or None
    lower = {name.lower(): name for name in stems}
    return ProjectAnalysisResponse(
        project_id=manifest.project_id,
        name=manifest.name,
        tempo=manifest.tempo,
        time_signature=manifest.time_signature,
        manifest=str(manifest.path),
        stems_dir=str(engine.projects.stems_dir(manifest.project_id)),
        tracks=[
            ProjectTrackOut(
                name=name,
                role=roles[name],
                stem=str(stems[lower[name.lower()]]) if name.lower() in lower else None,
                measurements=measurements.get(lower.get(name.lower(), name)),
            )
            for name in names
        ],
        core=core,
        findings=findings,
        suggestions=suggestions,
        message=message,
    )


async def _project_worked_on_last(engine: EngineState) -> tuple[ProjectManifest, str]:
    """The project a request that names none is about (Jarvis: "analyse my project"; DAWG-CORE's own
    project/analyze takes no id either), and the sentence that says so; 404 when there is no project."""
    latest = await engine.run(engine.projects.latest_saved)
    if latest is None:
        problem = await engine.run(engine.projects.folder_problem)
        raise ProjectNotFound(
            f"the request named no project, and {problem}"
            if problem
            else f"the request named no project and there is none in {engine.projects.projects_dir} yet: DAWG-CORE "
            "saves a project's manifest there; pass project_id once it has"
        )
    manifest = latest.manifest
    return manifest, (
        f"the request named no project: this is project {manifest.name!r} (project_id {manifest.project_id!r}), "
        f"the one worked on last ({latest.what} {written_utc(latest.written)}); pass project_id for another"
    )
