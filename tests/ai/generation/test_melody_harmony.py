"""The melody harmoniser: chords for a melody alone, and telling a melody alone from music with harmony."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------------------------- the bar phase of a melody alone

BEAT_S = 0.5
PICKUP_BEATS = 1
"""The synthetic tune opens with a one-beat pickup: its bar lines fall on beats 1, 5, 9, ... (phase 1)."""
TUNE = [0, 5, 7, 0, 9, 2, 7, 0] * 2
"""Bar roots (C F G C Am Dm G C, twice); a bar walks its chord's root, third, fifth, third, one note a beat."""


def sung_tune() -> tuple[np.ndarray, np.ndarray]:
    """(a sung line at REFINE_SR, its beat times): a pickup note (G) and the bars of TUNE, one harmonic note a
    beat, each struck and decaying."""
    from ai.generation.beat_following import REFINE_SR

    pitches = [7]
    for root in TUNE:
        third = 3 if root in (9, 2) else 4
        pitches += [root, root + third, root + 7, root + third]
    t = np.arange(int(BEAT_S * REFINE_SR)) / REFINE_SR
    notes = []
    for pc in pitches:
        f = 261.63 * 2 ** (pc / 12)
        notes.append(np.exp(-2.0 * t) * sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6)))
    y = np.concatenate([np.zeros(int(0.25 * REFINE_SR)), *notes, np.zeros(int(REFINE_SR))])
    return (0.1 * y).astype(np.float32), 0.25 + BEAT_S * np.arange(len(pitches))


def sung_analysis(beats: np.ndarray, duration: float) -> Any:
    """What the analysis says of the line: its beats, 4/4, C major, downbeats a beat early (on the pickup)."""
    from ai.analysis.pipeline import AnalysisResult

    return AnalysisResult(
        duration=duration, sample_rate=22050, channels=1, tempo=120.0, tempo_confidence=0.9, beat_tempo=120.0,
        beat_times=[float(b) for b in beats], beats=len(beats), downbeat_times=[float(b) for b in beats[::4]],
        time_signature="4/4", beat_division=2, key="C major", key_confidence=0.8, key_score=0.9, key_runner_up=None,
        key_runner_up_score=0.0, tuning_cents=0.0, chords=[], loudness_lufs=None, true_peak_dbtp=None,
        peak_dbfs=None, loudness_range_lu=None, short_term_loudness_max_lufs=None, crest_factor_db=None,
        spectral_centroid_mean=0.0, spectral_rolloff_mean=0.0, rms_mean=0.0, zero_crossing_rate_mean=0.0,
        clipped_fraction=0.0,
    )  # fmt: skip


def test_a_melody_alone_gets_the_bar_phase_its_harmony_fits() -> None:
    """The analysis puts the downbeats on the pickup and the chroma spread within bars cannot tell (one note at
    a time spreads on every phase): the harmoniser's likelihood of each phase's bars finds the bar lines."""
    from ai.generation.accompaniment import melody_bar_phase, recording_cues
    from ai.generation.accompaniment.downbeats import bar_phase

    y, beats = sung_tune()
    chroma = recording_cues(y, 0.0).chroma
    # The chroma's spread and change within bars, read together, find this tune's bar lines too (the spread alone
    # kept the analysis's wrong phase); the harmoniser finds them from any phase.
    assert bar_phase(chroma, beats, 4, 0) == PICKUP_BEATS
    assert melody_bar_phase(chroma, beats, 4, 0, parse_key("C major")) == PICKUP_BEATS
    for current in range(4):
        assert melody_bar_phase(chroma, beats, 4, current, None) == PICKUP_BEATS
    assert melody_bar_phase(chroma, beats[:8], 4, 2, None) == 2  # too few beats to tell: kept


def test_the_accompaniment_of_a_melody_alone_moves_its_bars_either_way() -> None:
    """End to end: harmony=melody puts the bars on the tune's own (its chords nearly all the tune's); harmony=recording
    (the polyphonic path) moves them there too since its bar phase reads where the harmony changes (it kept the
    analysis's phase, a beat early)."""
    from ai.generation.accompaniment import AccompanimentOptions, accompany_cues, recording_cues
    from ai.generation.base import GeneratorRegistry
    from ai.generation.theory import TheoryGenerator

    registry = GeneratorRegistry()
    registry.register(TheoryGenerator())
    y, beats = sung_tune()
    from ai.generation.beat_following import REFINE_SR

    analysis = sung_analysis(beats, len(y) / REFINE_SR)
    cues = recording_cues(y, 0.0)
    options = AccompanimentOptions(parts=("bass", "pad"), seed=1, harmony="melody")
    melody = accompany_cues(cues, analysis, registry, options)
    assert melody.harmony_source == "melody" and melody.bar_phase_corrected
    assert melody.grid.bar_span(0)[0] == pytest.approx(beats[PICKUP_BEATS], abs=0.03)
    right = sum(c.root == root for c, root in zip(melody.chords, TUNE, strict=False))
    assert right >= len(TUNE) - 2  # (an A minor bar, A C E C, may be heard as C)
    heard = accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("bass", "pad"), harmony="recording"))
    assert heard.harmony_source == "recording" and heard.bar_phase_corrected
    assert heard.grid.bar_span(0)[0] == pytest.approx(beats[PICKUP_BEATS], abs=0.03)
