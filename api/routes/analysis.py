"""Audio analysis of one uploaded file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ai.analysis.pipeline import analyze
from ai.audio.decode import SUPPORTED_FORMATS_TEXT, DecodedAudio, decode_audio
from api.deps import EngineDep, InputDep
from api.params import read_upload
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


def _decode_and_analyze(data: bytes, name: str, max_duration_s: float) -> dict[str, Any]:
    audio: DecodedAudio = decode_audio(data, name=name, max_duration_s=max_duration_s)
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
    data = await read_upload(upload, max_upload_bytes=engine.settings.max_upload_bytes)
    name = upload.filename or "file"
    result = await engine.run(_decode_and_analyze, data, name, engine.settings.max_audio_duration_s)
    return {"filename": upload.filename, **result}
