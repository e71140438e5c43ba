"""The features and the analysis-rate signal made a block at a time equal the one-pass results
(issue 14: bounded memory, identical answers). Block sizes are shrunk to cross many boundaries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soxr

from ai.analysis import features, pipeline
from ai.analysis.constants import ANALYSIS_SR
from ai.audio.decode import DecodedAudio

from .synth import SR, note


def _quiet_then_loud() -> np.ndarray:
    """Faint noise, then loud notes: the whole signal's loudest bin comes late, so a block's peak
    floor must not be the final one."""
    rng = np.random.default_rng(7)
    quiet = (1e-6 * rng.standard_normal(SR)).astype(np.float32)
    return np.concatenate([quiet, note(57, 1.0), note(64, 1.0), 1e-3 * quiet]).astype(np.float32)


def _arrays(f: features.SharedFeatures) -> dict[str, object]:
    return {k: v for k, v in dataclasses.asdict(f).items() if k != "y"}


def test_features_by_blocks_equal_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    y = _quiet_then_loud()
    monkeypatch.setattr(features, "_BLOCK_FRAMES", 1 << 20)
    whole = _arrays(features.compute_features(y, SR))
    monkeypatch.setattr(features, "_BLOCK_FRAMES", 7)
    blocks = _arrays(features.compute_features(y, SR))
    assert whole.keys() == blocks.keys()
    for key, value in whole.items():
        assert np.array_equal(np.asarray(value), np.asarray(blocks[key])), key
    assert float(np.asarray(whole["semitone_spec"]).sum()) > 0


def test_peaks_floor_is_the_whole_signals() -> None:
    y = _quiet_then_loud()
    mag_t = features.stft_magnitude(y).T
    freqs = np.linspace(0.0, SR / 2.0, mag_t.shape[1])
    one = features._SpectralPeaks(freqs)
    one.feed(0, np.ascontiguousarray(mag_t))
    split = features._SpectralPeaks(freqs)
    for start in range(0, mag_t.shape[0], 5):
        split.feed(start, np.ascontiguousarray(mag_t[start : start + 5]))
    for a, b in zip(one.result(), split.result(), strict=True):
        assert np.array_equal(a, b)
    # The faint first second has no peak above the floor set by the loud notes after it.
    t_idx, _, _ = split.result()
    assert t_idx.min() * features.HOP / SR > 0.9


@pytest.mark.parametrize(("sr", "channels"), [(44100, 2), (ANALYSIS_SR, 1), (48000, 3)])
def test_analysis_rate_by_blocks_equals_resampling_once(
    monkeypatch: pytest.MonkeyPatch, sr: int, channels: int
) -> None:
    monkeypatch.setattr(pipeline, "_BLOCK_FRAMES", 4096)
    rng = np.random.default_rng(sr)
    audio = DecodedAudio((0.2 * rng.standard_normal((channels, sr * 2 + 17))).astype(np.float32), sr)
    mono = audio.mono()
    expected = mono if sr == ANALYSIS_SR else soxr.resample(mono, sr, ANALYSIS_SR, quality="HQ")
    assert np.array_equal(pipeline.to_analysis_rate(audio), expected)


def test_tempo_of_a_signal_with_a_nan_late_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_BLOCK_FRAMES", 4096)
    samples = np.tile(note(57, 3.0), (2, 1))
    samples[1, -10] = np.nan
    assert pipeline.estimate_tempo(DecodedAudio(samples, SR)) is None


def test_peaks_dropped_above_the_semitone_reach_could_never_count() -> None:
    # The top semitone row takes peaks under MIDI 108 at any tuning in [-50, 50) cents.
    from ai.analysis.constants import MIDI_MIN, N_SEMITONES

    top_edge = 440.0 * 2.0 ** ((MIDI_MIN + N_SEMITONES - 69) / 12.0)
    assert top_edge <= features._SEMITONE_REACH_HZ < 440.0 * 2.0 ** ((MIDI_MIN + N_SEMITONES + 0.5 - 69) / 12.0)
    y = np.concatenate([note(100, 1.0), note(107, 1.0)]).astype(np.float32)  # E7 and B7 with partials above
    spec = features.compute_features(y, SR).semitone_spec
    assert spec[107 - 24].sum() > 0 and spec.shape[0] == N_SEMITONES


def test_peaks_spilled_to_a_file_give_the_same_features(monkeypatch: pytest.MonkeyPatch) -> None:
    # A long dense recording's peaks go to a frame file past _SPILL_PEAKS: the same features, no file left.
    import glob
    import tempfile

    y = np.concatenate([note(57, 1.0), note(64, 1.0), note(60, 1.0)]).astype(np.float32)
    monkeypatch.setattr(features, "_BLOCK_FRAMES", 16)
    held = _arrays(features.compute_features(y, SR))
    before = set(glob.glob(f"{tempfile.gettempdir()}/dawg-frames-*"))
    monkeypatch.setattr(features, "_SPILL_PEAKS", 50)
    spilled = _arrays(features.compute_features(y, SR))
    for key, value in held.items():
        assert np.array_equal(np.asarray(value), np.asarray(spilled[key])), key
    assert set(glob.glob(f"{tempfile.gettempdir()}/dawg-frames-*")) == before
    peaks = features._SpectralPeaks(np.linspace(0.0, SR / 2.0, 1025))
    mag_t = np.ascontiguousarray(features.stft_magnitude(y).T)
    for start in range(0, mag_t.shape[0], 16):
        peaks.feed(start, mag_t[start : start + 16])
    assert peaks._file is not None and peaks._file.path.exists() and peaks.tuning() == held["tuning_cents"]
    path = peaks._file.path
    peaks.take()
    assert not path.exists()
