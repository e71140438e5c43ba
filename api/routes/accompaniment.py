"""An accompaniment for an uploaded recording: drums, bass and a pad on its own beats, key and chords."""

from __future__ import annotations

import base64
import dataclasses
import functools
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.pipeline import AnalysisResult
from ai.analysis.signal_pass import SignalSummary, summarize
from ai.audio.decode import open_audio
from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from ai.audio.stem_file import StemFile, write_stem_file
from ai.generation.accompaniment import (
    Accompaniment,
    AccompanimentOptions,
    accompany_cues,
    analyse_with_cues,
    parse_parts,
    preview_max_rates,
    preview_midis,
    summary,
)
from ai.generation.beat_following import REFINE_SR
from ai.generation.preview_mix import preview_file
from ai.music_theory import parse_chart
from api.deps import EngineDep, InputDep
from api.file_response import TemporaryFileResponse, json_with_base64
from api.generation_input import normalise_genre
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import run_on_upload, summarize_upload
from api.owned_results import run_owning
from api.params import RequestInput, body_errors, openapi_params, refuse_unread_files, remove_quietly, validate_params
from api.schemas import SEED_MAX, AccompanimentParams, AccompanimentResponse, ErrorBody, NoteOut
from api.state import EngineState
from utils.errors import InvalidParameter

router = APIRouter(prefix="/api/v1/generate", tags=["generation"])
_DOCS = openapi_params(
    AccompanimentParams,
    files={"file": f"The recording: {SUPPORTED_FORMATS_TEXT}. The part may be named audio too."},
    required_file="file",
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/midi": {}}, "description": "JSON, or the MIDI file with format=midi"},
    **body_errors(),
    422: {"model": ErrorBody, "description": "invalid_parameter; undecodable_audio; no_beat: no pulse to follow."},
    **JOB_RESPONSES,
    503: {
        "model": ErrorBody,
        "description": "model_unavailable (a named model that failed to load; an unknown name is 422); renderer_unavailable (the preview's FluidSynth "
        "or soundfont missing); queue_full with async=true (Retry-After).",
    },
}


def _options(params: AccompanimentParams, seed: int) -> AccompanimentOptions:
    """The generation options of valid parameters (raises InvalidParameter, 422, before any audio is read)."""
    if params.format == "midi" and params.preview != "none":  # as /generate/midi answers it
        raise InvalidParameter("preview", "format=midi returns the .mid file alone; ask for format=json with a preview")
    chords = " ".join(params.chords) if isinstance(params.chords, list) else params.chords
    if chords:
        try:  # bars of 3 and of 4 beats fit no recording: said before its audio is read
            parse_chart(chords).check_counts_agree()
        except ValueError as exc:
            raise InvalidParameter("chords", str(exc)) from exc
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
        harmony=params.harmony,
        key=params.key,
        chords=chords,
    )


def check_accompaniment(params: AccompanimentParams) -> None:
    """What accompaniment_work refuses before decoding (a job refuses it before it is queued; a dry run too)."""
    _options(params, 0)


def _accompany(
    signal: SignalSummary, engine: EngineState, options: AccompanimentOptions
) -> tuple[AnalysisResult, Accompaniment, dict[str, float]]:
    """``signal``: the analysis's one pass over the recording; the beat refinement and the bar chroma read its
    mono signal at 22,050 Hz too, through the cues taken from it right after the analysis's STFT pass, which
    let it go (a 30-minute recording's signal is 159 MB, the cues 13.5 MB). The preview is not made here."""
    started = time.perf_counter()
    analysis, cues = analyse_with_cues(signal)
    analysed = time.perf_counter()
    progress.report(0.6, "generating")
    result = accompany_cues(cues, analysis, engine.registry, dataclasses.replace(options, preview=None))
    return analysis, result, {"analysis": analysed - started, "accompaniment": time.perf_counter() - analysed}


def _recording_file(path: Path, *, name: str, max_duration_s: float, directory: Path | None) -> StemFile:
    """The recording decoded block by block into a stem file: the preview mixes under it after the analysis
    has read it (a 30-minute stereo recording is 635 MB as float32)."""
    with open_audio(path, name=name, max_duration_s=max_duration_s) as stream:
        return write_stem_file(
            stream.blocks, channels=stream.channels, sample_rate=stream.sample_rate, directory=directory
        )


def _summarize_recording(recording: StemFile) -> SignalSummary:
    """The analysis's one pass over the recording's stem file (the same summary as from its upload; read
    again when its channels cancel in the mix)."""
    return summarize(
        recording.blocks,
        channels=recording.channels,
        sample_rate=recording.sample_rate,
        expected_samples=recording.n_samples,
    )


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
    return await job.run_or_queue(
        engine, inp, accompaniment_work, params=AccompanimentParams, check=check_accompaniment
    )


