"""An accompaniment for an uploaded recording: drums, bass and a pad on its own beats, key and chords."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.pipeline import AnalysisResult, analyze_summary, reported_tuning, summarize_audio
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import SUPPORTED_FORMATS_TEXT, DecodedAudio
from ai.generation.accompaniment import (
    Accompaniment,
    AccompanimentOptions,
    RecordingCues,
    accompany_cues,
    parse_parts,
    summary,
    take_recording_cues,
)
from ai.generation.beat_following import REFINE_SR
from api.deps import EngineDep, InputDep
from api.generation_input import normalise_genre
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import decode_uploads, summarize_upload
from api.params import RequestInput, openapi_params, validate_params
from api.schemas import SEED_MAX, AccompanimentParams, AccompanimentResponse, ErrorBody, NoteOut
from api.state import EngineState
from utils.errors import InvalidParameter

router = APIRouter(prefix="/api/v1/generate", tags=["generation"])
_DOCS = openapi_params(AccompanimentParams, files={"file": f"The recording: {SUPPORTED_FORMATS_TEXT}."})
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/midi": {}}, "description": "JSON, or the MIDI file with format=midi"},
    **{code: {"model": ErrorBody} for code in (413, 415)},
    422: {"model": ErrorBody, "description": "invalid_parameter; undecodable_audio; no_beat: no pulse to follow."},
    **JOB_RESPONSES,
    503: {
        "model": ErrorBody,
        "description": "model_unavailable (a named model not loaded); renderer_unavailable (the preview's FluidSynth "
        "or soundfont missing); queue_full with async=true (Retry-After).",
    },
}


def _options(params: AccompanimentParams, seed: int) -> AccompanimentOptions:
    return AccompanimentOptions(
        parts=parse_parts(params.parts),
        style=normalise_genre(params.style),
        temperature=params.temperature,
        seed=seed,
        density=params.density,
        swing=params.swing,
        humanize=params.humanize,
        microtiming=params.microtiming,
        model=params.model,
        preview=None if params.preview == "none" else params.preview,
        level_db=params.level_db,
    )


def _check(params: AccompanimentParams) -> None:
    _options(params, 0)


def _accompany(
    signal: SignalSummary, recording: DecodedAudio | None, engine: EngineState, options: AccompanimentOptions
) -> tuple[AnalysisResult, Accompaniment, dict[str, float]]:
    """``signal``: the analysis's one pass over the recording; the beat refinement and the bar chroma read its
    mono signal at 22,050 Hz too, through the cues taken from it right after the analysis's STFT pass, which
    let it go (a 30-minute recording's signal is 159 MB, the cues 3.5 MB). ``recording``: the decoded audio, only for a
    preview (mixed under it)."""
    started = time.perf_counter()
    cues: list[RecordingCues] = []
    analysis = analyze_summary(
        signal,
        release_signal=True,
        last_look=lambda summary, spectral: cues.append(
            take_recording_cues(summary, reported_tuning(spectral.tuning_cents()))
        ),
    )
    analysed = time.perf_counter()
    progress.report(0.6, "generating")
    result = accompany_cues(cues[0], analysis, engine.registry, options, recording=recording)
    return analysis, result, {"analysis": analysed - started, "accompaniment": time.perf_counter() - analysed}


if ANALYSIS_SR != REFINE_SR:  # the beat refinement reads the analysis's mono signal as it is
    raise ImportError(f"the analysis rate {ANALYSIS_SR} Hz is not the beat refinement's {REFINE_SR} Hz")


@router.post(
    "/accompaniment",
    response_model=AccompanimentResponse,
    responses=_RESPONSES,
    openapi_extra=_DOCS,
    summary="Drums, bass and a pad for a recording, following its beats, meter, key and chords",
)
async def generate_accompaniment(engine: EngineDep, inp: InputDep, job: JobModeDep) -> AccompanimentResponse | Response:
    return await job.run_or_queue(engine, inp, accompaniment_work, params=AccompanimentParams, check=_check)


async def accompaniment_work(engine: EngineState, inp: RequestInput) -> AccompanimentResponse | Response:
    """The route's work (jobs run it too): decode, analyse, generate, place on the beats, render."""
    params = validate_params(AccompanimentParams, inp.values)
    seed = params.seed if params.seed is not None else secrets.randbelow(SEED_MAX + 1)
    options = _options(params, seed)
    upload = inp.file("file") or inp.file("audio")
    if upload is None:
        raise InvalidParameter("file", f"upload the recording as the multipart field 'file' ({SUPPORTED_FORMATS_TEXT})")
    await engine.wait_for_models(params.model)
    recording: DecodedAudio | None = None
    with progress.section(0.0, 0.3, "decoding"):
        if options.preview:  # the preview mixes the parts under the recording at its own rate
            (recording,) = await decode_uploads(engine, [(upload.filename or "file", upload)])
            signal = await engine.run(summarize_audio, recording)
        else:  # read block by block into the analysis's one pass: the recording is never decoded whole
            signal = await summarize_upload(engine, upload)
    with progress.section(0.3, 1.0, "accompanying"):
        analysis, result, seconds = await engine.run(_accompany, signal, recording, engine, options)
    if params.format == "midi":
        headers = {
            "Content-Disposition": f'attachment; filename="dawg_accompaniment_{seed}.mid"',
            "X-Seed": str(seed),
            "X-Models": ",".join(f"{part}={model}" for part, model in result.models.items()),
        }
        return Response(content=result.midi, media_type="audio/midi", headers=headers)
    grid = result.grid
    return AccompanimentResponse(
        filename=upload.filename,
        seed=seed,
        parts=list(result.parts),
        models=result.models,
        fallback_reasons=result.fallback_reasons,
        midi_base64=base64.b64encode(result.midi).decode("ascii"),
        notes={
            part: [
                NoteOut(pitch=n.pitch, start=round(n.start, 4), end=round(n.end, 4), velocity=n.velocity)
                for n in sorted(notes, key=lambda n: (n.start, n.pitch))
            ]
            for part, notes in result.parts.items()
        },
        tempo=round(result.tempo, 2),
        time_signature=f"{grid.numerator}/{grid.denominator}",
        key=result.key.name,
        bars=grid.bars,
        analysis=summary(result, analysis),
        preview_base64=base64.b64encode(result.preview).decode("ascii") if result.preview is not None else None,
        preview_format=options.preview,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )
