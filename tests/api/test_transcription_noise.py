"""/api/v1/transcribe of noise: no notes and no hits, and the answer says why.

The pitched model read 2-8 notes in white noise (at -12 and at -70 dBFS), the drum network 28-64 hits in its steady
hiss (it reads the signal scaled to its own level), and instrument=auto wrote them down as "a melody, one line"
(QA pass 7). The analysis had said "no periodic pulse and no pitched notes (noise or random clicks)" all along."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.test_drums_only_answers import _wav

TRANSCRIBE = "/api/v1/transcribe"
SR = 22050


def _noise(level_dbfs: float, seconds: float = 20.0) -> bytes:
    noise = 10 ** (level_dbfs / 20) * np.random.default_rng(7).standard_normal(int(seconds * SR))
    return _wav(noise)


def _bursts(seconds: float = 20.0) -> np.ndarray:
    """Noise bursts at random (Poisson) times: random clicks, struck, not a steady hiss."""
    rng = np.random.default_rng(3)
    y = np.zeros(int(seconds * SR))
    at = 0.3
    while at < seconds - 0.5:
        i, n = int(at * SR), int(0.08 * SR)
        y[i : i + n] += 0.5 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.015 * SR))
        at += float(rng.exponential(0.6))
    return y


@pytest.mark.parametrize("level_dbfs", [-12.0, -70.0])
@pytest.mark.parametrize("instrument", ["pitched", "melody", "drums", "auto"])
def test_noise_transcribes_to_no_notes_and_says_why(client: TestClient, instrument: str, level_dbfs: float) -> None:
    answer = client.post(
        TRANSCRIBE, data={"instrument": instrument}, files={"file": ("hiss.wav", _noise(level_dbfs), "audio/wav")}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["notes"] == [], (instrument, level_dbfs, body["notes"][:5])
    assert body["notes_note"].startswith("the recording has no periodic pulse and no pitched notes"), body
    if instrument == "auto":
        assert "melody" not in str(body["instrument_note"]), body["instrument_note"]


def test_the_midi_answer_says_why_in_a_header(client: TestClient) -> None:
    answer = client.post(
        TRANSCRIBE,
        data={"instrument": "drums", "format": "midi"},
        files={"file": ("hiss.wav", _noise(-12.0), "audio/wav")},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Notes"] == "0"
    assert answer.headers["X-Notes-Note"].startswith("the recording has no periodic pulse"), answer.headers
    assert "hits the model read in it are left out" in answer.headers["X-Notes-Note"]


def test_random_clicks_keep_their_drum_hits(client: TestClient) -> None:
    answer = client.post(
        TRANSCRIBE, data={"instrument": "drums"}, files={"file": ("clicks.wav", _wav(_bursts()), "audio/wav")}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["notes"]) >= 5 and body["notes_note"] is None, (len(body["notes"]), body["notes_note"])
