"""Whole-song bar phase from the structure: a 4/4 song whose beat-level evidence is the same half a bar
later gets its bar lines where its sections start (ai/analysis/rhythm/structure.py)."""

from __future__ import annotations

import tracemalloc

import mir_eval
import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import estimate_rhythm
from ai.analysis.rhythm import structure as rhythm_structure
from tests.ai.analysis.synth import CHORD_INTERVALS, note, parse

SR = ANALYSIS_SR


def _sections(n_beats: int, every: int, start: int, dims: int = 12) -> np.ndarray:
    """Beat rows [shape=(n_beats, dims)] that repeat a two-beat pattern and change to a new pair of
    vectors every ``every`` beats from beat ``start``."""
    rng = np.random.default_rng(1)
    rows = np.empty((n_beats, dims))
    for b in range(n_beats):
        section = (b - start) // every
        pair = np.random.default_rng(100 + section).random((2, dims))
        rows[b] = pair[((b - start) // 2) % 2]
    return rows + 0.01 * rng.random(rows.shape)


def test_novelty_peaks_where_a_section_starts() -> None:
    rows = _sections(48, 16, 0)
    curve = rhythm_structure.structure_novelty(rows, (4, 8))
    for half in (4, 8):
        assert int(np.nanargmax(curve[half])) in (16, 32)
        assert np.isnan(curve[half][:half]).all() and np.isfinite(curve[half][half : 48 - half + 1]).all()


def test_novelty_matches_the_checkerboard_it_describes() -> None:
    rows = np.random.default_rng(3).random((30, 5))
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    sim = unit @ unit.T
    b, h = 12, 4
    expected = (
        sim[b - h : b, b - h : b].mean() + sim[b : b + h, b : b + h].mean() - 2 * sim[b - h : b, b : b + h].mean()
    )
    assert rhythm_structure.structure_novelty(rows, (h,))[h][b] == pytest.approx(expected)


def _rows(n_beats: int, start: int) -> dict[str, np.ndarray]:
    return {"chroma": _sections(n_beats, 16, start), "timbre": _sections(n_beats, 16, start, dims=16)}


def test_novelty_of_a_30_minute_song_keeps_to_the_diagonal() -> None:
    # ~4,200 beats: the full beat-by-beat matrix and its running sums took 424 MB and 0.7 s at the default
    # 30-minute limit; only the diagonals a checkerboard reads are kept.
    rows = np.random.default_rng(3).standard_normal((4200, 12))
    tracemalloc.start()
    try:
        curves = rhythm_structure.structure_novelty(rows, (4, 8))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, peak
    assert np.isfinite(curves[8][8:-8]).all() and np.isnan(curves[8][:8]).all()


def test_sections_on_beat_three_move_the_bar_lines_half_a_bar() -> None:
    n = 96
    rows = _rows(n, 2)  # sections start on beats 2, 18, ...: position 2 of bars that start on 0, 4, ...
    positions = np.arange(n) % 4
    assert rhythm_structure.half_bar_score(rows, positions, 4) < -rhythm_structure.HALF_BAR_MARGIN
    assert rhythm_structure.half_bar_off(rows, positions, 4)
    # The same music, its bar lines already where the sections start: stays.
    moved = (positions + 2) % 4
    assert rhythm_structure.half_bar_score(rows, moved, 4) > rhythm_structure.HALF_BAR_MARGIN
    assert not rhythm_structure.half_bar_off(rows, moved, 4)


def test_bars_of_three_and_short_pieces_are_left_alone() -> None:
    rows = _rows(96, 2)
    assert not rhythm_structure.half_bar_off(rows, np.arange(96) % 3, 3)
    short = {name: r[:6] for name, r in rows.items()}
    assert rhythm_structure.half_bar_score(short, np.arange(6) % 4, 4) == 0.0


def _sectioned_song(bpm: float = 120.0, bars_per_section: int = 4, sections: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """A 4/4 groove that looks the same half a bar later: kick on 1 and 3 (louder on 3), snare on 2 and 4, a
    chord and bass root every two beats. Each section of ``bars_per_section`` bars has its own pair of chords, every
    other one a bright high voicing too; sections start on beat 1. Returns y and the downbeat times."""
    rng = np.random.default_rng(0)
    beat = 60.0 / bpm
    n_beats = 4 * bars_per_section * sections
    lead = 0.5
    y = np.zeros(int((lead + (n_beats + 2) * beat) * SR))
    t = np.arange(int(0.4 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * t + 2 * (1 - np.exp(-t * 30)))) * np.exp(-t * 10)
    snare = 0.5 * rng.standard_normal(t.size) * np.exp(-t * 18) + 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t * 25)
    pairs = (("C", "G"), ("F", "Dm"), ("Am", "E"), ("Bb", "Eb"))

    def add(at: float, sound: np.ndarray, gain: float = 1.0) -> None:
        i = int(round(at * SR))
        m = min(sound.size, y.size - i)
        y[i : i + m] += gain * sound[:m]

    for b in range(n_beats):
        at, k, section = lead + b * beat, b % 4, b // (4 * bars_per_section)
        if k % 2:
            add(at, snare, 0.8)
            continue
        add(at, kick, 1.6 if k == 2 else 1.0)  # the heavier kick on 3 pulls the beat-level evidence there
        root, quality = parse(pairs[section % len(pairs)][k // 2])
        for step in CHORD_INTERVALS[quality]:
            add(at, note(60 + (root + step) % 12, 2 * beat, amplitude=0.1, decay=0.5))
            if section % 2:
                add(at, note(84 + (root + step) % 12, 2 * beat, amplitude=0.05, decay=0.1, harmonics=3))
        add(at, note(36 + root, 2 * beat, amplitude=0.25, decay=0.8))
    return y.astype(np.float32), lead + beat * np.arange(0, n_beats, 4)


@pytest.fixture(scope="module")
def sectioned_song() -> tuple[np.ndarray, np.ndarray]:
    return _sectioned_song()


def test_bar_lines_start_where_the_sections_start(sectioned_song: tuple[np.ndarray, np.ndarray]) -> None:
    y, downbeats = sectioned_song
    res = estimate_rhythm(compute_features(y, SR))
    assert res.time_signature == "4/4"
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9


def test_the_beat_level_evidence_alone_puts_them_on_beat_three(
    sectioned_song: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the structure (the margin out of reach), every bar line of the same song sits on beat 3.
    monkeypatch.setattr(rhythm_structure, "HALF_BAR_MARGIN", np.inf)
    y, downbeats = sectioned_song
    res = estimate_rhythm(compute_features(y, SR))
    beats = np.asarray(res.beat_times)
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) < 0.1
    assert mir_eval.beat.f_measure(downbeats + 2 * float(np.median(np.diff(beats))), res.downbeat_times) >= 0.9
