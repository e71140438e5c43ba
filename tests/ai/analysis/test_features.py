"""Shared features on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR, HOP, MIDI_MIN, N_FFT, N_SEMITONES
from ai.analysis.features import compute_features, estimate_tuning, stft_magnitude

from .synth import SR, clicks, note


def test_shapes_and_frame_grid() -> None:
    y = np.zeros(SR * 2, dtype=np.float32)
    f = compute_features(y, ANALYSIS_SR)
    n_frames = 1 + len(y) // HOP
    assert f.n_frames == n_frames and f.mel.shape[1] == n_frames
    assert f.onset_env.shape == f.low_onset_env.shape == f.rms.shape == (n_frames,)
    assert f.spectral_centroid.shape == f.spectral_rolloff.shape == (n_frames,)
    assert f.chroma.shape == f.bass_chroma.shape == (12, n_frames)
    assert f.semitone_spec.shape == (N_SEMITONES, n_frames)
    assert f.frame_times[1] == pytest.approx(HOP / ANALYSIS_SR)
    assert f.freqs[-1] == pytest.approx(ANALYSIS_SR / 2)
    assert not f.chroma.any() and f.tuning_cents == 0.0  # silence: nothing pitched


def test_stft_matches_a_sine_bin() -> None:
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 1000.0 * t).astype(np.float32)
    mag = stft_magnitude(y)
    peak_bin = int(np.argmax(mag[:, 20]))
    assert abs(peak_bin * SR / N_FFT - 1000.0) < SR / N_FFT


def test_rms_of_a_full_scale_sine() -> None:
    t = np.arange(SR) / SR
    f = compute_features((0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32), SR)
    assert f.rms[10] == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_onset_envelope_peaks_on_clicks() -> None:
    y = np.concatenate([np.zeros(SR // 4, dtype=np.float32), clicks(120.0, 6.0)])
    f = compute_features(y, SR)
    peaks = [
        t
        for i, t in enumerate(f.frame_times[1:-1], start=1)
        if f.onset_env[i] > 0.5 * f.onset_env.max()
        and f.onset_env[i] >= f.onset_env[i - 1]
        and f.onset_env[i] >= f.onset_env[i + 1]
    ]
    expected = 0.25 + np.arange(0.0, 6.0, 0.5)
    assert len(peaks) == len(expected)
    assert np.max(np.abs(np.array(peaks) - expected)) < 0.035


@pytest.mark.parametrize("cents", [-35.0, -12.0, 0.0, 20.0, 40.0])
def test_tuning_is_measured(cents: float) -> None:
    y = sum(note(m, 3.0, tuning_cents=cents, decay=0.3) for m in (57, 60, 64, 69, 72))
    f = compute_features(np.asarray(y, dtype=np.float32), SR)
    assert f.tuning_cents == pytest.approx(cents, abs=3.0)


def test_estimate_tuning_wraps_to_half_a_semitone() -> None:
    freq = np.array([440.0 * 2 ** (0.49 / 12), 440.0 * 2 ** (-0.49 / 12)])
    assert abs(estimate_tuning(freq, np.ones(2))) > 45.0


def test_chroma_and_bass_chroma_of_a_chord_over_a_bass_note() -> None:
    # A minor triad (A C E) around middle C over a low F bass: chroma holds all four, bass only F.
    y = note(41, 2.0, amplitude=0.3, decay=0.3) + sum(note(m, 2.0, decay=0.3) for m in (57, 60, 64))
    f = compute_features(np.asarray(y, dtype=np.float32), SR)
    chroma = f.chroma.sum(axis=1)
    assert set(np.argsort(chroma)[-4:]) == {9, 0, 4, 5}
    bass = f.bass_chroma.sum(axis=1)
    assert int(np.argmax(bass)) == 5
    semitone = f.semitone_spec.sum(axis=1)
    assert semitone[41 - MIDI_MIN] > 0 and semitone[60 - MIDI_MIN] > 0


def test_low_onset_envelope_sees_a_kick_but_not_a_hi_hat() -> None:
    n = SR * 2
    t = np.arange(int(0.15 * SR)) / SR
    kick = (np.sin(2 * np.pi * 60.0 * t) * np.exp(-t / 0.05)).astype(np.float32)
    hat = (np.random.default_rng(1).standard_normal(400) * 0.3).astype(np.float32)
    hat = np.diff(hat, prepend=0.0).astype(np.float32)  # high-passed noise
    y = np.zeros(n, dtype=np.float32)
    y[SR // 2 : SR // 2 + len(kick)] += kick
    y[SR + SR // 4 : SR + SR // 4 + len(hat)] += hat
    f = compute_features(y, SR)
    kick_frame, hat_frame = int(0.5 * SR / HOP), int(1.25 * SR / HOP)
    kick_peak = f.low_onset_env[kick_frame - 2 : kick_frame + 3].max()
    hat_peak = f.low_onset_env[hat_frame - 2 : hat_frame + 3].max()
    assert kick_peak > 10 * max(hat_peak, 1e-6)
    assert f.onset_env[hat_frame - 2 : hat_frame + 3].max() > 0


def test_bad_input_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        compute_features(np.zeros((2, 100), dtype=np.float32), SR)
    with pytest.raises(ValueError):
        compute_features(np.array([0.0, np.nan], dtype=np.float32), SR)


def test_empty_and_tiny_signals() -> None:
    assert compute_features(np.zeros(0, dtype=np.float32), SR).n_frames == 1
    f = compute_features(note(69, 0.05), SR)
    assert f.n_frames == 1 + int(0.05 * SR) // HOP


def test_shared_mel_equals_the_filterbank_product() -> None:
    import librosa

    from ai.analysis.constants import MEL_FMAX, MEL_FMIN, N_MELS

    rng = np.random.default_rng(5)
    t = np.arange(SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 330.0 * t) + 0.05 * rng.standard_normal(SR)).astype(np.float32)
    f = compute_features(y, SR)
    basis = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=MEL_FMIN, fmax=MEL_FMAX)
    expected = basis @ stft_magnitude(y).astype(np.float64)
    assert f.mel.shape == (N_MELS, f.n_frames) and f.mel.dtype == np.float32
    np.testing.assert_allclose(f.mel, expected, rtol=1e-4, atol=1e-6 * float(expected.max()))
    # The 330 Hz tone's energy sits in the band whose centre is nearest 330 Hz.
    centres = librosa.mel_frequencies(n_mels=N_MELS + 2, fmin=MEL_FMIN, fmax=MEL_FMAX)[1:-1]
    assert int(np.argmax(f.mel[:, 20])) == int(np.argmin(np.abs(centres - 330.0)))
