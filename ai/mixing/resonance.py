"""Narrow resonances: peaks of a track's own fine spectrum (a tenth of an octave) above its smoothed
spectrum, each read as the RBJ bell that leaves that peak (:func:`find_resonances`), and the
findings they give (:func:`_resonance_findings`, called by :func:`ai.mixing.tonal.tonal_findings`).
How high a peak must be is learned per role from the training stems (``models/role_spectra.json``,
:meth:`ai.mixing.tonal.Thresholds.resonance_for`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ai.mixing.eq_curves import (
    MAX_GAIN_DB,
    _check_spectrum,
    _describe,
    _eq_action,
    eq_response_db,
    smoothed_db,
)
from ai.mixing.findings import Suggestion

RESONANCE_FINE_OCT = 1.0 / 24.0
"""Standard deviation (octaves) of the fine spectrum's window (0.1 octave wide at half height, at
least a bin): narrow enough for a Q 16 peak, wide enough to merge a chord's neighbouring partials."""
RESONANCE_BROAD_OCT = 1.0 / 3.0
"""Standard deviation (octaves) of the smoothed spectrum a resonance stands above."""
RESONANCE_RANGE_HZ = (150.0, 12000.0)
"""Resonances are looked for here: below 150 Hz one STFT bin (11 Hz) is wider than a tenth of an octave."""
RESONANCE_Q: tuple[float, ...] = (4.0, 5.7, 8.0, 11.0, 16.0)
"""Q of the resonance cuts tried."""
RESONANCE_CLIP_ROUNDS = 1
"""Rounds of clipping the fine curve to the smoothed one before a peak's prominence is read."""
MAX_RESONANCES = 2
"""Resonances reported per track (the strongest)."""
MIN_CUT_DB = 1.0
"""The smallest resonance cut worth suggesting (a narrower change is not heard)."""


@dataclass(frozen=True)
class Resonance:
    """A narrow peak of the fine spectrum: centre (Hz), its height over the smoothed spectrum as
    read (dB), and the Q and gain (dB) of the RBJ bell that reads like it."""

    freq_hz: float
    prominence_db: float
    q: float
    gain_db: float


BAND_EDGE_DROP_DB = 30.0
"""A band limit: the spectrum falls this much within BAND_EDGE_OCT and stays down above (a file made at a
lower rate and resampled, an MP3's low-pass). An instrument's own roll-off, 12-24 dB an octave, falls
2-4 dB over the same span; 16-kHz speech resampled to 44.1 kHz falls 33 dB from 7.55 to 8.48 kHz onto the
stem spectrum's floor, 73 dB under its level (40 missed it)."""
BAND_EDGE_OCT = 1.0 / 6.0
BAND_BODY_OCT = 0.5
BAND_BODY_DB = 20.0
"""A band limit cuts broadband sound: over the half octave under the edge the level stays within this of the edge's
(16-kHz speech resampled: within 5 dB). A lone sine falls as steeply on both sides of its own frequency, and read as
a band limit there (a 1-kHz test tone: "holds nothing above 1000 Hz")."""


def band_top_hz(spectrum: np.ndarray, freqs: np.ndarray) -> float | None:
    """The frequency (Hz) where the track's sound stops at a band limit, or None when it has none below the
    Nyquist frequency. Above such an edge the fine spectrum's smoothed floor would sink, so that the last
    partials under the edge read as a resonance tens of dB high (16-kHz speech resampled for the session:
    "a narrow resonance at 7620 Hz, 33.7 dB above its smoothed spectrum")."""
    grid = 1000.0 * 2.0 ** (np.arange(0.0, 48 * math.log2(float(freqs[-1]) / 1000.0)) / 48)
    if grid.size < 24:
        return None
    level = smoothed_db(spectrum=spectrum, freqs=freqs, grid=grid, sigma_oct=RESONANCE_FINE_OCT)
    level = level[np.isfinite(level)]  # the curve stops short of the Nyquist frequency (NYQUIST_SHARE)
    span = int(round(BAND_EDGE_OCT * 48))
    if level.size <= span:
        return None
    highest_above = np.maximum.accumulate(level[::-1])[::-1]  # the loudest level at or above each point
    drops = level[:-span] - highest_above[span:]
    body = int(round(BAND_BODY_OCT * 48))
    for edge in np.flatnonzero(drops >= BAND_EDGE_DROP_DB):
        under = level[max(0, edge - body) : edge + 1]
        if under.size > body and float(under.min()) >= float(level[edge]) - BAND_BODY_DB:
            return float(grid[edge])
    return None


def resonance_grid(nyquist_hz: float, top_hz: float | None = None) -> np.ndarray:
    """Frequencies (Hz) the fine spectrum is read at: 1/48 octave apart over RESONANCE_RANGE_HZ, up to 0.8 of
    the Nyquist frequency, and short of a band limit at ``top_hz`` (:func:`band_top_hz`) when there is one."""
    low, high = RESONANCE_RANGE_HZ
    high = min(high, 0.8 * nyquist_hz, math.inf if top_hz is None else top_hz)
    if high <= low:
        return np.zeros(0)
    return low * 2.0 ** (np.arange(0.0, 48 * math.log2(high / low) + 1) / 48)


def _smooth_log(values: np.ndarray, sigma_steps: float) -> np.ndarray:
    """Gaussian smoothing of a curve on a uniform log-frequency grid (edges renormalised)."""
    half = int(math.ceil(3 * sigma_steps))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_steps) ** 2)
    num = np.convolve(values, kernel, mode="same")
    den = np.convolve(np.ones_like(values), kernel, mode="same")
    return num / den


