"""Pink-ish noise at 44.1 kHz and pedalboard EQ on it, for the tonal, resonance and reference tests."""

from __future__ import annotations

import math

import numpy as np
import pedalboard
import scipy.signal

from ai.mixing.measure import track_spectra

SR = 44100
SECONDS = 8.0


def noise(*, seed: int, seconds: float = SECONDS) -> np.ndarray:
    """Noise falling 3 dB per octave above 200 Hz (pink-ish, like a mix's long-term spectrum)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(seconds * SR))
    b, a = scipy.signal.butter(1, 200, fs=SR)
    pinkish = scipy.signal.lfilter(b, a, white) + 0.05 * white
    return (0.1 * pinkish / np.std(pinkish)).astype(np.float32)


def eq(signal: np.ndarray, plugin: pedalboard.Plugin) -> np.ndarray:
    return pedalboard.Pedalboard([plugin])(signal[np.newaxis, :], SR)[0]


def spectrum_of(signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectra = track_spectra(signal, SR)
    return spectra.spectrum, spectra.freqs


def octaves(a: float, b: float) -> float:
    return abs(math.log2(a / b))
