"""A drum loop over HTTP: the analysis answers no key or chords and says why; "what key is this?" says it is drums."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

from ai.analysis.drums_only import NOTE
from tests.ai.analysis.synth import drum_kit

SR = 44100


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_a_drum_loop_gets_no_key_or_chords_and_an_honest_answer(client: TestClient) -> None:
    audio = _wav(drum_kit(sr=SR))
    analysed = client.post("/api/v1/analyze/audio", files={"file": ("loop.wav", audio, "audio/wav")})
    assert analysed.status_code == 200, analysed.text
    body = analysed.json()
    assert body["key"] is None and body["chords"] == [] and NOTE in body["notes"], body
    assert body["tempo"] is not None and body["beats"] > 0

    for question, text in (("key", "what key is this?"), ("chords", "what are the chords?")):
        said = client.post("/api/v1/command", data={"text": text}, files={"file": ("loop.wav", audio, "audio/wav")})
        assert said.status_code == 200, said.text
        assert said.json()["params"] == {"question": question}
        assert said.json()["speech"] == "It's only drums and percussion: there's no key or chords to hear."


def test_the_model_is_listed_with_the_file_used(client: TestClient) -> None:
    listed = client.get("/api/v1/models")
    assert listed.status_code == 200, listed.text
    entry = next(m for m in listed.json()["analysis"] if m["name"] == "drums_only")
    assert entry["loaded"] is True and entry["path"].endswith("models/drums_only.json"), entry
