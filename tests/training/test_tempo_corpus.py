"""training.tempo_corpus's drumless songs: which songs, and what is left of their arrangement."""

from __future__ import annotations

import pretty_midi
import pytest

from training.tempo_corpus import is_drumless, strip_rhythm_section


def _arrangement(*parts: tuple[int, bool]) -> pretty_midi.PrettyMIDI:
    """A one-bar arrangement with one note in each (program, is_drum) part."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    for program, drum in parts:
        instrument = pretty_midi.Instrument(program=program, is_drum=drum)
        instrument.notes.append(pretty_midi.Note(velocity=90, pitch=40 if drum else 60, start=0.0, end=0.5))
        pm.instruments.append(instrument)
    return pm


def test_drumless_share_is_about_the_share_asked_and_reproducible() -> None:
    picks = [is_drumless(i, 0.33, seed=5) for i in range(900)]
    assert 0.28 < sum(picks) / len(picks) < 0.38
    assert picks == [is_drumless(i, 0.33, seed=5) for i in range(900)]
    assert picks != [is_drumless(i, 0.33, seed=6) for i in range(900)]
    assert not any(is_drumless(i, 0.0, seed=5) for i in range(100))
    assert all(is_drumless(i, 1.0, seed=5) for i in range(100))
    with pytest.raises(ValueError):
        is_drumless(0, 1.5, seed=5)


def test_strip_removes_drums_and_basses_only() -> None:
    pm = _arrangement((0, True), (33, False), (39, False), (0, False), (26, False), (40, False))
    assert strip_rhythm_section(pm)
    assert [(i.program, i.is_drum) for i in pm.instruments] == [(0, False), (26, False), (40, False)]


def test_a_rhythm_section_alone_is_kept_whole() -> None:
    pm = _arrangement((0, True), (32, False))
    assert not strip_rhythm_section(pm)
    assert len(pm.instruments) == 2
