"""The whole analysis on synthetic audio: known answers, every field, and bad audio."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.pipeline import AnalysisResult, analyze, spectral_means, to_analysis_rate, warm_up
from ai.audio.decode import DecodedAudio
from utils.errors import UndecodableAudio

from .synth import clicks, progression

SR = 44100


def _as_audio(mono: np.ndarray, sr: int, channels: int = 2) -> DecodedAudio:
    return DecodedAudio(np.ascontiguousarray(np.tile(mono.astype(np.float32), (channels, 1))), sr)


@pytest.fixture(scope="module")
def song() -> tuple[AnalysisResult, dict]:
    """8 bars of A minor at 120 BPM (chords on every beat, bass on downbeats, clicks), stereo 44.1 kHz."""
    y, beats, downbeats = progression(["Am", "Dm", "E7", "Am"], bpm=120.0, sr=SR)
    y = y + 0.5 * np.resize(clicks(120.0, len(y) / SR, sr=SR), len(y))
    result = analyze(_as_audio(0.5 * y, SR))
    return result, {"beats": beats, "downbeats": downbeats, "duration": len(y) / SR}


def test_known_tempo_key_and_chords(song: tuple[AnalysisResult, dict]) -> None:
    result, truth = song
    assert result.tempo == pytest.approx(120.0, abs=1.0)
    assert result.key == "A minor"
    assert result.key_confidence > 0.3
    assert result.time_signature == "4/4"
    assert result.beats == len(result.beat_times) and result.beats >= 28
    ref = truth["beats"][4:-4]
    errors = [min(abs(t - r) for t in result.beat_times) for r in ref]
    assert np.median(errors) < 0.05
    labels = {c["label"] for c in result.chords}
    assert {"Am", "Dm"} <= labels and ("E7" in labels or "E" in labels)
    assert result.duration == pytest.approx(truth["duration"], abs=0.01)
    assert result.sample_rate == SR and result.channels == 2


def test_every_field_is_reported_and_json_ready(song: tuple[AnalysisResult, dict]) -> None:
    result, _ = song
    data = result.to_dict()
    for name in (
        "tempo",
        "tempo_confidence",
        "beat_times",
        "beats",
        "downbeat_times",
        "time_signature",
        "beat_division",
        "key",
        "key_confidence",
        "key_runner_up",
        "key_runner_up_score",
        "tuning_cents",
        "chords",
        "loudness_lufs",
        "true_peak_dbtp",
        "peak_dbfs",
        "loudness_range_lu",
        "crest_factor_db",
        "duration",
        "sample_rate",
        "channels",
        "spectral_centroid_mean",
        "spectral_rolloff_mean",
        "rms_mean",
        "zero_crossing_rate_mean",
        "notes",
    ):
        assert name in data
    json.dumps(data, allow_nan=False)
    assert data["peak_dbfs"] < 0.0
    assert all(set(c) == {"start", "end", "label"} for c in data["chords"])


def test_spectral_means_match_librosa_on_the_shared_stft() -> None:
    import librosa

    rng = np.random.default_rng(3)
    y = (0.1 * rng.standard_normal(ANALYSIS_SR * 2)).astype(np.float32)
    features = compute_features(y, ANALYSIS_SR)
    centroid, rolloff, rms = spectral_means(features)
    S = features.stft_mag
    assert centroid == pytest.approx(float(librosa.feature.spectral_centroid(S=S, sr=ANALYSIS_SR).mean()), rel=1e-3)
    assert rolloff == pytest.approx(float(librosa.feature.spectral_rolloff(S=S, sr=ANALYSIS_SR).mean()), rel=1e-2)
    assert rms == pytest.approx(0.1, rel=0.05)


def test_silence_is_answered_without_values_that_do_not_exist() -> None:
    result = analyze(DecodedAudio(np.zeros((2, SR * 3), dtype=np.float32), SR))
    assert result.tempo is None and result.tempo_confidence == 0.0
    assert result.key is None and result.key_confidence == 0.0
    assert result.beats == 0 and result.chords == []
    assert result.loudness_lufs is None and result.peak_dbfs is None
    assert any("silent" in note for note in result.notes)
    json.dumps(result.to_dict(), allow_nan=False)


def test_a_tenth_of_a_second() -> None:
    t = np.arange(int(0.1 * SR)) / SR
    result = analyze(_as_audio(0.3 * np.sin(2 * np.pi * 440.0 * t), SR, channels=1))
    assert result.tempo is None and result.beats == 0
    assert result.duration == pytest.approx(0.1, abs=1e-3)
    assert result.loudness_lufs is None
    assert result.notes


def test_clipped_audio_is_flagged_and_still_analysed() -> None:
    y, _, _ = progression(["C", "F", "G7", "C"], bpm=100.0, sr=SR)
    clipped = np.clip(8.0 * y, -1.0, 1.0)
    result = analyze(_as_audio(clipped, SR))
    assert result.clipped_fraction > 0.001
    assert any("clipped" in note for note in result.notes)
    assert result.key == "C major"
    assert result.peak_dbfs == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_channel_layouts(channels: int) -> None:
    y, _, _ = progression(["Eb", "Ab", "Bb7", "Eb"], bpm=110.0, sr=SR, repeats=1)
    result = analyze(_as_audio(0.5 * y, SR, channels=channels))
    assert result.channels == channels
    assert result.key == "Eb major"
    assert result.loudness_lufs is not None and math.isfinite(result.loudness_lufs)


def test_other_sample_rates_resample_once() -> None:
    y, _, _ = progression(["D", "G", "A7", "D"], bpm=100.0, sr=48000, repeats=1)
    audio = _as_audio(0.5 * y, 48000)
    mono = to_analysis_rate(audio)
    assert len(mono) == pytest.approx(audio.n_samples * ANALYSIS_SR / 48000, abs=2)
    assert analyze(audio).key == "D major"


def test_nan_is_a_decode_error() -> None:
    samples = np.zeros((2, SR), dtype=np.float32)
    samples[0, 100] = np.nan
    with pytest.raises(UndecodableAudio):
        analyze(DecodedAudio(samples, SR))


def test_warm_up_runs() -> None:
    warm_up()


def test_tempo_is_reported_in_quarter_notes_for_compound_meters() -> None:
    from ai.analysis.pipeline import _quarters_per_beat

    assert _quarters_per_beat("6/8") == 1.5 and _quarters_per_beat("12/8") == 1.5
    assert _quarters_per_beat("3/4") == 1.0 and _quarters_per_beat("4/4") == 1.0 and _quarters_per_beat(None) == 1.0
