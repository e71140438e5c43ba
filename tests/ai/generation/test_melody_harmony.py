"""The melody harmoniser: chords for a melody alone, and telling a melody alone from music with harmony."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.generation.accompaniment import harmony_source, parse_harmony
from ai.generation.bar_harmony import chroma_frames, span_chroma
from ai.generation.melody_harmony import MAX_PITCHES, describe_model, harmonise, is_melody, load_model, pitch_count
from ai.model_files import use_folder
from ai.music_theory import parse_key
from utils.errors import InvalidParameter, ModelUnavailable

SR = 22050
LEAK = {0: 1.0, 7: 0.35, 4: 0.15}
"""A sung note's chroma: its own pitch class and the 3rd and 5th harmonics' (the fifth and major third)."""


def melody_bar(notes: list[int]) -> np.ndarray:
    """The bar chroma of a line through ``notes`` (pitch classes, equal lengths), harmonics leaking."""
    row = np.zeros(12)
    for pc in notes:
        for step, level in LEAK.items():
            row[(pc + step) % 12] += level
    return row / len(notes)


def outline(roots: list[tuple[int, bool]], shift: int = 0) -> np.ndarray:
    """Bars of a melody that walks through each chord's tones (root, third, fifth, third), with a passing tone."""
    bars = []
    for root, minor in roots:
        third = 3 if minor else 4
        tones = [root, root + third, root + 7, root + third, root + 7, root, root + 2]
        bars.append(melody_bar([(t + shift) % 12 for t in tones]))
    return np.stack(bars)


@pytest.mark.parametrize("shift", [0, 3, 7, 10])
def test_a_melody_outlining_i_iv_v_i_gets_those_roots_in_any_key(shift: int) -> None:
    roots = [(0, False), (5, False), (7, False), (0, False)] * 2
    chords = harmonise(outline(roots, shift))
    assert [c.root for c in chords] == [(r + shift) % 12 for r, _ in roots]
    assert [c.quality for c in chords][:3] == ["", "", ""] or chords[2].quality == "7"


def test_a_minor_tune_gets_minor_tonic_chords() -> None:
    roots = [(9, True), (2, True), (4, False), (9, True)]  # Am Dm E Am: i iv V i in A minor
    chords = harmonise(outline(roots), parse_key("A minor"))
    assert [c.root for c in chords] == [9, 2, 4, 9]
    assert chords[0].quality == "m" and chords[-1].quality == "m" and chords[2].quality in ("", "7")


def test_silent_bars_follow_the_progression_and_no_bars_give_nothing() -> None:
    bars = outline([(0, False), (7, False), (0, False)])
    bars = np.vstack([bars[:1], np.zeros((1, 12)), bars[1:]])
    assert len(harmonise(bars)) == 4
    assert harmonise(np.zeros((0, 12))) == []


def tone(freqs: list[float], seconds: float = 4.0) -> np.ndarray:
    """Harmonic tones (five partials, 1/k) at ``freqs`` sounding together, re-struck every half second."""
    t = np.arange(int(seconds * SR)) / SR
    envelope = np.exp(-3.0 * (t % 0.5))
    y = sum(sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6)) for f in freqs)
    return (0.1 * envelope * y).astype(np.float32)


def test_one_note_at_a_time_is_a_melody_and_a_chord_is_not() -> None:
    line = np.concatenate([tone([f]) for f in (261.63, 329.63, 392.0, 440.0)])
    chord = np.concatenate([tone([261.63, 329.63, 392.0]), tone([220.0, 261.63, 329.63])])
    assert pitch_count(chroma_frames(line, SR)) < MAX_PITCHES - 0.5
    assert pitch_count(chroma_frames(chord, SR)) > MAX_PITCHES + 0.3
    assert is_melody(chroma_frames(line, SR)) and not is_melody(chroma_frames(chord, SR))
    assert pitch_count(np.zeros((12, 40))) == 0.0 and not is_melody(np.zeros((12, 40)))  # silence is no melody


def test_the_harmony_source_option() -> None:
    line = chroma_frames(np.concatenate([tone([f]) for f in (261.63, 392.0)]), SR)
    chord = chroma_frames(tone([261.63, 329.63, 392.0]), SR)
    assert harmony_source("auto", line) == "melody" and harmony_source("auto", chord) == "recording"
    assert harmony_source("recording", line) == "recording" and harmony_source("melody", chord) == "melody"
    assert parse_harmony(None) == "auto" and parse_harmony(" Melody ") == "melody"
    with pytest.raises(InvalidParameter, match="harmony"):
        parse_harmony("chords")


def test_the_harmoniser_reads_real_bar_chroma() -> None:
    """A rendered line (C E G / F A C / G B D / C E G, a note per beat) through the constant-Q chroma."""
    arpeggios = [(261.63, 329.63, 392.0, 329.63), (349.23, 440.0, 523.25, 440.0), (392.0, 493.88, 587.33, 493.88)]
    bars = [arpeggios[0], arpeggios[1], arpeggios[2], arpeggios[0]]
    y = np.concatenate([tone([f], 0.5) for bar in bars for f in bar])
    chroma = chroma_frames(y, SR)
    spans = [(2.0 * i, 2.0 * (i + 1)) for i in range(len(bars))]
    chords = harmonise(span_chroma(chroma, spans))
    assert [c.root for c in chords] == [0, 5, 7, 0]


def test_the_progression_decides_what_the_notes_leave_open() -> None:
    """B and D fit G and Bm alike, A and C fit F and Am: between two C bars the folk tunes' progressions
    choose V and IV (without the learned transitions: Bm and Am); B D F is the dominant 7th."""
    tonic = outline([(0, False)])
    cases = {(11, 2, 11, 2): "G", (9, 0, 9, 0): "F", (11, 2, 5, 2): "G7"}
    for notes, expected in cases.items():
        chords = harmonise(np.vstack([tonic, melody_bar(list(notes))[np.newaxis], tonic]))
        assert [c.symbol for c in chords] == ["C", expected, "C"], notes


def test_without_its_model_auto_keeps_the_heard_chords_and_melody_is_an_honest_503(tmp_path: Path) -> None:
    (tmp_path / "melody_harmony.json").write_text("{not json")
    line = chroma_frames(np.concatenate([tone([f]) for f in (261.63, 392.0)]), SR)
    use_folder(tmp_path)  # the models folder holds a broken file of that name: it wins, and does not load
    try:
        assert load_model() is None and describe_model()["loaded"] is False
        assert harmony_source("auto", line) == "recording"
        with pytest.raises(ModelUnavailable, match="harmony=recording"):
            harmonise(outline([(0, False)]))
    finally:
        use_folder(None)
    assert load_model() is not None and harmony_source("auto", line) == "melody"
