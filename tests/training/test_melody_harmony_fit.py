"""Fitting the melody harmoniser: chord names from the chord tracks, the split, the counts, the shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from ai.generation.melody_harmony import CLASSES, MODEL_PATH, load_model
from training.melody_harmony import Tune, chord_at, chord_of, fit_transitions, is_held_out, load_tune, state_of


def test_chord_names_from_the_notes() -> None:
    assert chord_of({43, 47, 50}) == (7, "")  # G B D
    assert chord_of({45, 48, 52}) == (9, "m")  # A C E
    assert chord_of({38, 42, 45, 48}) == (2, "7")  # D F# A C
    assert chord_of({40, 43, 48}) == (0, "")  # C in first inversion: root C, not E
    assert chord_of(set()) is None


def test_the_split_is_fixed_and_a_third() -> None:
    names = [f"reels{i}" for i in range(600)]
    held = [n for n in names if is_held_out(n)]
    assert held == [n for n in names if is_held_out(n)]
    assert 0.28 < len(held) / len(names) < 0.39


def test_transitions_count_degrees_above_the_signature() -> None:
    """G D G in G major and C G C in C major are the same moves: I V I."""
    tunes = [
        Tune("a", 7, np.arange(3.0), [(7, ""), (2, ""), (7, "")], [], 3.0),
        Tune("b", 0, np.arange(4.0), [None, (0, ""), (7, "7"), (0, "")], [], 4.0),
    ]
    initial, moves = fit_transitions(tunes)
    one, five, five7 = state_of((0, ""), 0), state_of((7, ""), 0), state_of((7, "7"), 0)
    assert initial[one] == 2 and initial.sum() == 2
    assert moves[one, five] == 1 and moves[five, one] == 1 and moves[one, five7] == 1 and moves[five7, one] == 1
    assert moves.sum() == 4


def test_a_chord_track_read_at_its_downbeats(tmp_path: Path) -> None:
    """A 4/4 chord track at 120 bpm: G for a bar, then D7 for half a bar and C: the downbeats' chords."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    pm.key_signature_changes.append(pretty_midi.KeySignature(7, 0.0))
    track = pretty_midi.Instrument(0)
    for start, end, pitches in ((0.0, 2.0, (43, 47, 50)), (2.0, 3.0, (38, 42, 45, 48)), (3.0, 6.0, (48, 52, 55))):
        track.notes += [pretty_midi.Note(90, p, start, end) for p in pitches]
    pm.instruments.append(track)
    (tmp_path / "MIDI" / "chords").mkdir(parents=True)
    pm.write(str(tmp_path / "MIDI" / "chords" / "tune1.mid"))
    tune = load_tune("tune1", tmp_path)
    assert tune.signature == 7
    assert tune.chords[:3] == [(7, ""), (2, "7"), (0, "")]
    assert chord_at(tune.chord_times, 3.5) == (0, "") and chord_at(tune.chord_times, 7.0) is None
    slower = load_tune("tune1", tmp_path, stretch=1.5)  # re-timed to 80 quarter notes a minute
    assert np.allclose(slower.bar_starts[:3], 1.5 * np.asarray(tune.bar_starts[:3]))
    assert slower.chords[:3] == tune.chords[:3] and slower.end == pytest.approx(1.5 * tune.end)
    assert chord_at(slower.chord_times, 4.4) == (2, "7") and chord_at(slower.chord_times, 4.6) == (0, "")


def test_the_shipped_model_has_the_harmonisers_states() -> None:
    model = load_model(MODEL_PATH)
    n = 12 * len(CLASSES)
    assert model.log_transition.shape == (n, n) and model.log_profiles.shape == (len(CLASSES), 12)
    assert np.allclose(np.exp(model.log_transition).sum(axis=1), 1.0)
    tonic, fifth = state_of((0, ""), 0), state_of((7, ""), 0)
    assert model.log_transition[tonic].argmax() in (tonic, fifth)  # folk tunes stay on I or go to V
    assert np.argmax(model.log_profiles[CLASSES.index("min")][[3, 4]]) == 0  # a minor bar has its minor third
