"""/transcribe?instrument=melody: a sung line (vibrato, each note ringing into the next as in a room) as one note at a
time, where the polyphonic answer restarts notes on their vibrato and overlaps them (losing their bends)."""

from __future__ import annotations

import base64
import io
import itertools

import mido
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

SR = 22050
PITCHES = [67, 69, 71, 72, 74, 72, 71, 69]
NOTE_S = 0.5
FIRST_S = 0.3


def sung_line() -> bytes:
    y = np.zeros(int(SR * (FIRST_S + NOTE_S * len(PITCHES) + 1.0)))
    for i, pitch in enumerate(PITCHES):
        start, n = int(SR * (FIRST_S + NOTE_S * i)), int(SR * 0.9)  # each rings 0.4 s into the next
        t = np.arange(n) / SR
        vibrato = 2 ** (0.3 / 12 * np.sin(2 * np.pi * 5.5 * t) * (t > 0.12))
        phase = 2 * np.pi * np.cumsum(440.0 * 2 ** ((pitch - 69) / 12) * vibrato) / SR
        envelope = np.minimum(1.0, t / 0.03) * np.where(t < NOTE_S, 1.0, np.exp(-(t - NOTE_S) * 8))
        tone = sum(np.sin(h * phase) / h**1.2 for h in range(1, 7)) * envelope
        y[start : start + n] += 0.2 * tone[: y.size - start]
    buffer = io.BytesIO()
    sf.write(buffer, y.astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def line_wav() -> bytes:
    return sung_line()


def test_a_sung_line_is_one_note_at_a_time_with_its_bends(client: TestClient, line_wav: bytes) -> None:
    response = client.post(
        "/api/v1/transcribe", data={"instrument": "melody"}, files={"file": ("line.wav", line_wav, "audio/wav")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    notes = body["notes"]
    assert body["instrument"] == "melody"
    assert [n["pitch"] for n in notes] == PITCHES, notes  # no vibrato restart, no note ringing on under the next
    for i, note in enumerate(notes):
        assert abs(note["start"] - (FIRST_S + NOTE_S * i)) <= 0.05, note
    assert all(b["start"] >= a["end"] - 1e-6 for a, b in itertools.pairwise(notes))
    assert all(n["pitch_bends"] for n in notes)  # one line on one channel: its vibrato is kept as bends
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    sounding = 0
    for message in (m for track in midi.tracks for m in track):
        if message.type == "note_on" and message.velocity > 0:
            sounding += 1
            assert sounding == 1, "two notes at once in a melody's file"
        elif message.type in ("note_off", "note_on"):
            sounding -= 1


def test_the_polyphonic_answer_of_the_same_line_is_not_one_line(client: TestClient, line_wav: bytes) -> None:
    """What instrument=melody is for: the same recording as pitched notes restarts and overlaps them."""
    response = client.post("/api/v1/transcribe", files={"file": ("line.wav", line_wav, "audio/wav")})
    assert response.status_code == 200, response.text
    notes = response.json()["notes"]
    overlapping = sum(1 for a, b in itertools.pairwise(notes) if b["start"] < a["end"] - 1e-6)
    assert len(notes) > len(PITCHES) or overlapping > 0


def test_melody_is_in_the_docs(client: TestClient) -> None:
    text = str(client.get("/openapi.json").json()["paths"]["/api/v1/transcribe"]["post"])
    assert "melody: one note at a time" in text
