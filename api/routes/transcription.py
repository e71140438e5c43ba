"""Audio to MIDI: pitched notes or drum hits of one uploaded recording, as JSON or a .mid file."""

from __future__ import annotations

import base64
import dataclasses
import functools
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.analysis.signal_pass import SignalSummary
from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from ai.transcription.pitched import DEFAULT_OPTIONS, NoteOptions
from ai.transcription.tempo_map import parse_subdivision
from ai.transcription.transcribe import Transcription, drum_transcriber, transcribe_summary
from api.attachment import attachment, file_stem
from api.deps import EngineDep, InputDep
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import summarize_upload
from api.params import RequestInput, body_errors, openapi_params, refuse_unread_files, validate_params
from api.schemas import ErrorBody, TranscriptionParams, TranscriptionResponse
from api.state import EngineState
from utils.errors import InvalidParameter

router = APIRouter(prefix="/api/v1", tags=["transcription"])

_DOCS = openapi_params(
    TranscriptionParams,
    files={"file": f"The recording: {SUPPORTED_FORMATS_TEXT}. The part may be named audio too."},
    required_file="file",
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **body_errors(),
    **{code: {"model": ErrorBody} for code in (422, 503)},
    **JOB_RESPONSES,
    200: {"content": {"audio/midi": {}}, "description": "JSON, or the MIDI file with format=midi"},
}


def check_transcription(params: TranscriptionParams) -> None:
    """What transcribe_work refuses before decoding (a job refuses it before it is queued)."""
    if params.instrument == "drums":
        drum_transcriber()  # 503 model_unavailable while the drum model is not installed


def note_options(params: TranscriptionParams) -> NoteOptions:
    """The pitched note settings of a request: the engine's, with the request's parameters."""
    return dataclasses.replace(
        DEFAULT_OPTIONS,
        decoder=params.note_decoding,
        onset_threshold=params.onset_threshold,
        frame_threshold=params.frame_threshold,
        minimum_note_length_ms=params.minimum_note_length_ms,
        minimum_frequency=params.minimum_frequency,
        maximum_frequency=params.maximum_frequency,
        pitch_bends=params.pitch_bends,
    )


def _transcribe(summary: SignalSummary, params: TranscriptionParams) -> Transcription:
    options = note_options(params)
    step = parse_subdivision(params.quantize) if params.quantize else None
    return transcribe_summary(
        summary, instrument=params.instrument, quantize=step, quantize_text=params.quantize, options=options
    )


@router.post(
    "/transcribe",
    response_model=TranscriptionResponse,
    responses=_RESPONSES,
    openapi_extra=_DOCS,
    summary="Audio to MIDI: pitched notes (polyphonic, or a melody's one line, with pitch bends) or drum hits, on the "
    "recording's beat grid",
)
async def transcribe_audio(engine: EngineDep, inp: InputDep, job: JobModeDep) -> Response | TranscriptionResponse:
    return await job.run_or_queue(engine, inp, transcribe_work, params=TranscriptionParams, check=check_transcription)


async def transcribe_work(engine: EngineState, inp: RequestInput) -> Response | TranscriptionResponse:
    """Transcribe the request's uploaded file (the route and jobs run this)."""
    params = validate_params(TranscriptionParams, inp.values)
    check_transcription(params)
    refuse_unread_files(inp, single=("file", "audio"))
    upload = inp.file("file") or inp.file("audio")
    if upload is None:
        raise InvalidParameter("file", f"upload the audio as the multipart field 'file' ({SUPPORTED_FORMATS_TEXT})")
    # The analysis's mono signal at 22,050 Hz is what both models read: the recording is never held whole.
    with progress.section(0.0, 0.3, "decoding"):
        summary = await summarize_upload(engine, upload)
    with progress.section(0.3, 1.0, "transcribing"):
        result = await engine.run(functools.partial(_transcribe, summary, params))
    if params.format == "midi":
        stem = PurePath(upload.filename or "audio").stem or "audio"
        filename = f"{file_stem(stem) or 'audio'}_{result.instrument}.mid"
        headers = {
            "Content-Disposition": attachment(filename),
            "X-Model": result.model,
            "X-Notes": str(len(result.notes)),
            "X-Instrument": result.instrument,
        }
        if result.instrument_note is not None:  # instrument=auto: what it chose and why
            headers["X-Instrument-Note"] = result.instrument_note
        if result.tempo is not None:
            headers["X-Tempo"] = str(result.tempo)
        if result.bandwidth_note is not None:
            headers["X-Bandwidth-Note"] = result.bandwidth_note
        if result.quantize_note is not None:  # the file is not quantised though it was asked: the JSON's note
            headers["X-Quantize-Note"] = result.quantize_note
        if result.notes_note is not None:  # noise: the notes the model read in it are left out
            headers["X-Notes-Note"] = result.notes_note
        return Response(content=result.midi, media_type="audio/midi", headers=headers)
    return TranscriptionResponse(
        filename=upload.filename,
        midi_base64=base64.b64encode(result.midi).decode("ascii"),
        **result.to_dict(),
    )
