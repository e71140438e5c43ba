"""The peak of a signal as a converter reconstructs it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from ai.audio import loudness
from ai.audio.reconstructed_peak import ReconstructedPeak, reconstructed_peak

SR = 44100


def _bright(seed: int = 9) -> np.ndarray:
    """Noise up to 17 kHz, faded in and out (a band-limited signal whose reconstruction an FFT gives exactly)."""
    noise = np.random.default_rng(seed).normal(0, 1, SR)
    noise = scipy.signal.sosfilt(scipy.signal.butter(8, 17000, "lowpass", fs=SR, output="sos"), noise)
    y = np.stack([noise, noise[::-1]]) / np.abs(noise).max()
    fade = np.minimum(1.0, np.minimum(np.arange(SR), np.arange(SR)[::-1]) / 2000)
    return (y * fade).astype(np.float32)


def test_it_reads_what_an_fft_interpolation_reads() -> None:
    y = _bright()
    judge = 20 * np.log10(np.abs(scipy.signal.resample(y.astype(np.float64), 32 * SR, axis=1)).max())
    assert 20 * np.log10(reconstructed_peak(y=y, sr=SR)) == pytest.approx(judge, abs=0.01)
    assert 20 * np.log10(loudness.true_peak(y=y, sr=SR)) < judge - 0.03  # the BS.1770 filter reads it low


def test_a_signal_fed_in_blocks_reads_as_one_piece() -> None:
    y = _bright(seed=9)
    meter = ReconstructedPeak(channels=2, sr=SR)
    for start in range(0, y.shape[1], 1000):
        meter.feed(y[:, start : start + 1000])
    for size in (1, 7):  # blocks shorter than the interpolator's context
        meter.feed(np.zeros((2, size), dtype=np.float32))
    assert meter.peak() == pytest.approx(reconstructed_peak(y=y, sr=SR), abs=1e-6)


def test_a_tone_peaks_at_its_amplitude_between_samples() -> None:
    t = np.arange(SR) / SR
    fade = np.minimum(1.0, np.minimum(t, 1 - t) / 0.05)  # an abrupt start overshoots (Gibbs), as a converter does
    for freq in (5000, 11025, 18000):
        y = np.stack([0.5 * fade * np.sin(2 * np.pi * freq * t + 0.25 * np.pi)] * 2).astype(np.float32)
        assert reconstructed_peak(y=y, sr=SR) == pytest.approx(0.5, abs=0.0005), freq
