"""A first beat found just after 0 s is where the MIDI files of /transcribe and /generate/accompaniment put it,
and the answers' beat times are the files'.

A first beat sooner than a quarter at 1000 BPM after 0 s was written at 0 s (23 ms early on a chorale, QA pass 32:
a DAW importing the file drew the recording's first beat before it sounds); it now has a lead-in 16th before it
where that 16th is at most 300 BPM (50 ms on); sooner, it starts the grid (no lead-in a DAW keeps fits), and the
JSON says 0 s as the file does (it said 0.0113 s while the file's first beat was at 0 s: QA pass 5a)."""

from __future__ import annotations

import base64
import io

import mido
import numpy as np
import pytest
from fastapi.testclient import TestClient

from ai.lead_in import SNAP_S
from tests.api.test_analysis import wav_bytes
from tests.api.test_transcription import STEADY_BPM, steady_song

FIRSTS = [0.011, 0.03, 0.08]


def _seconds_at(midi: mido.MidiFile, ticks: list[int]) -> list[float]:
    """The times (s) of ``ticks`` under the file's tempo map."""
    changes = sorted(
        (tick, message.tempo) for tick, message in _absolute(midi.tracks[0]) if message.type == "set_tempo"
    )
    out = []
    for target in ticks:
        now, tick, tempo = 0.0, 0, 500000
        for at, next_tempo in changes:
            if at >= target:
                break
            now += (at - tick) * tempo / 1e6 / midi.ticks_per_beat
            tick, tempo = at, next_tempo
        out.append(now + (target - tick) * tempo / 1e6 / midi.ticks_per_beat)
    return out


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    now, out = 0, []
    for message in track:
        now += message.time
        out.append((now, message))
    return out


def _beat_ticks(midi: mido.MidiFile, count: int) -> list[int]:
    """The ticks of the file's first ``count`` beats: from the end of its first measure when that is a lead-in
    16th (x/16), else from 0, a quarter apart (the recording is in 4/4)."""
    meters = [(tick, m) for tick, m in _absolute(midi.tracks[0]) if m.type == "time_signature"]
    lead = midi.ticks_per_beat // 4 if meters[0][1].denominator == 16 else 0
    return [lead + k * midi.ticks_per_beat for k in range(count)]


def _expected_first(first: float) -> float:
    return first if first >= SNAP_S else 0.0


@pytest.mark.parametrize("first", FIRSTS)
def test_transcribe_writes_the_first_beat_at_its_time(client: TestClient, first: float) -> None:
    y, _ = steady_song(first=first)
    response = client.post("/api/v1/transcribe", files={"file": ("steady.wav", wav_bytes(y), "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    beats = np.array(body["beat_times"][:8])
    assert abs(beats[0] - _expected_first(first)) < 0.006, beats  # the beat the grid follows is the recording's first
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    written = np.array(_seconds_at(midi, _beat_ticks(midi, len(beats))))
    assert np.max(np.abs(written - beats)) < 0.001, np.round((written - beats) * 1000, 1)  # the JSON's are the file's
    tempos = [60e6 / m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert min(tempos) >= 20 and max(tempos) <= 300 and max(body["tempo_map_bpm"]) <= 300  # none a DAW clamps


@pytest.mark.parametrize("first", FIRSTS)
def test_the_accompaniment_writes_the_first_beat_at_its_time(client: TestClient, first: float) -> None:
    y, _ = steady_song(first=first, beats=48)
    response = client.post(
        "/api/v1/generate/accompaniment",
        files={"file": ("steady.wav", wav_bytes(y), "audio/wav")},
        data={"model": "theory", "seed": "1", "parts": "bass"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    beats = np.array(body["analysis"]["beat_times"][:8])
    assert abs(beats[0] - _expected_first(first)) < 0.006, beats
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    written = np.array(_seconds_at(midi, _beat_ticks(midi, len(beats))))
    assert np.max(np.abs(written - beats)) < 0.001, np.round((written - beats) * 1000, 1)
    assert 60.0 / (STEADY_BPM * 1.01) < np.median(np.diff(written)) < 60.0 / (STEADY_BPM * 0.99)
