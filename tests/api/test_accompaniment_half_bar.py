"""/api/v1/generate/accompaniment over chords that change every two beats: the bass meets both chords of a bar."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.music_theory import parse_chord

SR = 22050
TRIADS = {"C": (261.63, 329.63, 392.0), "G": (196.0, 246.94, 293.66), "Am": (220.0, 261.63, 329.63),
          "F": (174.61, 220.0, 261.63), "Dm": (146.83, 174.61, 220.0), "E": (164.81, 207.65, 246.94),
          "A": (220.0, 277.18, 329.63)}  # fmt: skip
HALF_BARS = ("C", "G", "Dm", "G", "F", "C", "E", "A")
"""Two chords a bar, every two beats (C G | Dm G | F C | E A): each shares at most one tone with the next."""
WHOLE_BARS = ("C", "Am", "F", "G")


def chord_song(chords: tuple[str, ...], beats_per_chord: int, *, bars: int = 12, bpm: float = 110.0) -> bytes:
    """Kicks on every beat (accented downbeats) under sustained triads with their root an octave below, each chord
    ``beats_per_chord`` beats long, cycling through ``chords``."""
    beat = 60.0 / bpm
    lead = 0.3
    n_beats = bars * 4
    n = int((lead + (n_beats + 1) * beat) * SR)
    y = np.zeros(n)
    t = np.arange(int(0.12 * SR)) / SR
    kick = np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30)
    tt = np.arange(n) / SR
    for i in range(n_beats):
        s = int((lead + i * beat) * SR)
        y[s : s + len(kick)] += (0.5 if i % 4 == 0 else 0.3) * kick[: n - s]
    for k in range(n_beats // beats_per_chord):
        a = int((lead + k * beats_per_chord * beat) * SR)
        e = int((lead + (k + 1) * beats_per_chord * beat) * SR)
        freqs = TRIADS[chords[k % len(chords)]]
        for f in (*freqs, freqs[0] / 2):
            for h in range(1, 4):
                y[a:e] += 0.08 / h * np.sin(2 * np.pi * f * h * tt[a:e])
    buffer = io.BytesIO()
    sf.write(buffer, y.astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def accompany(client: TestClient, wav: bytes, model: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/generate/accompaniment",
        files={"file": ("song.wav", wav, "audio/wav")},
        data={"parts": "bass,pad", "seed": "3", "model": model},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def roots_on_changes(body: dict[str, Any]) -> tuple[int, int]:
    """(chord changes where the lowest bass note starting there, within 20 ms, is the heard chord's root, changes):
    every bar line and every half-bar change of the answer's ``bar_chords``."""
    changes = []
    for bar in body["analysis"]["bar_chords"]:
        changes.append((bar["start"], bar["chord"]))
        changes += [(change["start"], change["chord"]) for change in bar.get("changes", [])]
    bass = body["notes"]["bass"]
    right = 0
    for start, chord in changes:
        struck = [n["pitch"] for n in bass if abs(n["start"] - start) <= 0.02]
        right += bool(struck) and min(struck) % 12 == parse_chord(chord).bass_pitch_class
    return right, len(changes)


@pytest.mark.parametrize("model", ["theory"])
def test_chords_every_two_beats_get_a_bass_on_both_roots(client: TestClient, model: str) -> None:
    body = accompany(client, chord_song(HALF_BARS, 2), model)
    bars = body["analysis"]["bar_chords"]
    split = [bar for bar in bars if bar.get("changes")]
    assert len(split) >= 0.75 * len(bars), bars
    for bar in split:
        (change,) = bar["changes"]
        assert change["beat"] == 3 and change["start"] > bar["start"]
    heard = [(parse_chord(b["chord"]).root, parse_chord(b["changes"][0]["chord"]).root) for b in split]
    # Consecutive chords of the song (its bar lines may fall on either chord: the analysis's downbeats).
    expected = {
        (parse_chord(a).root, parse_chord(b).root)
        for a, b in zip(HALF_BARS, HALF_BARS[1:] + HALF_BARS[:1], strict=True)
    }
    assert sum(pair in expected for pair in heard) >= 0.75 * len(heard), heard
    right, changes = roots_on_changes(body)
    assert right >= 0.9 * changes, (right, changes)
    # The pad changes chord at the middle of the bar too: a note of the second chord starts there.
    pad = body["notes"]["pad"]
    for bar in split:
        change = bar["changes"][0]
        tones = set(parse_chord(change["chord"]).pitch_classes)
        assert {n["pitch"] % 12 for n in pad if abs(n["start"] - change["start"]) < 0.02} == tones


def test_one_chord_a_bar_is_not_split(client: TestClient) -> None:
    body = accompany(client, chord_song(WHOLE_BARS, 4), "theory")
    bars = body["analysis"]["bar_chords"]
    assert not [bar for bar in bars if "changes" in bar], bars
    right, changes = roots_on_changes(body)
    assert right >= 0.9 * changes
