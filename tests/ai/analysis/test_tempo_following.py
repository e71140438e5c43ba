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
from ai.analysis.rhythm.beats import TIGHTNESS, _dp_beats, _dp_beats_tempo, _drifted_chain, follow_tempo
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


def test_grid_beats_follow_a_chain_that_drifts_away_from_them() -> None:
    # The music slows by 8 % in its second half; the grid stays at one period and falls behind by up to
    # 1.4 periods: every beat, near the grid or not, moves onto the pulse.
    truth = np.concatenate([10.0 + 25.0 * np.arange(20), 10.0 + 25.0 * 19 + 27.0 * np.arange(1, 21)])
    grid = 10.0 + 25.2 * np.arange(40)
    moved = follow_tempo(_pulse_score(int(truth[-1]) + 30, truth), grid, 25.2)
    # (As many beats as the pulse has over the grid's span: fewer than the grid's where it slowed.)
    assert _hits(moved, truth[truth <= grid[-1]]) == 1.0
    assert _hits(truth, moved) == 1.0


def test_a_grid_at_the_mean_tempo_follows_a_pulse_that_speeds_up_by_a_fifth() -> None:
    # 43 frames a second: 100 -> 120 BPM over 32 beats. The best grid at one period (a line fit) is
    # almost half a period off at both ends; the followed beats lie within a frame (23 ms) of every
    # pulse, the ends included.
    truth = _accelerating(25.8, 21.5, 32)
    period, start = np.polyfit(np.arange(32), truth, 1)
    grid = start + period * np.arange(32)
    assert np.abs(grid - truth).max() > 0.4 * period
    moved = follow_tempo(_pulse_score(int(truth[-1]) + 30, truth), grid, period)
    assert moved.shape == truth.shape
    np.testing.assert_allclose(moved, truth, atol=1.0)


def test_the_grid_keeps_beats_the_chain_left_for_the_off_beats_at_the_same_tempo() -> None:
    # The pulse jumps half a period for 10 beats and back: the chain's tempo has not moved, its phase has.
    truth = 10.0 + 25.0 * np.arange(40)
    pulses = np.concatenate([truth[:15], truth[15:25] + 12.5, truth[25:]])
    moved = follow_tempo(_pulse_score(int(truth[-1]) + 30, pulses), truth.copy(), 25.0)
    np.testing.assert_array_equal(moved[17:23], truth[17:23])


def test_the_grid_keeps_its_phase_where_the_chain_takes_the_off_beats() -> None:
    grid = 10.0 + 24.0 * np.arange(40)
    # Pulses on the grid for 20 beats, then only half-way between its beats.
    pulses = np.concatenate([grid[:20], grid[20:-1] + 12.0])
    moved = follow_tempo(_pulse_score(int(grid[-1]) + 30, pulses), grid, 24.0)
    np.testing.assert_allclose(moved[:20], grid[:20], atol=1.0)
    np.testing.assert_array_equal(moved[21:], grid[21:])


def test_a_stretch_takes_a_chain_that_drifts_not_one_that_jumps_or_steps() -> None:
    # Chain beats 0-7 shared with the grid up to beat 4; the grid lost beats 5-8 (4 of them).
    drifting = _accelerating(20.0, 18.0, 16)
    np.testing.assert_array_equal(_drifted_chain(drifting, 20.0, 4, 4, 9), drifting[5:9])
    # The tempo jumps by 15 % for the stretch (a chain rushing through beats it lost).
    rushing = np.concatenate(
        [10.0 + 20.0 * np.arange(5), 90.0 + 17.0 * np.arange(1, 5), 158.0 + 20.0 * np.arange(1, 8)]
    )
    assert _drifted_chain(rushing, 20.0, 4, 4, 9) is None
    # A step onto the off-beats: one interval half a period long.
    stepping = np.concatenate([10.0 + 20.0 * np.arange(5), 120.0 + 20.0 * np.arange(11)])
    assert _drifted_chain(stepping, 20.0, 4, 4, 9) is None


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
