"""The accompaniment's lead-in before the first beat (ai.generation.accompaniment.build_grid): never a
tempo a DAW clamps (outside 20..300 BPM: Cubase clamps at 300), however soon after 0 s the recording's first beat
comes, and the first beat at its time from a 16th at 300 BPM (50 ms) on."""

from __future__ import annotations

import io

import mido
import numpy as np
import pytest

from ai.generation.accompaniment import build_grid, write_midi


def _bpms(first_beat: float, interval: float, time_signature: str = "4/4") -> list[float]:
    beats = first_beat + interval * np.arange(16)
    grid = build_grid(beats, [beats[0]], time_signature, float(beats[-1]))
    midi = mido.MidiFile(file=io.BytesIO(write_midi(grid, {"bass": []})))
    return [mido.tempo2bpm(m.tempo) for m in midi.tracks[0] if m.type == "set_tempo"]


@pytest.mark.parametrize("first_beat", [0.051, 0.1, 0.19])
def test_a_first_beat_just_after_zero_has_a_lead_in_sixteenth(first_beat: float) -> None:
    # A lead-in beat of 100 ms is a 600 BPM tempo (written until session 36): Cubase clamps it to 300 and the song
    # comes 100 ms late. A 16th of 100 ms is 150 BPM, and the beat sounds where it is.
    bpms = _bpms(first_beat, 0.5)
    assert max(bpms) <= 300
    assert bpms[0] == pytest.approx(60 / (4 * first_beat), rel=1e-3) and bpms[1] == pytest.approx(120.0, rel=1e-3)
    beats = first_beat + 0.5 * np.arange(16)
    grid = build_grid(beats, [beats[0]], "4/4", float(beats[-1]))
    midi = mido.MidiFile(file=io.BytesIO(write_midi(grid, {"bass": []})))
    meters = [(m.numerator, m.denominator) for m in midi.tracks[0] if m.type == "time_signature"]
    assert grid.lead_in_ticks == 120 and grid.times[0] == first_beat and meters == [(1, 16), (4, 4)]


@pytest.mark.parametrize("first_beat", [0.0085, 0.03, 0.049])
def test_a_first_beat_within_a_sixteenth_at_300_bpm_starts_the_grid(first_beat: float) -> None:
    bpms = _bpms(first_beat, 0.5)  # a 16th of 30 ms would be 500 BPM (written until session 36)
    assert max(bpms) <= 300
    assert bpms[0] == pytest.approx(60 / (0.5 + first_beat), rel=1e-3)  # the first beat takes in the sliver


def test_a_short_remainder_of_a_lead_in_joins_the_earliest_beat() -> None:
    # 300 BPM beats: a remainder of 0.25 beat (50 ms) would be a lead-in beat at 1200 BPM.
    assert max(_bpms(0.2 + 0.05, 0.2)) <= 300
    assert max(_bpms(0.0085, 0.4, "6/8")) <= 300


def test_every_tempo_written_is_one_daws_keep() -> None:
    for interval in (0.25, 0.5, 1.0):
        for first_beat in np.arange(0.0, 1.5, 0.0113):
            bpms = _bpms(float(first_beat), interval)
            assert min(bpms) >= 20 and max(bpms) <= 300, (first_beat, interval)


def test_a_real_pickup_keeps_its_own_beat() -> None:
    bpms = _bpms(0.3, 0.5)
    assert bpms[0] == pytest.approx(200.0, rel=1e-3) and bpms[1] == pytest.approx(120.0, rel=1e-3)
