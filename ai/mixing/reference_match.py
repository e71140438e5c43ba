"""Reference matching: the EQ that brings a master (or mix) toward a reference's tonal balance.

:func:`reference_eq` fits a third-octave matching curve of a master (or mix) to a reference as at
most :data:`REFERENCE_MAX_MOVES` shelves and bells (what ``suggest()`` answers a reference upload with).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ai.mixing.eq_curves import (
    CURVE_FLOOR_DB,
    MAX_GAIN_DB,
    NYQUIST_SHARE,
    SHELF_Q,
    SILENT_POWER,
    _check_spectrum,
    eq_response_db,
    smoothed_db,
)

REFERENCE_MAX_MOVES = 6
"""Moves in the reference matching curve."""
REFERENCE_MIN_DB = 1.0
"""A reference matching move smaller than this (dB) is not worth making: the fit stops."""
REFERENCE_RANGE_HZ = (30.0, 16000.0)
"""Frequency range the reference matching curve is fitted over (Hz)."""
REFERENCE_Q: tuple[float, ...] = (0.5, 0.7, 1.0, 1.4, 2.0)
"""Q of the bells the reference matching tries (matching is broad by nature)."""
REFERENCE_ACTIVE_DB = 50.0
"""Bands more than this below the reference's loudest band are not matched (noise floor)."""


def reference_eq(*, ours: np.ndarray, reference: np.ndarray, freqs: np.ndarray) -> list[dict[str, Any]]:
    """EQ moves that bring ``ours`` (a master or mix) toward ``reference``'s tonal balance.

    Both long-term spectra are read on a third-octave grid (REFERENCE_RANGE_HZ), relative to their
    totals; the difference (reference - ours) is aligned by its median over the bands where the
    reference has energy, and fitted greedily by at most REFERENCE_MAX_MOVES shelves and bells
    (RBJ responses, equal weights) until the largest remaining move is under REFERENCE_MIN_DB.

    Args:
        ours: np.ndarray [shape=(n_bins,)]: mean power per rfft bin of the master / mix.
        reference: np.ndarray [shape=(n_bins,)]: the same for the reference (same ``freqs``).
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).

    Returns:
        list of {"type": "bell" | "low_shelf" | "high_shelf", "freq_hz", "gain_db", "q"} in the
        order fitted (largest effect first); [] when either is silent or they already match.
    """
    ours, freqs = _check_spectrum(ours, freqs)
    reference, _ = _check_spectrum(reference, freqs)
    if float(ours[1:].sum()) < SILENT_POWER or float(reference[1:].sum()) < SILENT_POWER:
        return []
    low, high = REFERENCE_RANGE_HZ
    high = min(high, NYQUIST_SHARE * float(freqs[-1]))
    grid = low * 2.0 ** (np.arange(0.0, 3 * math.log2(high / low) + 1) / 3)
    a = smoothed_db(spectrum=ours, freqs=freqs, grid=grid, sigma_oct=1 / 6)
    b = smoothed_db(spectrum=reference, freqs=freqs, grid=grid, sigma_oct=1 / 6)
    mask = np.isfinite(a) & np.isfinite(b) & (b >= np.nanmax(b) - REFERENCE_ACTIVE_DB) & (a > CURVE_FLOOR_DB)
    if mask.sum() < 4:
        return []
    diff = b - a
    diff = diff - float(np.median(diff[mask]))
    nyquist = float(freqs[-1])
    moves: list[tuple[str, float, float]] = []
    for centre in grid[(grid >= 40) & (grid <= 0.8 * nyquist)]:
        moves.extend(("bell", float(centre), q) for q in REFERENCE_Q)
    moves.extend(("low_shelf", float(c), SHELF_Q) for c in grid[(grid >= 40) & (grid <= 300)])
    moves.extend(("high_shelf", float(c), SHELF_Q) for c in grid[(grid >= 2000) & (grid <= min(12000, 0.8 * nyquist))])
    shapes = np.array([eq_response_db(kind=k, freq_hz=f, gain_db=6.0, q=q, freqs=grid) / 6.0 for k, f, q in moves])
    shapes = shapes * mask
    norms = (shapes * shapes).sum(axis=1)
    residual = np.where(mask, diff, 0.0)
    out: list[dict[str, Any]] = []
    for _ in range(REFERENCE_MAX_MOVES):
        proj = shapes @ residual
        explained = np.where(norms > 0, proj * proj / np.maximum(norms, 1e-12), 0.0)
        best = int(np.argmax(explained))
        gain = float(proj[best] / norms[best]) if norms[best] > 0 else 0.0
        if abs(gain) < REFERENCE_MIN_DB:
            break
        kind, freq, q = moves[best]
        actual = eq_response_db(kind=kind, freq_hz=freq, gain_db=gain, q=q, freqs=grid) * mask
        scale = float((actual @ residual) / max(float(actual @ actual), 1e-12))
        gain = float(np.clip(gain * scale, -MAX_GAIN_DB, MAX_GAIN_DB))
        actual = eq_response_db(kind=kind, freq_hz=freq, gain_db=gain, q=q, freqs=grid) * mask
        residual = residual - actual
        out.append({"type": kind, "freq_hz": round(freq, 1), "gain_db": round(gain, 2), "q": q})
    return out
