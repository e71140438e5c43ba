"""Audio analysis of one uploaded file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile

from ai.analysis.pipeline import analyze
from ai.audio.decode import SUPPORTED_FORMATS_TEXT, DecodedAudio, decode_audio
from api.deps import EngineDep, InputDep
from api.params import copy_upload, remove_quietly
from api.schemas import AnalysisResponse, ErrorBody
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
                            "description": f"The audio: {SUPPORTED_FORMATS_TEXT}.",
                        }
                    },
                }
            }
        },
    }
}


def _decode_and_analyze(upload: UploadFile, max_upload_bytes: int, max_duration_s: float) -> dict[str, Any]:
    """Copy the upload to a temporary file (never whole in memory), decode it from there, analyse."""
    path = copy_upload(upload, max_upload_bytes=max_upload_bytes)
    try:
        audio: DecodedAudio = decode_audio(path, name=upload.filename or "file", max_duration_s=max_duration_s)
    finally:
        remove_quietly(path)
    return analyze(audio).to_dict()


@router.post(
    "/audio",
    response_model=AnalysisResponse,
    responses={code: {"model": ErrorBody} for code in (413, 415, 422)},
    openapi_extra=_DOCS,
    summary="Tempo, beats, downbeats, meter, key, chords, loudness and spectral features of an audio file",
)
async def analyze_audio(engine: EngineDep, inp: InputDep) -> dict[str, Any]:
    upload = inp.file("file") or inp.file("audio")
    if upload is None:
        raise InvalidParameter("file", f"upload the audio as the multipart field 'file' ({SUPPORTED_FORMATS_TEXT})")
    settings = engine.settings
    result = await engine.run(_decode_and_analyze, upload, settings.max_upload_bytes, settings.max_audio_duration_s)
    return {"filename": upload.filename, **result}
