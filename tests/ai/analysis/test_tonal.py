"""Key, mode, tuning and chords of synthetic chord progressions with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.features import compute_features
from ai.analysis.tonal import (
    KEY_PROFILES,
    TONICS,
    estimate_chords,
    estimate_key,
    key_correlations,
    refine_relative_key,
    relative_key,
)

from .synth import SR, clicks, progression

KEY_CASES = [
    ("C major", ["C", "F", "G7", "C"]),
    ("A minor", ["Am", "Dm", "E7", "Am"]),
    ("Eb major", ["Eb", "Ab", "Bb7", "Eb"]),
    ("F# minor", ["F#m", "Bm", "C#7", "F#m"]),
    ("B major", ["B", "E", "F#7", "B"]),
    ("D minor", ["Dm", "Gm", "A7", "Dm"]),
    ("G major", ["G", "C", "D7", "G"]),
]


@pytest.mark.parametrize(("key", "chords"), KEY_CASES)
def test_key_and_mode_of_cadential_progressions(key: str, chords: list[str]) -> None:
    y, _, _ = progression(chords, bpm=120.0)
    result = estimate_key(compute_features(y, SR))
    assert result.key == key
    assert result.runner_up != key
    assert 0.0 < result.confidence <= 1.0
    assert result.score >= result.runner_up_score


@pytest.mark.parametrize("cents", [-40.0, 25.0])
def test_key_survives_a_detuned_recording(cents: float) -> None:
    y, _, _ = progression(["Am", "Dm", "E7", "Am"], tuning_cents=cents)
    features = compute_features(y, SR)
    assert features.tuning_cents == pytest.approx(cents, abs=4.0)
    assert estimate_key(features).key == "A minor"


def test_a_lone_tone_has_no_key_but_a_triad_does() -> None:
    t = np.arange(SR * 3) / SR
    sine = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    lone = estimate_key(compute_features(sine, SR))
    # One pitch class (A, and the D its harmonic summation suggests) fits many keys alike.
    assert lone.key is None and lone.confidence == 0.0 and lone.why_none == "fewer than three pitch classes sound"
    triad = sum(np.sin(2 * np.pi * f * t) for f in (440.0, 554.37, 659.26)).astype(np.float32) * np.float32(0.1)
    assert estimate_key(compute_features(triad, SR)).key == "A major"


def test_silence_has_no_key() -> None:
    result = estimate_key(compute_features(np.zeros(SR * 2, dtype=np.float32), SR))
    assert result.key is None and result.confidence == 0.0


def test_noise_and_clicks_have_no_confident_key() -> None:
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(SR * 6)).astype(np.float32)
    assert estimate_key(compute_features(noise, SR)).key is None
    tonal_result = estimate_key(compute_features(progression(["C", "F", "G7", "C"])[0], SR))
    click_result = estimate_key(compute_features(clicks(120.0, 6.0), SR))
    assert click_result.confidence < 0.5 * tonal_result.confidence


def test_profiles_are_twelve_weights_and_pick_their_own_tonic() -> None:
    for name, (major, minor) in KEY_PROFILES.items():
        assert len(major) == len(minor) == 12
        for tonic in (0, 4, 9):
            corr = key_correlations(np.roll(np.asarray(major), tonic), (name,))
            assert int(np.argmax(corr)) == tonic
            corr = key_correlations(np.roll(np.asarray(minor), tonic), (name,))
            assert int(np.argmax(corr)) == 12 + tonic


@pytest.mark.parametrize(
    "chords",
    [["C", "Am", "F", "G7"], ["Dm7", "G7", "Cmaj7", "A7"], ["Ebm", "B", "Ab", "Bb7"], ["E", "C#m", "F#m7", "B7"]],
)
def test_chords_per_bar_with_known_downbeats(chords: list[str]) -> None:
    y, beats, downbeats = progression(chords, bpm=100.0)
    segments = estimate_chords(compute_features(y, SR), beat_times=beats, downbeat_times=downbeats)
    bar = downbeats[1] - downbeats[0]
    labels_at = [next(s.label for s in segments if s.start <= d + bar / 2 < s.end) for d in downbeats]
    assert labels_at == chords * 2


def test_chords_per_beat_without_downbeats() -> None:
    y, beats, _ = progression(["G", "D", "Em", "C"], bpm=120.0, beats_per_chord=2)
    segments = estimate_chords(compute_features(y, SR), beat_times=beats, downbeat_times=None)
    labels = [s.label for s in segments if s.label != "N"]
    assert labels == ["G", "D", "Em", "C"] * 2
    assert all(s.end > s.start for s in segments)


def test_chords_of_silence_are_no_chord() -> None:
    y = np.zeros(SR * 4, dtype=np.float32)
    segments = estimate_chords(compute_features(y, SR), beat_times=np.arange(0, 4, 0.5), downbeat_times=None)
    assert [s.label for s in segments] == ["N"]


def test_tonic_names() -> None:
    assert TONICS == ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@pytest.mark.parametrize(
    ("chords", "key"),
    [(["Am", "F", "C", "G"], "A minor"), (["C", "G", "Am", "F"], "C major"), (["Em", "C", "G", "D"], "E minor")],
)
def test_relative_keys_are_told_apart_by_the_opening_and_closing_chords(chords: list[str], key: str) -> None:
    # The two loops share their pitch content; only where the tonic chord sits differs.
    y, beats, downbeats = progression(chords * 2 + chords[:1], bpm=110.0, repeats=1)  # ends on the tonic
    features = compute_features(y, SR)
    segments = estimate_chords(features, beat_times=beats, downbeat_times=downbeats)
    refined = refine_relative_key(estimate_key(features), segments)
    assert refined.key == key
    assert refined.runner_up is not None and refined.key != refined.runner_up


def test_relative_key_names() -> None:
    assert relative_key("A minor") == "C major"
    assert relative_key("Eb major") == "C minor"
    assert relative_key("F# minor") == "A major"
