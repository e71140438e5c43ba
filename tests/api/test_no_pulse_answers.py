"""Noise over HTTP: the analysis says why it has no tempo, the accompaniment refuses it (422
no_beat), and the command "what tempo is this" says there is no pulse instead of a number."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

from ai.analysis.rhythm.core import HELD_CHORD
from tests.support.non_music import organ_chord

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


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples.astype(np.float32), SR, format="WAV")
    return buffer.getvalue()


def test_accompany_this_without_a_beat_says_why_in_plain_words(client: TestClient) -> None:
    """Jarvis read out "I couldn't do that: the recording has no beat to follow (integrated loudness is undefined
    (the audio is silent or shorter than one 400 ms block); the audio is silent: ...)" for "accompany this" on
    silence; now the spoken text says what happened and what to try, and the detail keeps the analysis's notes."""
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(int(1.0 * SR)) / SR)
    cases = {
        "silence.wav": (np.zeros(SR * 5), "Your recording is silent, so there's nothing for me to play along with."),
        "short.wav": (tone, "Your recording is too short for me to find its beat."),
        "noise.wav": (
            0.1 * np.random.default_rng(4).standard_normal(12 * SR),
            "I can't hear a steady beat in your recording, so I can't play along with it.",
        ),
    }
    for name, (samples, said) in cases.items():
        upload = {"file": (name, _wav(samples), "audio/wav")}
        answer = client.post("/api/v1/command", data={"text": "accompany this"}, files=upload)
        assert answer.status_code == 422 and answer.json()["error"] == "no_beat", answer.text
        assert answer.json()["speech"].startswith(said), (name, answer.json()["speech"])
        assert "loudness" not in answer.json()["speech"] and "(" not in answer.json()["speech"]
        assert answer.json()["detail"].startswith("the recording has no beat to follow (")  # the notes stay here


def test_a_held_organ_chord_is_analysed_without_a_tempo_and_not_accompanied(client: TestClient) -> None:
    """A held organ chord got 52.1 BPM at confidence 0.195 and the accompaniment played along at 52 BPM (QA pass 7):
    one chord held throughout has no pulse, the analysis says so, and the accompaniment refuses it (no_beat)."""
    audio = _wav(organ_chord(np.random.default_rng(0), 20.0, SR))
    analysed = client.post("/api/v1/analyze/audio", files={"file": ("organ.wav", audio, "audio/wav")})
    assert analysed.status_code == 200, analysed.text
    body = analysed.json()
    assert body["tempo"] is None and body["beats"] == 0 and body["key"] == "A minor"
    assert f"{HELD_CHORD}: no tempo, beats or meter" in body["notes"], body["notes"]
    refused = client.post("/api/v1/generate/accompaniment", files={"file": ("organ.wav", audio, "audio/wav")})
    assert refused.status_code == 422 and refused.json()["error"] == "no_beat", refused.text
    assert "one chord held" in refused.json()["detail"]
