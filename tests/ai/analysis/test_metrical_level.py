"""The metrical-level model: candidate levels of a beat grid, their features, the model's choice
and the JSON it ships as."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.level_model import LevelModel, load_level_model
from ai.analysis.rhythm import (
    LEVEL_FEATURES,
    choose_level,
    estimate_rhythm,
    level_candidates,
    shipped_level_model,
    track_pulse,
)
from tests.ai.analysis.test_rhythm import click_track

SR = ANALYSIS_SR


def _model(**weights: float) -> LevelModel:
    n = len(LEVEL_FEATURES)
    w = np.array([weights.get(name, 0.0) for name in LEVEL_FEATURES])
    return LevelModel(LEVEL_FEATURES, np.zeros(n), np.ones(n), w)


@pytest.fixture(scope="module")
def pulse_114():
    y, _, _ = click_track(114.0, 4, seconds=24.0)
    pulse = track_pulse(compute_features(y, SR))
    assert pulse is not None
    return pulse


def test_candidates_are_the_grid_and_its_relatives(pulse_114) -> None:
    evidence, beats, period, spread = pulse_114
    candidates = level_candidates(evidence, beats, period, spread)
    tempi = {round(c.factor, 3): 60.0 * evidence.frame_rate / c.period for c in candidates}
    # 114 BPM: /3 (38) and x3 (342) fall outside 40-250 BPM.
    assert set(tempi) == {0.5, 0.667, 0.75, 1.0, 1.333, 1.5, 2.0}
    for factor, tempo in tempi.items():
        assert tempo == pytest.approx(114.0 * factor, rel=0.03)
    identity = next(c for c in candidates if c.factor == 1.0)
    np.testing.assert_array_equal(identity.beats, beats)
    assert all(c.features.shape == (len(LEVEL_FEATURES),) and np.isfinite(c.features).all() for c in candidates)


def test_doubled_candidate_nests_with_the_beats(pulse_114) -> None:
    evidence, beats, period, spread = pulse_114
    double = next(c for c in level_candidates(evidence, beats, period, spread) if c.factor == 2.0)
    # Every original beat is still a beat, with a new one half-way between each pair.
    assert np.isin(beats, double.beats).all()
    assert double.beats.shape[0] == 2 * beats.shape[0] - 1


def test_features_tell_on_beat_onsets_from_off_beat_ones(pulse_114) -> None:
    evidence, beats, period, spread = pulse_114
    by_factor = {c.factor: c.features for c in level_candidates(evidence, beats, period, spread)}
    onbeat = LEVEL_FEATURES.index("onbeat")
    # The clicks are on the beats: the true grid has far more onset energy on than between its
    # beats; half of the halved grid's midpoints are clicks, and half of the doubled grid's beats
    # are silent.
    assert by_factor[1.0][onbeat] > 1.0
    assert by_factor[0.5][onbeat] < by_factor[1.0][onbeat] - 1.0
    assert by_factor[2.0][onbeat] < by_factor[1.0][onbeat]


def test_choose_level_follows_the_model(pulse_114) -> None:
    evidence, beats, period, spread = pulse_114
    candidates = level_candidates(evidence, beats, period, spread)
    assert choose_level(candidates, _model(log_tempo=1.0)).factor == 2.0
    assert choose_level(candidates, _model(log_tempo=-1.0)).factor == 0.5
    assert choose_level(candidates, _model(onbeat=1.0)).factor == 1.0


def _clicks_over_chords(bpm: float, seconds: float = 24.0) -> np.ndarray:
    """A click track with a sustained triad (sines) that changes every bar of four beats."""
    y, _, downbeats = click_track(bpm, 4, seconds=seconds)
    t = np.arange(y.shape[0]) / SR
    roots = (220.0, 174.6, 261.6, 196.0)  # A, F, C, G
    bar = np.clip(np.searchsorted(downbeats, t, side="right") - 1, 0, None) % len(roots)
    chords = sum(0.08 * np.sin(2 * np.pi * np.asarray(roots)[bar] * ratio * t) for ratio in (1.0, 1.26, 1.5))
    return (y + chords).astype(np.float32)


def test_a_model_can_move_the_reported_tempo() -> None:
    features = compute_features(_clicks_over_chords(120.0), SR)
    assert estimate_rhythm(features, level_model=None).tempo == pytest.approx(120.0, rel=0.01)
    assert estimate_rhythm(features, level_model=_model(log_tempo=1.0)).tempo == pytest.approx(240.0, rel=0.01)


def test_a_click_track_without_harmony_keeps_the_rules_level() -> None:
    y, _, _ = click_track(120.0, 4, seconds=24.0)
    features = compute_features(y, SR)
    assert estimate_rhythm(features, level_model=_model(log_tempo=1.0)).tempo == pytest.approx(120.0, rel=0.01)


def test_shipped_model_loads_and_keeps_clear_click_tracks() -> None:
    model = shipped_level_model()
    assert model is not None and model.feature_names == LEVEL_FEATURES
    for bpm in (80.0, 128.0):
        y, _, _ = click_track(bpm, 4, seconds=24.0)
        assert estimate_rhythm(compute_features(y, SR)).tempo == pytest.approx(bpm, rel=0.01)


def test_model_json_round_trip_and_scores() -> None:
    n = len(LEVEL_FEATURES)
    model = LevelModel(LEVEL_FEATURES, np.full(n, 1.0), np.full(n, 2.0), np.arange(n, dtype=float))
    again = LevelModel.from_dict(json.loads(json.dumps(model.to_dict())), expected=LEVEL_FEATURES)
    x = np.full((1, n), 3.0)  # (3 - 1) / 2 = 1 per feature
    assert again.scores(x)[0] == pytest.approx(sum(range(n)))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(feature_names=d["feature_names"][:-1]), "do not match"),
        (lambda d: d.update(scale=[0.0] * len(d["scale"])), "positive"),
        (lambda d: d.update(weights=[float("nan")] * len(d["weights"])), "finite"),
        (lambda d: d.update(mean=[0.0]), "one value per feature"),
    ],
)
def test_bad_model_json_is_refused(change, message) -> None:
    data = _model().to_dict()
    change(data)
    with pytest.raises(ValueError, match=message):
        LevelModel.from_dict(data, expected=LEVEL_FEATURES)


def test_missing_or_stale_model_file_leaves_the_rules_level(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert load_level_model(tmp_path / "absent.json", LEVEL_FEATURES) is None
    assert "not used" in caplog.text
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**_model().to_dict(), "feature_names": ["tempo"]}))
    assert load_level_model(stale, LEVEL_FEATURES) is None
