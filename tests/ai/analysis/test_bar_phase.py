"""The bar phase: the evidence's weights and downbeats whose phase may change inside a piece."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import bar_positions, downbeat_indices, downbeat_phase, estimate_rhythm
from ai.analysis.rhythm import meter as rhythm_meter
from tests.ai.analysis.test_rhythm import _click

SR = ANALYSIS_SR


def _pulses(n: int, downbeats: list[int], strength: float = 3.0) -> np.ndarray:
    evidence = np.full(n, -1.0)
    evidence[downbeats] = strength
    return evidence


def test_a_regular_bar_keeps_one_phase() -> None:
    positions = bar_positions(_pulses(40, list(range(1, 40, 4))), 4)
    np.testing.assert_array_equal(np.flatnonzero(positions == 0), np.arange(1, 40, 4))
    np.testing.assert_array_equal(positions, (np.arange(40) - 1) % 4)


def test_a_two_beat_bar_moves_the_later_downbeats() -> None:
    # Ten bars of four, one of two, ten of four: the downbeats after it sit two beats later.
    downbeats = list(range(0, 40, 4)) + list(range(42, 82, 4))
    found = np.flatnonzero(bar_positions(_pulses(82, downbeats), 4) == 0)
    np.testing.assert_array_equal(found, downbeats)


def test_a_lone_strong_beat_does_not_move_the_phase() -> None:
    evidence = _pulses(40, list(range(0, 40, 4)))
    evidence[21] = 6.0  # one loud off-bar beat (a crash on beat 2) is not worth two changes of phase
    np.testing.assert_array_equal(np.flatnonzero(bar_positions(evidence, 4) == 0), np.arange(0, 40, 4))


def test_a_free_switch_follows_every_beat_and_a_dear_one_none() -> None:
    downbeats = list(range(0, 20, 4)) + list(range(22, 42, 4))
    evidence = _pulses(42, downbeats)
    assert set(np.flatnonzero(bar_positions(evidence, 4, switch_cost=1e9) == 0)) != set(downbeats)
    assert set(np.flatnonzero(bar_positions(evidence, 4, switch_cost=0.0) == 0)) == set(downbeats)


def test_the_accent_does_not_choose_the_bar_of_three_or_four_beats() -> None:
    n = 48
    flat = np.zeros(n)
    feats = {"harm": _pulses(n, list(range(0, n, 4))), "low": flat.copy(), "accent": _pulses(n, list(range(1, n, 2)))}
    # A backbeat accent louder than the chord changes: the changes still mark beat 1.
    feats["accent"] = 10.0 * feats["accent"]
    assert downbeat_phase(feats, 4)[0] == 0
    np.testing.assert_array_equal(downbeat_indices(feats, 4), np.arange(0, n, 4))
    # Pairs of beats (the level halved) still weigh the accent.
    feats["harm"] = flat.copy()
    assert downbeat_phase(feats, 2)[0] == 1


def test_the_learned_activation_weighs_in_bars() -> None:
    n = 48
    feats = {key: np.zeros(n) for key in ("harm", "low", "accent")}
    feats["down"] = _pulses(n, list(range(3, n, 4)))
    assert rhythm_meter.DOWNBEAT_WEIGHT > 0
    assert downbeat_phase(feats, 4)[0] == 3


def _song_with_a_short_bar(bpm: float = 120.0) -> tuple[np.ndarray, np.ndarray]:
    """Kick and a triad on each downbeat, clicks on the other beats; eight bars of four, one of
    two, eight of four. Returns y and the downbeat times."""
    period = 60.0 / bpm
    bars = [4] * 8 + [2] + [4] * 8
    starts = np.concatenate([[0], np.cumsum(bars)])
    beats = 0.3 + period * np.arange(starts[-1])
    downbeats = beats[starts[:-1]]
    y = np.zeros(int((beats[-1] + 1.0) * SR))
    t = np.arange(y.shape[0]) / SR
    accent = _click(70.0, 1.0) + _click(1000.0, 0.6)
    plain = _click(1500.0, 0.5)
    for i, b in enumerate(beats):
        c = accent if i in set(starts) else plain
        start = int(round(b * SR))
        end = min(len(y), start + len(c))
        y[start:end] += c[: end - start]
    roots = (57, 53, 60, 55)
    bar_of = np.clip(np.searchsorted(downbeats, t, side="right") - 1, 0, None)
    for k, root in enumerate(roots):
        on = (bar_of % len(roots)) == k
        for step in (0, 4, 7):
            y[on] += 0.08 * np.sin(2 * np.pi * 440.0 * 2 ** ((root + step - 69) / 12) * t[on])
    return y.astype(np.float32), downbeats


@pytest.fixture(scope="module")
def short_bar_song() -> tuple[np.ndarray, np.ndarray]:
    return _song_with_a_short_bar()


def test_downbeats_follow_a_short_bar(short_bar_song: tuple[np.ndarray, np.ndarray]) -> None:
    y, downbeats = short_bar_song
    res = estimate_rhythm(compute_features(y, SR))
    assert res.time_signature == "4/4"
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9


def test_one_phase_for_the_piece_misses_the_downbeats_after_a_short_bar(
    short_bar_song: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same song with the phase held for the whole piece: half its downbeats land two beats off.
    monkeypatch.setattr(rhythm_meter, "PHASE_SWITCH_COST", 1e9)
    y, downbeats = short_bar_song
    res = estimate_rhythm(compute_features(y, SR))
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) < 0.7
