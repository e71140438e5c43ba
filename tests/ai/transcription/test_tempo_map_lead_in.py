"""The transcription's tempo map before the first beat (ai.transcription.tempo_map.beat_grid): a first
downbeat just after 0 s gets a lead-in 16th, not a pickup bar squeezed into a few milliseconds, nor a move to 0 s;
every tempo written stays within 20..300 BPM, which DAWs keep (Cubase clamps at 300)."""

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


@pytest.mark.parametrize(
    ("first_beat", "downbeats"), [(0.0507, "every 4th"), (0.12, "every 4th"), (0.199, "every 4th"), (0.07, "none")]
)
def test_a_first_beat_just_after_zero_has_a_lead_in_sixteenth(first_beat: float, downbeats: str) -> None:
    # A 51 ms pickup padded to a bar was 4 beats at 4700 BPM: Ableton clamps to 999 and the file runs late. A 16th of
    # 51 ms is 294 BPM; a lead-in beat of 120 ms (500 BPM, written until session 36) is a 16th at 125 BPM.
    beats = first_beat + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist() if downbeats == "every 4th" else [], "4/4")
    notes = [MidiNote(60, float(t) + 0.01, float(t) + 0.3, 90) for t in beats]
    data = midi_file(notes, grid)
    assert min(_bpms(data)) >= 20 and max(_bpms(data)) <= 300
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


@pytest.mark.parametrize("first_beat", [0.0085, 0.0307, 0.049])
def test_a_first_beat_within_a_sixteenth_at_300_bpm_starts_the_grid(first_beat: float) -> None:
    # A 16th of 31 ms is 484 BPM (written until session 36: Cubase clamps it to 300 and the file ran 19 ms late);
    # a shorter note value would be a meter (x/32, x/64) DAWs do not all take. The first beat line is at 0 s.
    beats = first_beat + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist(), "4/4")
    assert np.allclose(grid.to_ticks(beats[1:]) / grid.ticks_per_beat, np.arange(1, 12))
    assert grid.meters() == [(0, 4, 4)] and max(grid.bpm_at_beats()) <= 300


@pytest.mark.parametrize("time_signature", ["4/4", "3/4", "6/8", "7/8", "2/2"])
def test_every_tempo_written_is_one_daws_keep(time_signature: str) -> None:
    # First beats from 0 to 1.5 s after the start, beats at 60-240 quarter BPM: no tempo outside 20..300 BPM, and
    # every beat after a first one past 50 ms on its grid line.
    top, bottom = (int(part) for part in time_signature.split("/"))
    quarters_per_beat = 1.5 if bottom == 8 and top % 3 == 0 else 4 / bottom
    for interval in (0.25 * quarters_per_beat, 0.5 * quarters_per_beat, 1.0 * quarters_per_beat):
        for first_beat in np.arange(0.0, 1.5, 0.0037):
            beats = first_beat + interval * np.arange(12)
            grid = beat_grid(beats.tolist(), beats[::2].tolist(), time_signature)
            bpms = _bpms(midi_file([MidiNote(60, 1.0, 1.2, 90)], grid))
            assert min(bpms) >= 20 and max(bpms) <= 300, (first_beat, interval, bpms)
            kept = beats if first_beat >= 0.05 else beats[1:]
            assert np.allclose(grid.to_seconds(np.round(grid.to_ticks(kept))), kept, atol=1e-3)


def test_quantize_counts_its_grid_from_the_first_beat_after_a_lead_in_sixteenth() -> None:
    beats = 0.07 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[::4].tolist(), "4/4")
    starts, _ = quantize_times(grid, beats[:4] + 0.04, beats[:4] + 0.2, Fraction(1, 8))
    assert np.allclose(starts, beats[:4])  # on the beats, not a 16th off them


def test_a_pickup_before_a_later_downbeat_is_kept() -> None:
    beats = 0.07 + 0.5 * np.arange(12)
    grid = beat_grid(beats.tolist(), beats[1::4].tolist(), "4/4")  # the first beat is a pickup, at its time
    assert np.allclose(grid.to_seconds(grid.to_ticks(beats)), beats)
    # The lead-in 16th and the pickup are a 5/16 measure of their own: the downbeat opens the first 4/4 bar.
    sixteenth = grid.ticks_per_beat // 4
    downbeat_tick = float(grid.to_ticks(beats[1:2])[0])
    assert grid.meters() == [(0, 5, 16), (sixteenth + grid.ticks_per_beat, 4, 4)]
    assert downbeat_tick == sixteenth + grid.ticks_per_beat
    assert max(grid.bpm_at_beats()) <= 300


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