def _prominence(*, spectrum: np.ndarray, freqs: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Fine curve (RESONANCE_FINE_OCT) minus its smoothed, peak-clipped version (dB) on ``grid``."""
    return _above_floor(smoothed_db(spectrum=spectrum, freqs=freqs, grid=grid, sigma_oct=RESONANCE_FINE_OCT))


def _above_floor(fine: np.ndarray) -> np.ndarray:
    """``fine`` (dB on the 1/48-octave grid) minus its broad smoothing with the peaks clipped
    (RESONANCE_CLIP_ROUNDS rounds), so that a peak does not raise its own floor."""
    sigma_steps = RESONANCE_BROAD_OCT * 48
    floor = _smooth_log(fine, sigma_steps)
    for _ in range(RESONANCE_CLIP_ROUNDS):
        floor = _smooth_log(np.minimum(fine, floor), sigma_steps)
    result: np.ndarray = fine - floor
    return result


def _bell_prominence(centre: float, gain_db: float, q: float, grid: np.ndarray) -> np.ndarray:
    """The prominence curve an RBJ bell leaves on a flat spectrum, as :func:`_prominence` reads it
    (the fine window taken as RESONANCE_FINE_OCT on the 1/48-octave grid, as it is above ~300 Hz)."""
    power = 10 ** (eq_response_db(kind="bell", freq_hz=centre, gain_db=gain_db, q=q, freqs=grid) / 10)
    return _above_floor(10 * np.log10(_smooth_log(power, RESONANCE_FINE_OCT * 48)))


def find_resonances(*, spectrum: np.ndarray, freqs: np.ndarray, min_db: float = 0.0) -> list[Resonance]:
    """Peaks of the fine spectrum (RESONANCE_FINE_OCT) above its smoothed, peak-clipped version by at
    least ``min_db``, strongest first, each as the RBJ bell that leaves that peak.

    The smoothed spectrum (RESONANCE_BROAD_OCT, on the dB curve) is recomputed after clipping the
    fine curve to it (RESONANCE_CLIP_ROUNDS), so that a peak does not lift its own floor. The
    reading flattens a narrow peak (a +12 dB, Q 8 bell reads about 9 dB), so the bell's Q is the
    one whose reading on a flat spectrum has the peak's shape, and its gain the one whose reading
    has the peak's height.

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin.
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).
        min_db: smallest prominence (as read) returned.

    Returns:
        list[Resonance]: ``prominence_db`` is the read height, ``gain_db`` the bell's gain.
    """
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    grid = resonance_grid(float(freqs[-1]), band_top_hz(spectrum, freqs))
    if grid.size < 16 or float(spectrum[1:].sum()) <= 0:
        return []
    prominence = _prominence(spectrum=spectrum, freqs=freqs, grid=grid)
    edge = int(math.ceil(RESONANCE_BROAD_OCT * 48))  # the smoothing is one-sided at the ends
    inner = prominence[1:-1]
    peaks = np.flatnonzero((inner >= prominence[:-2]) & (inner > prominence[2:]) & (inner >= min_db)) + 1
    peaks = peaks[(peaks >= edge) & (peaks < grid.size - edge)]
    found: list[Resonance] = []
    for k in sorted(peaks, key=lambda j: -prominence[j])[: 2 * MAX_RESONANCES]:
        centre, height = float(grid[k]), float(prominence[k])
        window = np.abs(np.log2(grid / centre)) <= 0.25
        best = (math.inf, RESONANCE_Q[0], height)  # (error, q, gain)
        for q in RESONANCE_Q:
            gain = height
            for _ in range(3):  # the gain whose reading has the peak's height
                read = _bell_prominence(centre, gain, q, grid)
                gain = float(np.clip(gain * height / max(float(read[k]), 0.1), height, 3 * height))
            read = _bell_prominence(centre, gain, q, grid)
            error = float(np.mean((prominence[window] - read[window]) ** 2))
            if error < best[0]:
                best = (error, q, gain)
        found.append(Resonance(centre, height, best[1], best[2]))
    return sorted(found, key=lambda r: -r.prominence_db)


def _resonance_findings(
    *,
    name: str,
    filed: str,
    subject: str,
    role: str,
    spectrum: np.ndarray,
    freqs: np.ndarray,
    limits: tuple[float, float],
) -> list[Suggestion]:
    low, _ = limits
    out = []
    for res in find_resonances(spectrum=spectrum, freqs=freqs, min_db=low)[:MAX_RESONANCES]:
        priority = "low"
        # The cut that brings the peak down to what well-made parts show, not flat: a peak 0.3 dB over the
        # limit was told to cut 15 dB at Q 16 (a piano's most played note, QA session 29).
        gain = -min(res.gain_db * (res.prominence_db - low) / res.prominence_db, MAX_GAIN_DB)
        if -gain < MIN_CUT_DB:
            continue
        out.append(
            Suggestion(
                "tonal",
                f"{subject} ({role}) has a narrow resonance at {res.freq_hz:.0f} Hz, {res.prominence_db:.1f} dB "
                f"above its smoothed spectrum (well-made {role} parts stay under {low:.1f} dB).",
                priority,
                filed,
                f"EQ {name}: {_describe('bell', res.freq_hz, gain, res.q)}; sweep around {res.freq_hz:.0f} Hz "
                "for the exact ring.",
                float(min(0.9, 0.4 + 0.5 * (1 - low / res.prominence_db))),
                {
                    "freq_hz": res.freq_hz,
                    "deviation_db": res.gain_db,
                    "prominence_db": res.prominence_db,
                    "limit_db": low,
                    "q": res.q,
                    "role": role,
                },
                _eq_action("bell", res.freq_hz, gain, res.q),
                band="resonance",
                # Advice: whether a peak is the instrument's own body or a fault cannot be told from
                # one long-term spectrum (models/role_spectra.md).
                info=True,
            )
        )
    return out
