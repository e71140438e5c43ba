"""A steady song gets a steady tempo map; a tempo that moves keeps its followed beats (ai/generation/steady_tempo.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ai.generation.beat_following import FRAME_S, followed_beats, onset_cues
from ai.generation.steady_tempo import robust_curve, steady_beats, steady_grid
from tests.ai.generation.test_accompaniment_following import clicks
from tests.ai.generation.test_soft_attacks import bowed_chords

PERIOD = 60.0 / 123.0  # the Hymn render of data/eval (song03): a constant 123 BPM
TRUTH = 0.3 + np.arange(56) * PERIOD


def hymn_tracker(truth: np.ndarray) -> np.ndarray:
    """A tracker's beats on a legato song without drums: 20 ms of jitter, and two stretches of 6 beats where it
    held a late phase (90-160 ms after the chords), as the analysis does on song03."""
    rng = np.random.default_rng(3)
    beats = truth + rng.normal(0.0, 0.020, len(truth))
    beats[10:16] += np.linspace(0.09, 0.16, 6)
    beats[34:40] += np.linspace(0.15, 0.09, 6)
    return np.sort(beats)


def map_deviation(beats: np.ndarray, truth: np.ndarray) -> float:
    """The tempo map's largest deviation (a share) from the true tempo at each interval, over the true beats' span."""
    inside = beats[(beats > truth[0] - 0.07) & (beats < truth[-1] + 0.07)]
    intervals = np.diff(inside)
    true = np.interp((inside[:-1] + inside[1:]) / 2.0, (truth[:-1] + truth[1:]) / 2.0, np.diff(truth))
    return float(np.max(np.abs(true / intervals - 1.0)))


def within(beats: np.ndarray, truth: np.ndarray, tolerance: float = 0.020) -> float:
    return float(np.mean([np.min(np.abs(beats - t)) <= tolerance for t in truth]))


@pytest.fixture(scope="module")
def legato_cues() -> tuple[np.ndarray, np.ndarray]:
    return onset_cues(bowed_chords(TRUTH, TRUTH[-1] + 1.5))


def test_a_legato_constant_tempo_gets_a_map_within_one_percent(legato_cues: tuple[np.ndarray, np.ndarray]) -> None:
    env, bands = legato_cues
    beats = followed_beats(env, bands, hymn_tracker(TRUTH))
    assert map_deviation(beats, TRUTH) < 0.01
    assert within(beats, TRUTH, 0.030) >= 0.95


def test_a_tempo_ramp_gets_a_ramp_not_a_constant_tempo() -> None:
    # A band that speeds up by 12 % over the song, played with clicks: a steady grid, but not a constant one.
    intervals = np.linspace(0.5, 0.5 / 1.12, 63)
    truth = 0.3 + np.concatenate([[0.0], np.cumsum(intervals)])
    env, bands = onset_cues(clicks(truth, truth[-1] + 1.0))
    tracked = truth + np.random.default_rng(4).normal(0.0, 0.006, len(truth))
    beats = followed_beats(env, bands, tracked)
    assert map_deviation(beats, truth) < 0.01
    assert within(beats, truth) == 1.0
    grid = steady_grid(beats)
    assert np.max(np.abs(grid - robust_curve(beats, 2))) < 1e-9  # the ramp, chosen by the beats themselves


def test_rubato_on_clear_attacks_keeps_the_followed_beats() -> None:
    # A tempo that swells and relaxes by 8 % every 8 beats (no polynomial follows it), each beat a clear attack.
    intervals = 0.5 * (1.0 + 0.08 * np.sin(np.arange(63) * 2 * np.pi / 8))
    truth = 0.3 + np.concatenate([[0.0], np.cumsum(intervals)])
    env, bands = onset_cues(clicks(truth, truth[-1] + 1.0))
    beats = followed_beats(env, bands, truth + 0.004)
    assert within(beats, truth) == 1.0
    assert not np.allclose(np.diff(beats), np.diff(steady_grid(beats)), atol=0.005)


def test_the_steady_grid_follows_the_phase_most_beats_agree_on() -> None:
    # A third of the beats a third of a period late (the tracker on the off-beats for a few bars): the grid stays
    # on the other two thirds, not between the two phases.
    truth = 0.3 + np.arange(60) * 0.5
    beats = truth.copy()
    beats[20:40] += 0.5 / 3.0
    assert np.max(np.abs(robust_curve(beats, 1)[:20] - truth[:20])) < 0.002
    assert np.max(np.abs(robust_curve(beats, 1)[40:] - truth[40:])) < 0.002


def test_too_few_beats_or_no_evidence_keep_what_they_have() -> None:
    beats = 0.3 + np.arange(10) * 0.5 + np.random.default_rng(5).normal(0.0, 0.01, 10)
    env = np.zeros(int(6.0 / FRAME_S), dtype=np.float32)
    assert np.array_equal(steady_beats(env, beats, FRAME_S), beats)


def test_a_legato_band_that_drifts_keeps_its_followed_beats() -> None:
    # A tempo that wanders slowly (the beats up to 80 ms from any steady grid, as a band without a click), legato:
    # the onsets cannot tell the followed beats from a grid, their smooth stray does.
    truth = 0.3 + np.arange(64) * PERIOD + 0.08 * np.sin(np.arange(64) * 2 * np.pi / 32)
    env, bands = onset_cues(bowed_chords(truth, truth[-1] + 1.5))
    tracked = truth + np.random.default_rng(6).normal(0.0, 0.008, len(truth))
    beats = followed_beats(env, bands, tracked)
    assert within(beats, truth, 0.030) >= 0.9


def test_a_recording_that_opens_on_its_first_beat_keeps_it() -> None:
    """A DAW's bounce starts on bar 1: the first beat is at 0, and the fitted grid put it a few ms before the
    start, where it was dropped; the transcription's and the accompaniment's first bar was then a beat short
    (QA pass 4: 'Bars: 9' for an 8-bar song, its first downbeat at 0.54 s)."""
    truth = np.arange(48) * 0.5
    env, _ = onset_cues(clicks(truth, truth[-1] + 1.0))
    followed = truth - 0.004  # the followed beats a few ms early: the steady grid through them starts before 0
    followed[0] = 0.0  # ... where the first beat cannot be, and is not
    beats = steady_beats(env, followed, FRAME_S)
    assert len(beats) == len(truth) and beats[0] == 0.0
    assert within(beats, truth) == 1.0