async def accompaniment_work(engine: EngineState, inp: RequestInput) -> AccompanimentResponse | Response:
    """The route's work (jobs run it too): decode, analyse, generate, place on the beats, render."""
    params = validate_params(AccompanimentParams, inp.values)
    seed = params.seed if params.seed is not None else secrets.randbelow(SEED_MAX + 1)
    options = _options(params, seed)
    refuse_unread_files(inp, single=("file", "audio"))
    upload = inp.file("file") or inp.file("audio")
    if upload is None:
        raise InvalidParameter("file", f"upload the recording as the multipart field 'file' ({SUPPORTED_FORMATS_TEXT})")
    await engine.wait_for_models(params.model)
    if not options.preview:
        with progress.section(0.0, 0.3, "decoding"):  # read block by block into the analysis's one pass
            signal = await summarize_upload(engine, upload)
        with progress.section(0.3, 1.0, "accompanying"):
            analysis, result, seconds = await engine.run(_accompany, signal, engine, options)
        return (
            _midi_answer(seed, result)
            if params.format == "midi"
            else _answer(upload.filename, options, seed, analysis, result, seconds)
        )
    # The preview mixes the parts under the recording at its own rate: decoded once into a stem file.
    directory = engine.settings.upload_dir
    with progress.section(0.0, 0.3, "decoding"):
        recording = await run_on_upload(
            engine,
            upload,
            functools.partial(
                _recording_file,
                name=upload.filename or "file",
                max_duration_s=engine.settings.max_audio_duration_s,
                directory=directory,
            ),
            discard=StemFile.close,
        )
    with recording:
        with progress.section(0.3, 0.8, "accompanying"):
            signal = await engine.run(_summarize_recording, recording)
            analysis, result, seconds = await engine.run(_accompany, signal, engine, options)
        with progress.section(0.8, 1.0, "rendering the preview"):
            started = time.perf_counter()
            preview = await run_owning(
                engine,
                remove_quietly,
                functools.partial(
                    preview_file,
                    recording,
                    preview_midis(result),
                    level_db=options.level_db,
                    fmt=options.preview,
                    directory=directory,
                    max_rates=preview_max_rates(result),
                ),
            )
            seconds["accompaniment"] += time.perf_counter() - started
    body = _answer(upload.filename, options, seed, analysis, result, seconds, preview_base64=_PREVIEW_SLOT)
    text = body.model_dump_json(by_alias=True)
    path = await run_owning(
        engine,
        remove_quietly,
        functools.partial(
            json_with_base64, text, _PREVIEW_SLOT, preview, prefix="dawg-accompaniment-", directory=directory
        ),
    )
    return TemporaryFileResponse(path, media_type="application/json", headers={})


_PREVIEW_SLOT = "@@preview_base64@@"
"""Stands in the JSON text for the preview's base64, written there from the encoded file a piece at a time."""


def _midi_answer(seed: int, result: Accompaniment) -> Response:
    """format=midi: the .mid file itself."""
    headers = {
        "Content-Disposition": f'attachment; filename="dawg_accompaniment_{seed}.mid"',
        "X-Seed": str(seed),
        "X-Models": ",".join(f"{part}={model}" for part, model in result.models.items()),
        "X-Harmony-Source": result.harmony_source,
        "X-Styles": ",".join(f"{part}={style}" for part, style in result.styles.items()),
    }
    return Response(content=result.midi, media_type="audio/midi", headers=headers)


def _answer(
    filename: str | None,
    options: AccompanimentOptions,
    seed: int,
    analysis: AnalysisResult,
    result: Accompaniment,
    seconds: dict[str, float],
    *,
    preview_base64: str | None = None,
) -> AccompanimentResponse:
    """The JSON answer (``preview_base64``: the preview's slot, filled from its file after)."""
    grid = result.grid
    return AccompanimentResponse(
        filename=filename,
        seed=seed,
        parts=list(result.parts),
        models=result.models,
        styles=result.styles,
        fallback_reasons=result.fallback_reasons,
        midi_base64=base64.b64encode(result.midi).decode("ascii"),
        notes={
            part: [
                NoteOut(pitch=n.pitch, start=round(n.start, 4), end=round(n.end, 4), velocity=n.velocity)
                for n in sorted(notes, key=lambda n: (n.start, n.pitch))
            ]
            for part, notes in result.parts.items()
        },
        # The analysis's tempo, as every other route reports it for this recording; the grid's median is in the summary.
        tempo=analysis.tempo if analysis.tempo is not None else round(result.tempo, 2),
        time_signature=f"{grid.numerator}/{grid.denominator}",
        key=result.key.name,
        bars=grid.bars,
        harmony_source=result.harmony_source,
        harmony_note=result.harmony_note,
        analysis=summary(result, analysis),
        preview_base64=preview_base64,
        preview_format=options.preview,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )
