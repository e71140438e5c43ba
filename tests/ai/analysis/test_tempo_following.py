"""Beats that follow a tempo that moves: the programme over (beat frame, interval) and the final
grid's move onto its chain (ai.analysis.rhythm.beats.follow_tempo)."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import beats as rhythm_beats
from ai.analysis.rhythm import estimate_rhythm
from ai.analysis.rhythm.beats import TIGHTNESS, _dp_beats, _dp_beats_tempo, follow_tempo
from tests.ai.analysis.test_rhythm import _click

SR = ANALYSIS_SR


def _pulse_score(n: int, at: np.ndarray) -> np.ndarray:
    score = np.full(n, -0.2)
    score[np.round(at).astype(np.int64)] = 3.0
    return score


def _accelerating(first: float, last: float, count: int, start: float = 10.0) -> np.ndarray:
    """Beat frames whose interval goes evenly from ``first`` to ``last`` frames."""
    return start + np.concatenate([[0.0], np.cumsum(np.linspace(first, last, count - 1))])


def _hits(found: np.ndarray, truth: np.ndarray, tolerance: float = 1.0) -> float:
    return float(np.mean(np.abs(found[:, None] - truth[None, :]).min(axis=0) <= tolerance))


def test_the_tempo_chain_follows_an_accelerando_that_one_period_cannot() -> None:
    truth = _accelerating(32.0, 20.0, 40)  # 81 -> 129 BPM at 43 frames a second
    score = _pulse_score(int(truth[-1]) + 20, truth)
    period = float(np.median(np.diff(truth)))
    followed = _dp_beats_tempo(score, period, 0.7, 1.45, 30.0, 30.0, 1.0).astype(np.float64)
    fixed = _dp_beats(score, period, TIGHTNESS).astype(np.float64)
    # (The last beats are left out: both programmes may end past the last pulse, as Ellis's does.)
    assert _hits(followed, truth[:-2]) == 1.0
    assert _hits(fixed, truth[:-2]) < 0.9


def test_a_steady_pulse_gives_the_same_chain_as_one_period() -> None:
    truth = 5.0 + 25.0 * np.arange(30)
    score = _pulse_score(int(truth[-1]) + 20, truth)
    followed = _dp_beats_tempo(score, 25.0, 0.7, 1.45, 30.0, 30.0, 1.0)
    np.testing.assert_array_equal(followed, truth.astype(np.int64))


def test_grid_beats_move_to_the_chain_only_near_it() -> None:
    # The music slows by 8 % in its second half; the grid stays at one period.
    truth = np.concatenate([10.0 + 25.0 * np.arange(20), 10.0 + 25.0 * 19 + 27.0 * np.arange(1, 21)])
    grid = 10.0 + 25.5 * np.arange(40)
    moved = follow_tempo(_pulse_score(int(truth[-1]) + 30, truth), grid, 25.5)
    assert moved.shape == grid.shape
    near = np.abs(moved - truth) <= 1.0
    within = np.abs(grid - truth) <= 0.25 * 25.5
    # Every grid beat within a quarter period of a pulse lands on it; the others stay where they were.
    assert near[within].all()
    np.testing.assert_array_equal(moved[~within], grid[~within])


def test_the_grid_keeps_its_phase_where_the_chain_takes_the_off_beats() -> None:
    grid = 10.0 + 24.0 * np.arange(40)
    # Pulses on the grid for 20 beats, then only half-way between its beats.
    pulses = np.concatenate([grid[:20], grid[20:-1] + 12.0])
    moved = follow_tempo(_pulse_score(int(grid[-1]) + 30, pulses), grid, 24.0)
    np.testing.assert_allclose(moved[:20], grid[:20], atol=1.0)
    np.testing.assert_array_equal(moved[21:], grid[21:])


def test_switched_off_the_grid_is_returned_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rhythm_beats, "TEMPO_CHANGE", 0.0)
    grid = 10.0 + 25.5 * np.arange(20)
    score = _pulse_score(600, 10.0 + 25.0 * np.arange(20))
    assert follow_tempo(score, grid, 25.5) is grid


def test_a_click_track_that_speeds_up_keeps_its_beats() -> None:
    # 100 -> 116 BPM over 30 s, as a band that rushes.
    intervals = 60.0 / np.linspace(100.0, 116.0, 54)
    beats = 0.3 + np.concatenate([[0.0], np.cumsum(intervals)])
    y = np.zeros(int((beats[-1] + 1.0) * SR))
    click = _click(1500.0, 0.5)
    for b in beats:
        start = int(round(b * SR))
        y[start : start + len(click)] += click[: len(y) - start]
    result = estimate_rhythm(compute_features(y.astype(np.float32), SR))
    f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(beats), mir_eval.beat.trim_beats(result.beat_times))
    assert f >= 0.95
