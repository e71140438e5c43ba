"""Mixing advice and auto-level from measurements of the tracks' audio."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ai.mixing.auto_level import auto_level as auto_level_tracks
from ai.mixing.measure import TrackInput
from ai.mixing.suggest import suggest as suggest_mix
from api.deps import EngineDep, InputDep
from api.mix_input import MixAudio, gather_mix_audio
from api.params import openapi_params, validate_params
from api.schemas import AutoLevelResponse, ErrorBody, MixingParams, MixingResponse

router = APIRouter(prefix="/api/v1/mixing", tags=["mixing"])
_FILES = {
    "files": "Stems, one file per track (the track name is the file name without extension).",
    "master": "A finished mix, for mastering advice.",
    "reference": "A reference track to compare the mix with.",
}
_DOCS = openapi_params(MixingParams, files=_FILES)
_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (400, 404, 413, 415, 422)}
NO_AUDIO = (
    "no audio found: upload stems as multipart 'files' (one file per track), a finished mix as "
    "'master', or render the project's stems to <projects dir>/<project_id>/stems/<track name>.wav "
    "and pass project_id"
)


def _inputs(mix: MixAudio) -> list[TrackInput]:
    return [TrackInput(track.name, track.audio, track.role) for track in mix.tracks]


def _suggest(mix: MixAudio, target: str) -> dict[str, Any]:
    return suggest_mix(_inputs(mix), target=target, master=mix.master, reference=mix.reference).to_dict()


def _auto_level(mix: MixAudio, target: str) -> dict[str, Any]:
    return auto_level_tracks(_inputs(mix), target=target).to_dict()


@router.post(
    "/suggest",
    response_model=MixingResponse,
    responses=_ERRORS,
    openapi_extra=_DOCS,
    summary="Mixing or mastering advice with concrete moves, from the tracks' audio",
)
async def suggest(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    params = validate_params(MixingParams, inp.values)
    mix = await gather_mix_audio(engine, inp, params.project_id, params.roles)
    if not mix.tracks and mix.master is None:
        return {
            "status": "no_audio",
            "message": NO_AUDIO,
            "suggestions": [],
            "mix_quality_score": None,
            "overall_quality": "unknown: no audio to measure",
            "tracks": [],
        }
    report = await engine.run(_suggest, mix, params.target or "streaming")
    return {"status": "success", "source": mix.source, **report}


@router.post(
    "/auto_level",
    response_model=AutoLevelResponse,
    responses=_ERRORS,
    openapi_extra=_DOCS,
    summary="Gains and pans per track for a balance by role, with headroom",
)
async def auto_level(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    params = validate_params(MixingParams, inp.values)
    mix = await gather_mix_audio(engine, inp, params.project_id, params.roles)
    if not mix.tracks:
        return {"status": "no_audio", "message": NO_AUDIO, "levels": {}, "gain_adjustments": {}}
    result = await engine.run(_auto_level, mix, params.target or "premaster")
    return {"source": mix.source, **result}
