"""Audio analysis of one uploaded file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ai import progress
from ai.analysis.pipeline import analyze_summary
from ai.analysis.signal_pass import SignalSummary
from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from api.deps import EngineDep, InputDep
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.mix_input import summarize_upload
from api.params import UPLOAD_FIELDS, RequestInput, body_errors, refuse_unread_files
from api.schemas import AnalysisResponse, ErrorBody
from api.state import EngineState
from utils.errors import InvalidParameter

router = APIRouter(prefix="/api/v1/analyze", tags=["analysis"])

_DOCS: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"The audio: {SUPPORTED_FORMATS_TEXT}. The part may be named audio too.",
                        }
                    },
                }
            }
        },
    }
}


def _analyze(summary: SignalSummary) -> dict[str, Any]:
    return analyze_summary(summary, progress_from=0.0, release_signal=True).to_dict()


@router.post(
    "/audio",
    response_model=AnalysisResponse,
    responses={**body_errors(), 422: {"model": ErrorBody}, **JOB_RESPONSES},
    openapi_extra=_DOCS,
    summary="Tempo, beats, downbeats, meter, key, chords, loudness and spectral features of an audio file",
)
async def analyze_audio(engine: EngineDep, inp: InputDep, job: JobModeDep) -> dict[str, Any] | Response:
    for name in inp.values:  # the file is all it reads (async is the job's): `?bars=8` was answered as if unsaid
        if name in UPLOAD_FIELDS:  # curl -F 'file=<song.wav': the file's text, not the file
            raise InvalidParameter(
                name, "came as a text field, not a file: send it as a file part (curl -F 'file=@song.wav')"
            )
        raise InvalidParameter(name[:80], "unknown parameter; this route takes the uploaded file (and async) only")
    return await job.run_or_queue(engine, inp, analyze_audio_work)


async def analyze_audio_work(engine: EngineState, inp: RequestInput) -> dict[str, Any]:
    """Analyse the request's uploaded file (the route, text commands and jobs run this)."""
    refuse_unread_files(inp, single=("file", "audio"))
    upload = inp.file("file") or inp.file("audio")
    if upload is None:
        raise InvalidParameter("file", f"upload the audio as the multipart field 'file' ({SUPPORTED_FORMATS_TEXT})")
    with progress.section(0.0, 0.4, "decoding"):  # a job's progress: decoding is ~40 % of a long file's time
        summary = await summarize_upload(engine, upload)
    with progress.section(0.4, 1.0, "analysing"):
        result = await engine.run(_analyze, summary)
    return {"filename": upload.filename, **result}
