"""Curves in dB on a log-frequency grid, the ground the tonal analyses share (:mod:`ai.mixing.tonal`,
:mod:`ai.mixing.resonance`, :mod:`ai.mixing.reference_match`): a long-term spectrum's level around
each grid frequency (:func:`smoothed_db`: a Gaussian window in log frequency, as a third-octave
band's power relative to the total), an RBJ-cookbook EQ's response (:func:`eq_response_db`: what
pedalboard's filters apply), and an EQ move as a finding suggests it (its action and words, at most
:data:`MAX_GAIN_DB`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

GRID_HZ: np.ndarray = 1000.0 * 2.0 ** (np.arange(-34, 27) / 6.0)
"""Centres of the tonal curve (Hz): 1/6 octave apart, 19.7 Hz to 20.2 kHz, through 1 kHz."""
SMOOTH_OCT = 1.0 / 6.0
"""Standard deviation (octaves) of the Gaussian window read at each grid frequency: its width at
half height is 0.39 octave, about a third-octave band: it evens out most of a part's single notes
while an EQ bell of Q up to ~3 keeps its shape."""
BAND_OCT = 1.0 / 3.0
"""Bandwidth (octaves) each curve level is expressed in: the power of a third-octave band."""
NYQUIST_SHARE = 0.9
"""Grid frequencies above this share of the Nyquist frequency are not measured (NaN)."""
CURVE_FLOOR_DB = -120.0
"""Floor of a curve level (dB relative to the track): an empty band reads this, not -inf."""
SILENT_POWER = 1e-10
"""A long-term spectrum whose total power (mean square, full scale 1) is below this (-100 dBFS)
is silent: it has no tonal balance."""
SHELF_Q = 0.707
"""Q of the shelves (the RBJ shelf with the steepest slope that does not overshoot)."""
MAX_GAIN_DB = 15.0
"""Largest gain (dB) a tonal move suggests; more is a different sound, not an EQ fix."""
SAMPLE_RATE = 44100.0
"""Sample rate the RBJ responses are computed at (the shape below 16 kHz barely depends on it)."""


@lru_cache(maxsize=16)
def _window_matrix(n_bins: int, bin_hz: float, sigma_oct: float, grid: tuple[float, ...]) -> np.ndarray:
    """np.ndarray [shape=(len(grid), n_bins)]: rows of Gaussian weights in log frequency (each at
    least a bin wide), normalised to sum 1 (a mean of the bins' powers)."""
    freqs = np.arange(n_bins) * bin_hz
    log_f = np.log2(np.maximum(freqs, bin_hz / 2))
    rows = np.zeros((len(grid), n_bins))
    for k, centre in enumerate(grid):
        sigma = max(sigma_oct, math.log2((centre + bin_hz) / centre))
        weights = np.exp(-0.5 * ((log_f - math.log2(centre)) / sigma) ** 2)
        weights[0] = 0.0  # the DC bin belongs to the DC offset
        weights[weights < 1e-6] = 0.0
        total = weights.sum()
        if total > 0:
            rows[k] = weights / total
    return rows


def _check_spectrum(spectrum: np.ndarray, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectrum = np.asarray(spectrum, dtype=np.float64)
    freqs = np.asarray(freqs, dtype=np.float64)
    if spectrum.ndim != 1 or spectrum.shape != freqs.shape or spectrum.size < 16:
        raise ValueError("spectrum and freqs must be 1-D arrays of the same length (at least 16 bins)")
    if freqs[0] != 0.0 or not np.all(np.diff(freqs) > 0):
        raise ValueError("freqs must be the rfft bin frequencies (0, df, 2 df, ...)")
    return spectrum, freqs


def smoothed_db(
    *, spectrum: np.ndarray, freqs: np.ndarray, grid: np.ndarray = GRID_HZ, sigma_oct: float = SMOOTH_OCT
) -> np.ndarray:
    """Level (dB) of a ``BAND_OCT``-wide band around each ``grid`` frequency, relative to the total.

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin (``TrackSpectra.spectrum``).
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz), 0 to Nyquist.
        grid: np.ndarray [shape=(n,)]: frequencies (Hz) to read the level at.
        sigma_oct: standard deviation (octaves) of the Gaussian window.

    Returns:
        np.ndarray [shape=(n,)]: dB relative to the total power; NaN above NYQUIST_SHARE of the
        Nyquist frequency or for a silent spectrum; at least CURVE_FLOOR_DB otherwise.
    """
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    grid = np.asarray(grid, dtype=np.float64)
    total = float(spectrum[1:].sum())
    out = np.full(grid.shape, np.nan)
    if not math.isfinite(total) or total <= 0:
        return out
    bin_hz = float(freqs[1])
    rows = _window_matrix(freqs.size, bin_hz, sigma_oct, tuple(float(g) for g in grid))
    density = rows @ spectrum  # mean power per bin around each grid frequency
    band_bins = grid * (2 ** (BAND_OCT / 2) - 2 ** (-BAND_OCT / 2)) / bin_hz
    with np.errstate(divide="ignore"):
        level = 10 * np.log10(np.maximum(density * band_bins / total, 0.0))
    valid = grid <= NYQUIST_SHARE * freqs[-1]
    out[valid] = np.maximum(level[valid], CURVE_FLOOR_DB)
    return out


def eq_response_db(
    *, kind: str, freq_hz: float, gain_db: float, q: float, freqs: np.ndarray, sample_rate: float = SAMPLE_RATE
) -> np.ndarray:
    """Magnitude response (dB) of an RBJ-cookbook biquad at ``freqs`` (what pedalboard's
    PeakFilter, LowShelfFilter, HighShelfFilter and a 2nd-order high-pass apply).

    Args:
        kind: "bell", "low_shelf", "high_shelf" or "high_pass".
        freq_hz: centre (bell) or corner (shelves, high-pass) in Hz.
        gain_db: gain at the centre / of the shelf (ignored by the high-pass).
        q: Q (bell bandwidth; shelf and high-pass slope, 0.707 the usual).
        freqs: np.ndarray [shape=(n,)]: frequencies (Hz).
        sample_rate: sample rate of the filter (Hz).

    Returns:
        np.ndarray [shape=(n,)]: gain in dB.
    """
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * min(freq_hz, 0.49 * sample_rate) / sample_rate
    alpha = math.sin(w0) / (2 * q)
    cos_w0 = math.cos(w0)
    if kind == "bell":
        b = (1 + alpha * a_gain, -2 * cos_w0, 1 - alpha * a_gain)
        a = (1 + alpha / a_gain, -2 * cos_w0, 1 - alpha / a_gain)
    elif kind in ("low_shelf", "high_shelf"):
        s = 2 * math.sqrt(a_gain) * alpha
        ap, am = a_gain + 1, a_gain - 1
        if kind == "low_shelf":
            b = (a_gain * (ap - am * cos_w0 + s), 2 * a_gain * (am - ap * cos_w0), a_gain * (ap - am * cos_w0 - s))
            a = (ap + am * cos_w0 + s, -2 * (am + ap * cos_w0), ap + am * cos_w0 - s)
        else:
            b = (a_gain * (ap + am * cos_w0 + s), -2 * a_gain * (am + ap * cos_w0), a_gain * (ap + am * cos_w0 - s))
            a = (ap - am * cos_w0 + s, 2 * (am - ap * cos_w0), ap - am * cos_w0 - s)
    elif kind == "high_pass":
        b = ((1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2)
        a = (1 + alpha, -2 * cos_w0, 1 - alpha)
    else:
        raise ValueError(f"unknown EQ kind {kind!r}")
    z = np.exp(-2j * math.pi * np.asarray(freqs, dtype=np.float64) / sample_rate)
    response = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    result: np.ndarray = 20 * np.log10(np.maximum(np.abs(response), 1e-12))
    return result


def _eq_action(kind: str, freq_hz: float, gain_db: float, q: float) -> dict[str, Any]:
    gain = float(np.clip(round(gain_db * 2) / 2, -MAX_GAIN_DB, MAX_GAIN_DB))
    return {"kind": "eq", "eq": {"type": kind, "freq_hz": float(round(freq_hz)), "gain_db": gain, "q": round(q, 2)}}


def _describe(kind: str, freq_hz: float, gain_db: float, q: float) -> str:
    verb = "cut" if gain_db < 0 else "boost"
    if kind == "bell":
        return f"{verb} {abs(gain_db):.1f} dB at {freq_hz:.0f} Hz (bell, Q {q:.1f})"
    return f"{kind.replace('_', ' ')} {verb} of {abs(gain_db):.1f} dB at {freq_hz:.0f} Hz"
