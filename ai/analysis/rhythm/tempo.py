"""Tempo evidence: the autocorrelation of the detection function read through a harmonic comb
(lags p, 2p, 3p, 4p), and the log-normal tempo prior it is weighted by (step 2 of
:mod:`ai.analysis.rhythm`). The peak-picked autocorrelation helpers are also read by
:mod:`ai.analysis.rhythm.meter`."""

from __future__ import annotations

import numpy as np

from ai.analysis.rhythm.common import PRIOR_BPM, PRIOR_OCTAVES


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased, normalised autocorrelation of ``x`` minus its mean, lags 0..max_lag."""
    x = x - x.mean()
    n = x.shape[0]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[: max_lag + 1]
    acf = acf / np.maximum(n - np.arange(max_lag + 1), 1)
    result: np.ndarray = acf / acf[0] if acf[0] > 0 else acf
    return result


def _peak_picked_acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """:func:`_autocorrelation` of ``x`` with each lag raised to the largest of its +-1 neighbours,
    so that a fractional period read by :func:`_interp` does not fall between samples."""
    acf = _autocorrelation(x, max_lag)
    peak = acf.copy()
    peak[1:] = np.maximum(peak[1:], acf[:-1])
    peak[:-1] = np.maximum(peak[:-1], acf[1:])
    return peak


def _interp(acf: np.ndarray, lags: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.interp(lags, np.arange(acf.shape[0]), acf, right=0.0)
    return result


def tempo_strength(odf: np.ndarray, *, frame_rate: float, bpms: np.ndarray, harmonics: int = 4) -> np.ndarray:
    """Periodicity evidence for each tempo in ``bpms``: mean autocorrelation at k * period.

    odf: np.ndarray [shape=(n,)] -> np.ndarray [shape=bpms.shape].
    """
    periods = 60.0 * frame_rate / bpms
    max_lag = int(min(odf.shape[0] - 1, np.ceil(periods.max() * harmonics) + 2))
    peak = _peak_picked_acf(odf, max_lag)
    strength = np.zeros_like(bpms)
    for k in range(1, harmonics + 1):
        strength += _interp(peak, k * periods)
    return strength / harmonics


def log_normal_prior(bpms: np.ndarray, *, mode: float = PRIOR_BPM, octaves: float = PRIOR_OCTAVES) -> np.ndarray:
    """exp(-0.5 * (log2(bpm / mode) / octaves)^2)."""
    return np.exp(-0.5 * (np.log2(bpms / mode) / octaves) ** 2)
