"""The role classifier's features (known values on synthetic signals), model file and answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.signal

from ai.analysis.level_model import LevelModel, Tree
from ai.mixing import role_model
from ai.mixing.role_model import (
    ANALYSIS_RATE,
    FEATURE_NAMES,
    HOP,
    N_FFT,
    SHIPPED_MODEL,
    RoleModel,
    classify_role,
    describe_role_model,
    load_role_model,
    role_features,
)
from utils.errors import ModelUnavailable

SR = 44100
SECONDS = 8.0


def feature(values: np.ndarray, name: str) -> float:
    return float(values[FEATURE_NAMES.index(name)])


def sine(freq: float, *, amp: float = 0.5, seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def bursts(
    *, every: float, tau: float, seconds: float = SECONDS, sr: int = SR, highpass: float = 0.0, seed: int = 3
) -> np.ndarray:
    """White-noise hits every ``every`` s, each decaying with time constant ``tau`` s (an idealised hi-hat)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    noise = rng.standard_normal(n)
    if highpass:
        noise = scipy.signal.sosfilt(scipy.signal.butter(4, highpass, btype="high", fs=sr, output="sos"), noise)
    t = (np.arange(n) / sr) % every
    return (0.3 * noise * np.exp(-t / tau)).astype(np.float32)


def kick_hits(*, every: float = 0.5, seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    """A pitch-dropping sine thump (120 -> 50 Hz) with a click, every ``every`` s (an idealised kick)."""
    n = int(seconds * sr)
    t = np.arange(int(0.4 * sr)) / sr
    freq = 50 + 70 * np.exp(-t / 0.03)
    hit = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.12)
    hit[: int(0.002 * sr)] += np.random.default_rng(5).standard_normal(int(0.002 * sr)) * 0.3
    out = np.zeros(n)
    for start in range(0, n - hit.size, int(every * sr)):
        out[start : start + hit.size] += hit
    return (0.8 * out).astype(np.float32)


