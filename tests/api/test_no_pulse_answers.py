"""Noise over HTTP: the analysis says why it has no tempo, the accompaniment refuses it (422
no_beat), and the command "what tempo is this" says there is no pulse instead of a number."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

SR = 22050


def _noise_wav(seconds: float = 12.0) -> bytes:
    noise = 0.1 * np.random.default_rng(4).standard_normal(int(seconds * SR))
    buffer = io.BytesIO()
    sf.write(buffer, noise.astype(np.float32), SR, format="WAV")
    return buffer.getvalue()


def test_noise_gets_no_tempo_no_accompaniment_and_an_honest_answer(client: TestClient) -> None:
    audio = _noise_wav()
    analysed = client.post("/api/v1/analyze/audio", files={"file": ("noise.wav", audio, "audio/wav")})
    assert analysed.status_code == 200, analysed.text
    body = analysed.json()
    assert body["tempo"] is None and body["beats"] == 0 and body["time_signature"] is None and body["key"] is None
    assert any("no periodic pulse" in note for note in body["notes"]), body["notes"]

    refused = client.post("/api/v1/generate/accompaniment", files={"file": ("noise.wav", audio, "audio/wav")})
    assert refused.status_code == 422 and refused.json()["error"] == "no_beat", refused.text
    assert "no periodic pulse" in refused.text

    said = client.post(
        "/api/v1/command", data={"text": "what tempo is this?"}, files={"file": ("noise.wav", audio, "audio/wav")}
    )
    assert said.status_code == 200, said.text
    assert said.json()["params"] == {"question": "tempo"}
    assert said.json()["speech"] == "I can't hear a steady pulse in it."
