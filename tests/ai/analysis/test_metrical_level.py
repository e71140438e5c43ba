"""The metrical-level model: candidate levels of a beat grid, their features, the model's choice
and the JSON it ships as."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.drums_only import only_drums
from ai.analysis.features import compute_features
from ai.analysis.level_model import LevelModel, Tree, describe_level_model, level_rows, load_level_model
from ai.analysis.rhythm import (
    LEVEL_FEATURES,
    _beat_features,
    _divisions,
    choose_level,
    estimate_rhythm,
    level_candidates,
    level_model_serves,
    shipped_level_model,
    track_pulse,
)
from ai.analysis.rhythm.meter import _harmony_sustained
from tests.ai.analysis.synth import clicks, note
from tests.ai.analysis.test_rhythm import click_track

SR = ANALYSIS_SR


def _stump(name: str, threshold: float, below: float, above: float) -> Tree:
    """A one-split tree on a candidate feature (the first block of the model's rows)."""
    return Tree(
        feature=np.array([LEVEL_FEATURES.index(name), -1, -1]),
        threshold=np.array([threshold, 0.0, 0.0], dtype=np.float32),
        left=np.array([1, -1, -1]),
        right=np.array([2, -1, -1]),
        value=np.array([0.0, below, above]),
    )


def _model(*trees: Tree) -> LevelModel:
    return LevelModel(LEVEL_FEATURES, 0.5, trees)


FASTEST = _stump("log_tempo", 0.7, 0.0, 1.0)
"""At 114 BPM only the doubled grid (228 BPM, log2(228/120) = 0.93) lies above 0.7."""
SLOWEST = _stump("log_tempo", -0.9, 1.0, 0.0)
"""...and only the halved one (57 BPM, -1.07) below -0.9."""


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


def _subdivided_clicks(bpm: float, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Clicks on the beats and, at half their level, on every 1/``parts`` of the beat; and the
    beat times."""
    y, beats, _ = click_track(bpm, 4, seconds=24.0)
    shift = int(round(60.0 / bpm / parts * SR))
    out = y.copy()
    for k in range(1, parts):
        out[k * shift :] += 0.5 * y[: y.shape[0] - k * shift]
    return out, beats


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_division_features_read_how_the_beat_divides(parts: int) -> None:
    y, beat_times = _subdivided_clicks(100.0, parts)
    evidence = track_pulse(compute_features(y, SR))[0]
    grid = beat_times * evidence.frame_rate
    pattern = _beat_features(grid, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma)["pattern"]
    half, third, quarter = _divisions(pattern[:, : pattern.shape[1] // 2])
    # Off-beat clicks at half the level stand within a few dB of the beat; silence far below.
    if parts == 3:
        assert third > -2.0 and max(half, quarter) < third - 2.0
    else:
        assert half > -2.0 and third < half - 2.0
        assert (quarter > -2.0) == (parts == 4)


def test_choose_level_follows_the_model(pulse_114) -> None:
    evidence, beats, period, spread = pulse_114
    candidates = level_candidates(evidence, beats, period, spread)
    assert choose_level(candidates, _model(FASTEST)).factor == 2.0
    assert choose_level(candidates, _model(SLOWEST)).factor == 0.5
    # Two trees that cancel out leave every score equal: the first candidate wins.
    assert choose_level(candidates, _model(FASTEST, _stump("log_tempo", 0.7, 0.0, -1.0))) is candidates[0]


def _clicks_over_chords(bpm: float, seconds: float = 24.0) -> np.ndarray:
    """A click track with a sustained triad (sines) that changes every bar of four beats."""
    y, _, downbeats = click_track(bpm, 4, seconds=seconds)
    t = np.arange(y.shape[0]) / SR
    roots = (220.0, 174.6, 261.6, 196.0)  # A, F, C, G
    bar = np.clip(np.searchsorted(downbeats, t, side="right") - 1, 0, None) % len(roots)
    chords = sum(0.08 * np.sin(2 * np.pi * np.asarray(roots)[bar] * ratio * t) for ratio in (1.0, 1.26, 1.5))
    return (y + chords).astype(np.float32)


def test_a_model_can_move_the_reported_tempo() -> None:
    features = compute_features(_clicks_over_chords(114.0), SR)
    assert estimate_rhythm(features, level_model=None).tempo == pytest.approx(114.0, rel=0.01)
    assert estimate_rhythm(features, level_model=_model(FASTEST)).tempo == pytest.approx(228.0, rel=0.01)


def test_a_click_track_without_harmony_keeps_the_rules_level() -> None:
    y, _, _ = click_track(114.0, 4, seconds=24.0)
    features = compute_features(y, SR)
    assert estimate_rhythm(features, level_model=_model(FASTEST)).tempo == pytest.approx(114.0, rel=0.01)


def test_shipped_model_loads_and_keeps_clear_click_tracks() -> None:
    model = shipped_level_model()
    assert model is not None and model.feature_names == LEVEL_FEATURES
    for bpm in (80.0, 128.0):
        y, _, _ = click_track(bpm, 4, seconds=24.0)
        assert estimate_rhythm(compute_features(y, SR)).tempo == pytest.approx(bpm, rel=0.01)


def test_rows_hold_each_candidate_the_rules_candidate_and_their_difference() -> None:
    features = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]])
    rows = level_rows(features, identity=1)
    np.testing.assert_array_equal(rows[0], [1.0, 2.0, 3.0, 5.0, -2.0, -3.0])
    np.testing.assert_array_equal(rows[1], [3.0, 5.0, 3.0, 5.0, 0.0, 0.0])


def test_a_deeper_tree_routes_each_row_to_its_leaf() -> None:
    n = len(LEVEL_FEATURES)
    # Split on column 0 at 0; the left child splits on the difference block's column 0 at 1.
    tree = Tree(
        feature=np.array([0, 2 * n, -1, -1, -1]),
        threshold=np.array([0.0, 1.0, 0, 0, 0], dtype=np.float32),
        left=np.array([1, 3, -1, -1, -1]),
        right=np.array([2, 4, -1, -1, -1]),
        value=np.array([0.0, 0.0, 10.0, 20.0, 30.0]),
    )
    rows = np.zeros((3, 3 * n))
    rows[0, 0] = 1.0  # right at the root
    rows[1, 2 * n] = 0.5  # left, then left
    rows[2, 2 * n] = 2.0  # left, then right
    np.testing.assert_array_equal(tree.predict(rows.astype(np.float32)), [10.0, 20.0, 30.0])


def test_model_json_round_trip_and_scores() -> None:
    model = _model(FASTEST, SLOWEST)
    again = LevelModel.from_dict(json.loads(json.dumps(model.to_dict())), expected=LEVEL_FEATURES)
    rows = np.zeros((2, 3 * len(LEVEL_FEATURES)))
    rows[0, LEVEL_FEATURES.index("log_tempo")] = 1.0  # fastest: 1 + 0
    rows[1, LEVEL_FEATURES.index("log_tempo")] = -1.0  # slowest: 0 + 1
    np.testing.assert_allclose(again.scores(rows), [0.5, 0.5])
    np.testing.assert_allclose(model.scores(rows), again.scores(rows))


def _tree_dict(**changes) -> dict:
    data = {**_model(FASTEST).to_dict()}
    data["trees"] = [{**data["trees"][0], **changes}]
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        ({**_model(FASTEST).to_dict(), "feature_names": list(LEVEL_FEATURES[:-1])}, "do not match"),
        ({**_model(FASTEST).to_dict(), "learning_rate": 0.0}, "positive"),
        ({**_model(FASTEST).to_dict(), "trees": []}, "no trees"),
        (_tree_dict(feature=[10_000, -1, -1]), "outside"),
        (_tree_dict(left=[0, -1, -1]), "follow their parent"),
        (_tree_dict(right=[7, -1, -1]), "follow their parent"),
        (_tree_dict(value=[0.0, float("nan"), 1.0]), "finite"),
        (_tree_dict(value=[0.0, 1.0]), "one length"),
    ],
)
def test_bad_model_json_is_refused(data, message) -> None:
    with pytest.raises(ValueError, match=message):
        LevelModel.from_dict(data, expected=LEVEL_FEATURES)


def test_missing_or_stale_model_file_leaves_the_rules_level(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert load_level_model(tmp_path / "absent.json", LEVEL_FEATURES) is None
    assert "not used" in caplog.text
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({**_model(FASTEST).to_dict(), "feature_names": ["tempo"]}))
    assert load_level_model(stale, LEVEL_FEATURES) is None


def test_a_broken_model_file_is_described_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    described = describe_level_model(broken, LEVEL_FEATURES)
    assert described["loaded"] is False and described["trees"] == 0
    assert described["error"].startswith("JSONDecodeError")


def _stabs(bpm: float = 110.0, seconds: float = 24.0) -> np.ndarray:
    """A horn section's staccato hits: a 70-ms triad on every beat (the chord changing each bar),
    silence between them, so the harmony sounds well under half the time."""
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    chords = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]
    for b, start in enumerate(np.arange(0.0, seconds - 1.0, 60.0 / bpm)):
        i = int(start * SR)
        for p in chords[(b // 4) % 4]:
            tone = note(p, 0.07, amplitude=0.2, decay=1.0)
            tone[-int(0.01 * SR) :] *= np.linspace(1.0, 0.0, int(0.01 * SR), dtype=np.float32)
            y[i : i + tone.size] += tone
    return y


def test_the_model_serves_staccato_harmony_but_not_drums_alone() -> None:
    stabs = compute_features(_stabs(), SR)
    pulse = track_pulse(stabs)
    assert pulse is not None
    evidence, beats, _, _ = pulse
    assert not _harmony_sustained(evidence.chroma)  # the case: chords between silences
    assert not level_model_serves(evidence, beats)  # the sustained-harmony test alone (the model's training)
    assert level_model_serves(evidence, beats, lambda: only_drums(stabs.semitone_spec))

    # Clicks are as short, but drums alone: no chords to read.
    click = compute_features(clicks(110.0, 24.0), SR)
    pulse = track_pulse(click)
    assert pulse is not None
    evidence, beats, _, _ = pulse
    assert not _harmony_sustained(evidence.chroma)
    assert not level_model_serves(evidence, beats, lambda: only_drums(click.semitone_spec))
