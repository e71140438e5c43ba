"""The transcription's tempo map before the first beat (ai.transcription.tempo_map.beat_grid): a first
downbeat just after 0 s gets a lead-in 16th, not a pickup bar squeezed into a few milliseconds, nor a move to 0 s."""

from __future__ import annotations

import io
from fractions import Fraction

import mido
import numpy as np
import pytest

from ai.transcription.tempo_map import MidiNote, beat_grid, midi_file, quantize_times


def _bpms(grid_bytes: bytes) -> list[float]:
    midi = mido.MidiFile(file=io.BytesIO(grid_bytes))
    return [mido.tempo2bpm(m.tempo) for m in midi.tracks[0] if m.type == "set_tempo"]


@pytest.mark.parametrize(("first_beat", "downbeats"), [(0.0307, "every 4th"), (0.05, "every 4th"), (0.023, "none")])
def test_a_first_beat_just_after_zero_has_a_lead_in_sixteenth(first_beat: float, downbeats: str) -> None:
    # A 31 ms pickup padded to a bar was 4 beats at 7800 BPM: Ableton clamps to 999 and the file runs late. A beat
    # of 31 ms is 1950 BPM: the first beat was moved to 0 s instead, 31 ms early. A 16th of 31 ms is 484 BPM.
    beats = first_beat + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist() if downbeats == "every 4th" else [], "4/4")
    notes = [MidiNote(60, float(t) + 0.01, float(t) + 0.3, 90) for t in beats]
    data = midi_file(notes, grid)
    assert max(_bpms(data)) < 1000
    sixteenth = grid.ticks_per_beat // 4
    assert np.allclose(grid.to_ticks(beats), sixteenth + grid.ticks_per_beat * np.arange(12))  # every beat on time
    assert grid.meters()[0] == (0, 1, 16) and grid.meters()[1][0] == sixteenth  # the downbeat opens bar 2
    played = []
    now = 0.0
    for message in mido.MidiFile(file=io.BytesIO(data)):
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            played.append(now)
    assert np.allclose(played, [n.start for n in notes], atol=0.002)  # notes keep their real times


def test_a_first_beat_within_a_sixteenth_at_1000_bpm_starts_the_grid() -> None:
    beats = 0.0085 + 0.5 * np.arange(12)  # a 16th of 8.5 ms would be 1760 BPM
    grid = beat_grid(beats.tolist(), beats[::4].tolist(), "4/4")
    assert np.allclose(grid.to_ticks(beats[1:]) / grid.ticks_per_beat, np.arange(1, 12))
    assert grid.meters() == [(0, 4, 4)] and max(grid.bpm_at_beats()) < 1000


def test_quantize_counts_its_grid_from_the_first_beat_after_a_lead_in_sixteenth() -> None:
    beats = 0.03 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist(), "4/4")
    starts, _ = quantize_times(grid, beats[:4] + 0.04, beats[:4] + 0.2, Fraction(1, 8))
    assert np.allclose(starts, beats[:4])  # on the beats, not a 16th off them


def test_a_pickup_before_a_later_downbeat_is_kept() -> None:
    beats = 0.02 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[1::4].tolist(), "4/4")  # the first beat is a pickup, at its time
    assert np.allclose(grid.to_seconds(grid.to_ticks(beats)), beats)
    # The lead-in 16th and the pickup are a 5/16 measure of their own: the downbeat opens the first 4/4 bar.
    sixteenth = grid.ticks_per_beat // 4
    downbeat_tick = float(grid.to_ticks(beats[1:2])[0])
    assert grid.meters() == [(0, 5, 16), (sixteenth + grid.ticks_per_beat, 4, 4)]
    assert downbeat_tick == sixteenth + grid.ticks_per_beat
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
