"""The transcription's tempo map before the first beat (ai.transcription.tempo_map.beat_grid): a first
downbeat just after 0 s starts the grid instead of a pickup bar squeezed into a few milliseconds."""

from __future__ import annotations

import io

import mido
import numpy as np
import pytest

from ai.transcription.tempo_map import MidiNote, beat_grid, midi_file


def _bpms(grid_bytes: bytes) -> list[float]:
    midi = mido.MidiFile(file=io.BytesIO(grid_bytes))
    return [mido.tempo2bpm(m.tempo) for m in midi.tracks[0] if m.type == "set_tempo"]


@pytest.mark.parametrize(("first_beat", "downbeats"), [(0.0307, "every 4th"), (0.0085, "none"), (0.05, "every 4th")])
def test_a_first_downbeat_just_after_zero_starts_the_grid(first_beat: float, downbeats: str) -> None:
    # A 31 ms pickup padded to a bar was 4 beats at 7800 BPM: Ableton clamps to 999 and the file runs late.
    beats = first_beat + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist() if downbeats == "every 4th" else [], "4/4")
    notes = [MidiNote(60, float(t) + 0.01, float(t) + 0.3, 90) for t in beats]
    data = midi_file(notes, grid)
    assert max(_bpms(data)) < 1000
    assert np.allclose(grid.to_ticks(beats[1:]) / grid.ticks_per_beat, np.arange(1, 12))  # downbeat bars kept
    played = []
    now = 0.0
    for message in mido.MidiFile(file=io.BytesIO(data)):
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            played.append(now)
    assert np.allclose(played, [n.start for n in notes], atol=0.002)  # notes keep their real times


def test_a_pickup_before_a_later_downbeat_is_kept() -> None:
    beats = 0.02 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[1::4].tolist(), "4/4")  # the first beat is a pickup: not moved to 0 s
    assert np.allclose(grid.to_seconds(grid.to_ticks(beats)), beats)
    # The pickup is a 1/4 measure of its own (no beats padded into 20 ms): the downbeat opens the first 4/4 bar.
    downbeat_tick = float(grid.to_ticks(beats[1:2])[0])
    assert grid.meters() == [(0, 1, 4), (grid.ticks_per_beat, 4, 4)] and downbeat_tick == grid.ticks_per_beat
    assert max(grid.bpm_at_beats()) < 1000


def test_a_long_pickup_is_a_lead_in_measure_at_the_first_tempo() -> None:
    """232 ms before a first downbeat was padded to a bar of 4 beats (1,034 BPM); now one beat of 232 ms joins
    at the first interval: a 1/4 measure at about the song's tempo, and the downbeat opens a 4/4 bar."""
    beats = 0.232 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist(), "4/4")
    assert grid.meters() == [(0, 1, 4), (grid.ticks_per_beat, 4, 4)]
    assert max(grid.bpm_at_beats()) < 300
    midi = mido.MidiFile(file=io.BytesIO(midi_file([MidiNote(60, 1.0, 1.2, 90)], grid)))
    meters = [(m.numerator, m.denominator) for m in midi.tracks[0] if m.type == "time_signature"]
    assert meters == [(1, 4), (4, 4)]
