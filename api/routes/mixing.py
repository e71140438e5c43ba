"""Mixing advice, auto-level and the rendered mix, from measurements of the tracks' audio.

A request that names no project and carries no stems or master (an empty POST: DAWG-CORE's AI panel
and the web client send every mixing request that way) is about the project whose stems were written
last in the projects directory: the answer names it (``project_id``) and says why (``message``).
With no audio at all (no project has stems, or the named project has none), /suggest and /auto_level
answer 200 with one body, status "no_audio", a message saying how to send audio, overall_quality 0.0
(:data:`NO_AUDIO_QUALITY`), mix_quality_score null and empty suggestions and levels. /render answers 422 ``no_audio`` instead: there is nothing to
render. /render with a finished mix alone (``master``) masters it.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.audio.encode import encode_audio_file
from ai.mixing.auto_level import auto_level as auto_level_tracks
from ai.mixing.measure import TrackInput
from ai.mixing.render import RenderResult, render_master_report, render_mix_report
from ai.mixing.render_plan import parse_apply
from ai.mixing.suggest import suggest as suggest_mix
from api.attachment import attachment, file_stem
from api.deps import EngineDep, InputDep
from api.file_response import TemporaryFileResponse, json_with_base64
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import MixAudio, mix_audio
from api.owned_results import run_owning
from api.params import RequestInput, body_errors, openapi_params, remove_quietly, validate_params
from api.schemas import AutoLevelResponse, ErrorBody, MixingParams, MixingResponse, RenderParams, RenderResponse
from api.state import EngineState
from utils.errors import InvalidParameter, NoAudioFound

router = APIRouter(prefix="/api/v1/mixing", tags=["mixing"])
_FILES = {
    "files": "Stems, one file per track (the track name is the file name without extension); a part named "
    "file is read as one more stem.",
    "master": "A finished mix, for mastering advice.",
    "reference": "A reference track to compare the mix with.",
}
_RENDER_FILES = {
    "files": "Stems, one file per track (the track name is the file name without extension); a part named "
    "file is read as one more stem.",
    "master": "A finished mix, without stems: it is mastered.",
    "reference": "A reference track (its comparison moves on the mix bus are applied).",
}
_DOCS = openapi_params(MixingParams, files=_FILES)
_ERRORS: dict[int | str, dict[str, Any]] = {
    **body_errors("a project_id that leaves the projects directory"),
    **{code: {"model": ErrorBody} for code in (404, 422)},
    **JOB_RESPONSES,
}
_RENDER_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "model": RenderResponse,
        "description": "The rendered mix: the file (format=wav or flac) or, with format=json, this body.",
        "content": {
            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
            "audio/flac": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **body_errors("a project_id that leaves the projects directory"),
    404: {"model": ErrorBody},
    422: {
        "model": ErrorBody,
        "description": "no_audio: no stems to render; invalid_parameter; undecodable_audio.",
    },
    **JOB_RESPONSES,
}
NO_AUDIO = (
    "no audio found: upload stems as multipart 'files' (one file per track), a finished mix as "
    "'master', or render the project's stems to <projects dir>/<project_id>/stems/<track name>.wav "
    "and pass project_id"
)
NO_STEMS_TO_RENDER = (
    "nothing to render: upload stems as multipart 'files' (one file per track), or render the project's "
    "stems to <projects dir>/<project_id>/stems/<track name>.wav and pass project_id, or upload a finished "
    "mix as 'master' to master it"
)
MASTER_HAS_NO_TRACKS = (
    "auto_level balances tracks against each other, and a finished mix has none: upload the stems as "
    "multipart 'files' (one file per track); /api/v1/mixing/suggest gives a master's loudness advice"
)
MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac"}
_EMPTY_REQUEST = (
    "A request with none of them (an empty POST, as DAWG-CORE's AI panel and the web client send) is about the "
    "project whose stems were written last: `project_id`, `project_name` and `message` say which. When no "
    'project has stems: 200 with status "no_audio" and how to send audio.'
)


NO_AUDIO_QUALITY = 0.0
"""overall_quality without audio: a number, as everywhere it appears. The web client (AIAPI.ts) sends every mixing
request as an empty POST and multiplies overall_quality by 100 for a percentage; null there was the one place it
was no number. Nothing was scored: status "no_audio" and quality_summary say so, and mix_quality_score (which the
engine's own web page and CLI read, and show blank when null) stays null."""
NO_AUDIO_SUMMARY = "No audio, nothing scored: send stems or a mix, or name a project with stems."


def no_audio_body(message: str = NO_AUDIO) -> dict[str, Any]:
    """The one answer of /suggest and /auto_level to a request without audio."""
    return {
        "status": "no_audio",
        "message": message,
        "suggestions": [],
        "mix_quality_score": None,
        "overall_quality": NO_AUDIO_QUALITY,
        "quality_summary": NO_AUDIO_SUMMARY,
        "tracks": [],
        "levels": {},
        "gain_adjustments": {},
        "makeup_db": None,
    }


async def _without_audio(engine: EngineState, mix: MixAudio, default: str) -> tuple[str, dict[str, Any]]:
    """What a request that brought no usable audio is told, and the project fields of its answer: a named
    project with no readable stems is named with the folder its stems go in (the general "pass project_id"
    read as if the caller had not passed it)."""
    if mix.project_id is None:
        problem = await engine.run(engine.projects.folder_problem)
        return (f"{default}; {problem}" if problem else default), {}
    folder = await engine.run(engine.projects.stems_dir, mix.project_id)
    message = "; ".join(
        [
            f"project {mix.project_name!r} (project_id {mix.project_id!r}) has no readable stems in {folder}: render "
            "its tracks there as <track name>.wav (or FLAC, AIFF, MP3...), or upload stems as multipart 'files'",
            *mix.left_out,  # what was there and why it was not read: a stem that does not decode, a name not UTF-8
        ]
    )
    return message, {"project_id": mix.project_id, "project_name": mix.project_name}


def _project_fields(mix: MixAudio) -> dict[str, Any]:
    """The project the stems came from and, when the engine took it for a request without audio, why."""
    fields: dict[str, Any] = {"project_id": mix.project_id, "project_name": mix.project_name}
    if mix.message is not None:
        fields["message"] = mix.message
    return fields


def _inputs(mix: MixAudio) -> list[TrackInput]:
    return [TrackInput(track.name, track.audio, track.role) for track in mix.tracks]


def _suggest(mix: MixAudio, target: str | float | None, tempo: float | None) -> dict[str, Any]:
    report = suggest_mix(_inputs(mix), target=target, master=mix.master, reference=mix.reference, tempo_bpm=tempo)
    return report.to_dict()


def _auto_level(mix: MixAudio, target: str | float) -> dict[str, Any]:
    return auto_level_tracks(_inputs(mix), target=target).to_dict()


@router.post(
    "/suggest",
    response_model=MixingResponse,
    responses=_ERRORS,
    openapi_extra=_DOCS,
    summary="Mixing or mastering advice with concrete moves, from the tracks' audio",
    description=f"The tracks come as uploaded stems (`files`), a project's stems (`project_id`) or a finished mix "
    f"(`master`: mastering advice). {_EMPTY_REQUEST}",
)
async def suggest(engine: EngineDep, inp: InputDep, job: JobModeDep) -> dict[str, Any] | Response:
    return await job.run_or_queue(engine, inp, suggest_work, params=MixingParams)


async def suggest_work(engine: EngineState, inp: RequestInput) -> dict[str, Any]:
    """The route's work (text commands and jobs run it too)."""
    params = validate_params(MixingParams, inp.values)
    async with contextlib.AsyncExitStack() as stack:  # the stem files go when the request ends
        with progress.section(0.0, 0.15, "decoding"):  # a job's progress (ai/progress.py): decoding is the small part
            mix = await stack.enter_async_context(mix_audio(engine, inp, params.project_id, params.roles))
        if not mix.tracks and mix.master is None:
            message, project = await _without_audio(engine, mix, NO_AUDIO)
            return {**no_audio_body(message), **project}
        with progress.section(0.15, 1.0, "measuring"):
            report = await engine.run(_suggest, mix, params.target or None, params.tempo or mix.tempo)
        return {"status": "success", "source": mix.source, **report, **_project_fields(mix)}


@router.post(
    "/auto_level",
    response_model=AutoLevelResponse,
    responses=_ERRORS,
    openapi_extra=_DOCS,
    summary="Gains and pans per track for a balance by role, with headroom",
    description=f"The tracks come as uploaded stems (`files`) or a project's stems (`project_id`). {_EMPTY_REQUEST}",
)
async def auto_level(engine: EngineDep, inp: InputDep, job: JobModeDep) -> dict[str, Any] | Response:
    return await job.run_or_queue(engine, inp, auto_level_work, params=MixingParams)


async def auto_level_work(engine: EngineState, inp: RequestInput) -> dict[str, Any]:
    """The route's work (text commands and jobs run it too)."""
    params = validate_params(MixingParams, inp.values)
    async with contextlib.AsyncExitStack() as stack:
        with progress.section(0.0, 0.3, "decoding"):
            mix = await stack.enter_async_context(mix_audio(engine, inp, params.project_id, params.roles))
        if not mix.tracks:
            if mix.master is not None:  # audio came, but not what levelling needs: "no audio found" would be false
                raise InvalidParameter("master", MASTER_HAS_NO_TRACKS)
            message, project = await _without_audio(engine, mix, NO_AUDIO)
            return {**no_audio_body(message), **project}
        with progress.section(0.3, 1.0, "levelling"):
            result = await engine.run(_auto_level, mix, params.target or "premaster")
        return {"source": mix.source, **result, **_project_fields(mix)}


def _render(mix: MixAudio, params: RenderParams, directory: Path | None) -> tuple[RenderResult, Path]:
    """The render and its encoded file (a WAV for format=json, whose body carries it in base64), written
    block by block into ``directory``: the answer is made from it. A finished mix alone (``master``, no
    stems) is mastered: its fixes, then the loudness target and the true-peak limiter."""
    target = params.target or None  # none given: the session's (a podcast's -16 LUFS, else streaming's -14)
    apply = parse_apply(params.apply)
    tempo = params.tempo or mix.tempo
    if not mix.tracks and mix.master is not None:
        result = render_master_report(
            master=mix.master,
            apply=apply,
            target=target,
            reference=mix.reference,
            tempo_bpm=tempo,
            overwrite_input=True,
        )
    else:
        result = render_mix_report(
            tracks=_inputs(mix),
            apply=apply,
            master_target=(target or True) if params.master else None,
            target=target,
            reference=mix.reference,
            tempo_bpm=tempo,
            overwrite_input=True,  # the stems were decoded for this request only
        )
    fmt = "wav" if params.format == "json" else params.format
    try:
        encoded = encode_audio_file(
            result.samples, result.sample_rate, fmt=fmt, bit_depth=params.bit_depth, directory=directory
        )
        return result, encoded
    finally:
        result.close()  # the mix's stem file, when the stems were in stem files


def _headers(result: RenderResult, filename: str) -> dict[str, str]:
    m = result.measured_after
    headers = {
        "Content-Disposition": attachment(filename),
        "X-Applied-Moves": str(sum(len(entry["moves"]) for entry in result.applied)),
        "X-Tracks-Left-Out": str(len(result.left_out)),
    }
    # A measure there is none of (the loudness of silence, of one sample) is left out, not sent empty.
    numbers = {
        "X-Loudness-LUFS": m.get("integrated_lufs"),
        "X-True-Peak-dBTP": m.get("true_peak_dbtp"),
        "X-Target-LUFS": result.master["target"]["lufs"] if result.master is not None else None,
    }
    headers.update({name: f"{value:.2f}" for name, value in numbers.items() if value is not None})
    master = result.master
    if master is not None and "within_tolerance" in master:
        # The JSON said the target was missed ("the -1 dBTP ceiling holds the master at -8.9 LUFS"); a file's
        # headers gave the loudness reached and the target, and left the reader to compare them.
        headers["X-Target-Reached"] = "true" if master["within_tolerance"] else "false"
        note = master.get("note") or master.get("skipped")
        if note:
            headers["X-Master-Note"] = quote(note, safe=" !#$&'()*+,-./:;<=>?@[]^_`{|}~")
    if "acted_on" in m:
        headers["X-Findings-Acted-On"] = str(m["acted_on"])
        headers["X-Findings-Gone"] = str(len(m["gone"]))
    if "new" in m:
        headers["X-Findings-New"] = str(len(m["new"]))
    return headers


@router.post(
    "/render",
    response_class=Response,
    responses=_RENDER_ERRORS,
    openapi_extra=openapi_params(RenderParams, files=_RENDER_FILES),
    summary="The mix with the engine's moves applied (gains, pans, EQ, compression), optionally mastered",
    description="Applies what /mixing/suggest and /mixing/auto_level advise, sums the stems, optionally "
    "masters to the loudness target with a true-peak limiter, measures the result again and answers the "
    "audio (WAV or FLAC, 16 or 24 bit) or, with format=json, base64 audio and the report. Without stems, "
    "master or project_id: the project whose stems were written last (X-Project-Id names it); when no project "
    "has stems: 422 no_audio.",
)
async def render(engine: EngineDep, inp: InputDep, job: JobModeDep) -> Response:
    return await job.run_or_queue(
        engine, inp, render_work, params=RenderParams, check=lambda params: parse_apply(params.apply)
    )


@dataclass(frozen=True)
class RenderJson:
    """A format=json render before its answer is written: the answer with ``slot`` where the mix's base64
    goes, and the WAV file it comes from (deleted by whoever writes the answer). A text command writes it
    inside its own answer, so that tens of MB of base64 are never parsed or dumped as one string."""

    body: RenderResponse
    slot: str
    wav: Path


async def render_work(engine: EngineState, inp: RequestInput) -> Response:
    """The route's work (jobs run it too)."""
    result = await render_result(engine, inp)
    if isinstance(result, Response):
        return result
    return await render_json_answer(engine, result.body.model_dump_json(), result)


async def render_result(engine: EngineState, inp: RequestInput) -> Response | RenderJson:
    """The render: the audio file's response, or with format=json the answer still to be written."""
    params = validate_params(RenderParams, inp.values)
    parse_apply(params.apply)  # an unknown kind is a 422 before any audio is decoded
    async with contextlib.AsyncExitStack() as stack:
        with progress.section(0.0, 0.1, "decoding"):
            mix = await stack.enter_async_context(mix_audio(engine, inp, params.project_id, params.roles))
        if not mix.tracks and mix.master is None:
            raise NoAudioFound((await _without_audio(engine, mix, NO_STEMS_TO_RENDER))[0])
        with progress.section(0.1, 1.0, "rendering"):
            result, audio = await run_owning(
                engine, lambda done: remove_quietly(done[1]), _render, mix, params, engine.settings.upload_dir
            )
    # A project's render is named by it ("Song 1_mix.wav", "Song 1_master.wav"); uploaded stems' is "mix.wav" (it
    # was "mix_mix.wav") or "mix_master.wav".
    base = file_stem(mix.project_id or "")
    mastered = params.master or not mix.tracks
    stem = f"{base or 'mix'}_master" if mastered else (f"{base}_mix" if base else "mix")
    if params.format != "json":
        headers = _headers(result, f"{stem}.{params.format}")
        if mix.project_id is not None:  # percent-encoded UTF-8: headers travel as latin-1, an id may be "曲"
            headers["X-Project-Id"] = quote(mix.project_id, safe="")
        return TemporaryFileResponse(audio, media_type=MEDIA_TYPES[params.format], headers=headers)
    # A slot no project name or message can hold by chance: the answer's text is split at it.
    slot = f"@@audio_base64:{secrets.token_hex(16)}@@"
    body = RenderResponse(
        source=mix.source,
        project_id=mix.project_id,
        project_name=mix.project_name,
        message=mix.message,
        audio_base64=slot,
        bit_depth=params.bit_depth,
        sample_rate=result.sample_rate,
        duration_s=round(result.duration_s, 3),
        **{key: value for key, value in result.to_dict().items() if key not in ("sample_rate", "duration_s")},
        report=result.report_before.to_dict(),
        report_after=result.report_after.to_dict() if result.report_after else None,
    )
    return RenderJson(body, slot, audio)


def _json_file(text: str, slot: str, wav: Path, directory: Path | None) -> Path:
    """A format=json answer written into a file: ``text`` with the WAV file's base64 in ``slot``, a piece at
    a time (:func:`api.file_response.json_with_base64`); the WAV file is deleted."""
    return json_with_base64(text, slot, wav, prefix="dawg-render-", directory=directory)


async def render_json_answer(engine: EngineState, text: str, render: RenderJson) -> Response:
    """``text`` (``render``'s body, or a text command's answer holding it) written with the mix's base64 in
    its slot: the answer's file, streamed."""
    path = await run_owning(
        engine, remove_quietly, _json_file, text, render.slot, render.wav, engine.settings.upload_dir
    )
    return TemporaryFileResponse(path, media_type="application/json", headers={})