def bass_line(*, seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    """Eighth notes at 120 bpm on A1, C2, E2, G2 with five harmonics and a plucked decay (an idealised bass)."""
    n = int(seconds * sr)
    out = np.zeros(n)
    note = int(0.25 * sr)
    t = np.arange(note) / sr
    for k, start in enumerate(range(0, n - note, note)):
        f0 = (55.0, 65.41, 82.41, 98.0)[(k // 2) % 4]
        tone = sum(np.sin(2 * np.pi * f0 * h * t) / h**1.5 for h in range(1, 6))
        out[start : start + note] += tone * np.exp(-t / 0.4) * np.minimum(1.0, t / 0.005)
    return (0.4 * out).astype(np.float32)


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.stack([mono, mono])


def test_features_of_a_sine_are_its_known_values():
    values = role_features(samples=stereo(sine(440.0)), sr=SR)
    assert values is not None and values.shape == (len(FEATURE_NAMES),) and values.dtype == np.float32
    bin_octaves = np.log2((440.0 + ANALYSIS_RATE / N_FFT) / 440.0)  # one bin's width, in octaves
    assert feature(values, "spectrum_peak_oct") == pytest.approx(np.log2(0.44), abs=bin_octaves)
    assert feature(values, "fundamental_median_oct") == pytest.approx(np.log2(0.44), abs=bin_octaves)
    assert feature(values, "band_355_500_db") == pytest.approx(0.0, abs=0.1)  # all the energy in 355-500 Hz
    assert feature(values, "chroma_peak") > 0.95  # one pitch class (A)
    assert feature(values, "tonal_share") > 0.9  # the peak bin and its neighbours
    assert feature(values, "flatness_mean_db") < -30.0
    assert feature(values, "stereo_width") == pytest.approx(0.0, abs=1e-6)
    assert feature(values, "stereo_correlation") == pytest.approx(1.0, abs=1e-6)
    assert feature(values, "active_share") == pytest.approx(1.0)
    assert feature(values, "level_p50_db") == pytest.approx(0.0, abs=0.1)
    assert feature(values, "partials_median") == 1.0


def test_features_of_noise_bursts_are_their_known_values():
    every = 0.25
    left = bursts(every=every, tau=0.1)
    right = bursts(every=every, tau=0.1, seed=4)  # same envelope, unrelated noise
    values = role_features(samples=np.stack([left, right]), sr=SR)
    assert values is not None
    assert feature(values, "onset_rate_hz") == pytest.approx(1.0 / every, rel=0.1)
    # White noise: a frame's spectral flatness is about exp(-Euler gamma), -2.5 dB.
    assert feature(values, "flatness_mean_db") == pytest.approx(-2.5, abs=1.0)
    assert feature(values, "tonal_share") < 0.2  # random local maxima only (a sine: > 0.9)
    assert feature(values, "stereo_correlation") == pytest.approx(0.0, abs=0.1)
    assert feature(values, "stereo_width") == pytest.approx(0.5, abs=0.05)
    # Each hit falls 10 log10(e^2) = 8.7 dB per 0.1 s: ~4 dB after 4 frames (93 ms) from the frame's peak.
    assert feature(values, "decay_short_db") == pytest.approx(4 * HOP / ANALYSIS_RATE / 0.1 * 8.69, abs=2.0)


def test_features_do_not_depend_on_gain_or_sample_rate():
    mono = kick_hits() + 0.3 * sine(220.0)
    at_unity = role_features(samples=stereo(mono), sr=SR)
    quiet = role_features(samples=stereo(mono * 10 ** (-40 / 20)), sr=SR)
    np.testing.assert_allclose(quiet, at_unity, atol=1e-2)
    at_48k = role_features(samples=stereo(scipy.signal.resample_poly(mono, 160, 147).astype(np.float32)), sr=48000)
    np.testing.assert_allclose(at_48k, at_unity, atol=0.5)


def test_a_mono_array_reads_as_a_centred_stem():
    mono = sine(440.0)
    np.testing.assert_allclose(role_features(samples=mono, sr=SR), role_features(samples=stereo(mono), sr=SR))


def test_silence_has_no_features_and_no_role():
    silent = np.zeros((2, SR * 2), dtype=np.float32)
    assert role_features(samples=silent, sr=SR) is None
    model = load_role_model()
    assert model is not None
    answer = classify_role(samples=silent, sr=SR, model=model)
    assert answer.role == "other" and answer.confidence == 0.0


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError):
        role_features(samples=np.zeros((2, 0), dtype=np.float32), sr=SR)
    with pytest.raises(ValueError):
        role_features(samples=np.full((2, SR), np.nan, dtype=np.float32), sr=SR)
    with pytest.raises(ValueError):
        role_features(samples=sine(440.0), sr=4000)


def test_shipped_model_loads_and_round_trips():
    model = load_role_model()
    assert model is not None
    assert set(model.classes) >= {"kick", "snare", "hihat", "bass", "guitar", "keys"}
    assert 0.0 <= model.min_confidence < 1.0
    assert describe_role_model()["loaded"] is True
    again = RoleModel.from_dict(json.loads(json.dumps(model.to_dict())))
    rows = np.random.default_rng(0).normal(0, 10, (5, len(FEATURE_NAMES))).astype(np.float32)
    np.testing.assert_allclose(again.probabilities(rows), model.probabilities(rows), atol=1e-12)
    np.testing.assert_allclose(model.probabilities(rows).sum(axis=1), 1.0)


def test_model_with_other_features_or_broken_trees_is_refused(tmp_path):
    data = json.loads(SHIPPED_MODEL.read_text())
    renamed = dict(data, feature_names=[*data["feature_names"][:-1], "something_else"])
    with pytest.raises(ValueError, match="features"):
        RoleModel.from_dict(renamed)
    cyclic = json.loads(json.dumps(data))
    cyclic["trees"][0][0]["left"][0] = 0
    with pytest.raises(ValueError):
        RoleModel.from_dict(cyclic)
    with pytest.raises(ValueError, match="not roles"):
        RoleModel.from_dict(dict(data, classes=["kazoo", *data["classes"][1:]]))
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(renamed))
    assert load_role_model(path) is None
    assert describe_role_model(path)["loaded"] is False
    assert load_role_model(tmp_path / "missing.json") is None


def test_no_model_is_a_model_unavailable_error(monkeypatch):
    monkeypatch.setattr(role_model, "load_role_model", lambda path=SHIPPED_MODEL: None)
    with pytest.raises(ModelUnavailable):
        classify_role(samples=stereo(sine(440.0)), sr=SR)


def test_probabilities_are_the_softmax_of_prior_plus_trees():
    """A hand-built two-class model: one split on the first feature, known leaf values."""
    tree = Tree(
        feature=np.array([0, -1, -1]),
        threshold=np.array([0.5, 0.0, 0.0], dtype=np.float32),
        left=np.array([1, -1, -1]),
        right=np.array([2, -1, -1]),
        value=np.array([0.0, -2.0, 2.0]),
    )
    flat = Tree(np.array([-1]), np.zeros(1, dtype=np.float32), np.array([-1]), np.array([-1]), np.array([0.0]))
    model = RoleModel(
        feature_names=FEATURE_NAMES,
        classes=("kick", "bass"),
        prior=np.array([0.0, np.log(3.0)]),
        forests=(LevelModel(FEATURE_NAMES, 0.5, (tree,)), LevelModel(FEATURE_NAMES, 0.5, (flat,))),
        min_confidence=0.5,
    )
    rows = np.zeros((2, len(FEATURE_NAMES)), dtype=np.float32)
    rows[1, 0] = 1.0
    # Row 0: scores (-1, log 3) -> P(kick) = e^-1 / (e^-1 + 3); row 1: (1, log 3) -> e / (e + 3).
    expected = np.array([np.exp(-1) / (np.exp(-1) + 3), np.e / (np.e + 3)])
    np.testing.assert_allclose(model.probabilities(rows)[:, 0], expected)


@pytest.mark.parametrize(
    ("make", "role"),
    [(kick_hits, "kick"), (lambda: bursts(every=0.125, tau=0.03, highpass=3000.0), "hihat"), (bass_line, "bass")],
)
def test_shipped_model_hears_idealised_parts(make, role):
    """A kick, closed hi-hat sixteenths (noise from 3 kHz up) and a plucked bass line, idealised.
    (Noise only above 5-6 kHz reads as "drums": General MIDI's shakers and cabasas, which the
    renders put in the Drums stem.)"""
    answer = classify_role(samples=stereo(make()), sr=SR)
    assert answer.role == role, answer.probabilities
    assert sum(answer.probabilities.values()) == pytest.approx(1.0)


def test_a_stem_whose_name_says_nothing_gets_its_role_from_the_audio():
    from ai.audio.decode import DecodedAudio
    from ai.mixing.measure import TrackInput, prepare_tracks

    tracks = [
        TrackInput("Audio 1", DecodedAudio(stereo(kick_hits()), SR)),
        TrackInput("Audio 2", DecodedAudio(stereo(bass_line()), SR)),
        TrackInput("Kick", DecodedAudio(stereo(bass_line()), SR)),  # the name wins when it is clear
    ]
    first, second, named = prepare_tracks(tracks)
    assert (first.role, second.role, named.role) == ("kick", "bass", "kick")
    assert any("heard from the audio" in note for note in first.notes)
    assert not any("heard from the audio" in note for note in named.notes)
    # A role given by the caller wins over both.
    (given,) = prepare_tracks(tracks[:1], roles={"Audio 1": "snare"})
    assert given.role == "snare"
