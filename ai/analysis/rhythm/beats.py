"""Beat tracking: Ellis's dynamic programming over the detection function (compiled with numba),
the sounding and sustained frames, the grid's continuation through held, onset-free stretches, the
robust line fit that gives the beat period, and :func:`_track`, which chains them at a given period
(step 3 of :mod:`ai.analysis.rhythm`)."""

from __future__ import annotations

import numba
import numpy as np

from ai.analysis.rhythm.common import _spread

TIGHTNESS = 100.0
"""Weight of the squared log-ratio between an inter-beat interval and the period (Ellis)."""
HEAD_BEAT_FRAMES = 1.5
"""The grid is continued back to a beat up to this many frames (35 ms) before the first sounding frame."""
_SILENCE_DB = -60.0
"""Frames more than this far below the loudest frame count as silence."""
_SUSTAIN_DB = -20.0
"""The beat grid is continued through onset-free frames no further than this below the median
level of the music (a held chord, not its release)."""


@numba.njit(cache=True)
def _dp_beats(score: np.ndarray, period: float, tightness: float) -> np.ndarray:  # pragma: no cover
    """Ellis's dynamic programming: frame indices of the best beat chain. score: [shape=(n,)]."""
    n = score.shape[0]
    cum = np.zeros(n)
    back = -np.ones(n, dtype=np.int64)
    lo = max(1, int(round(period * 0.5)))
    hi = int(round(period * 2.0))
    for t in range(n):
        best = 0.0
        arg = -1
        for lag in range(lo, hi + 1):
            s = t - lag
            if s < 0:
                break
            d = np.log(lag / period)
            v = cum[s] - tightness * d * d
            if v > best:
                best = v
                arg = s
        cum[t] = score[t] + best
        back[t] = arg
    # End: the last local maximum of the cumulative score that is high enough.
    maxima = np.zeros(n, dtype=np.bool_)
    for t in range(1, n - 1):
        maxima[t] = cum[t] > cum[t - 1] and cum[t] >= cum[t + 1]
    count = 0
    for t in range(n):
        if maxima[t]:
            count += 1
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    vals = np.zeros(count)
    j = 0
    for t in range(n):
        if maxima[t]:
            vals[j] = cum[t]
            j += 1
    thresh = 0.5 * np.median(vals)
    end = -1
    for t in range(n - 2, 0, -1):
        if maxima[t] and cum[t] >= thresh:
            end = t
            break
    if end < 0:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    m = 0
    t = end
    while t >= 0:
        out[m] = t
        m += 1
        t = back[t]
    return out[:m][::-1].copy()


def _smooth_for_dp(odf: np.ndarray, period: float) -> np.ndarray:
    """The detection function convolved with a short Gaussian (std period/32) and scaled."""
    half = max(1, int(round(period / 2)))
    k = np.arange(-half, half + 1)
    win = np.exp(-0.5 * (k * 32.0 / period) ** 2)
    sm = np.convolve(odf, win, mode="same")
    return sm / _spread(sm)


def _sounding(rms: np.ndarray) -> np.ndarray:
    """Boolean [shape=(n,)]: frames within ``_SILENCE_DB`` of the loudest frame. rms: [shape=(n,)]."""
    energy = rms * rms
    peak = float(energy.max()) if energy.size else 0.0
    if peak <= 0:
        return np.zeros(energy.shape[0], dtype=bool)
    result: np.ndarray = energy > peak * 10.0 ** (_SILENCE_DB / 10.0)
    return result


def _sustained(rms: np.ndarray, sounding: np.ndarray) -> np.ndarray:
    """Boolean [shape=(n,)]: frames within ``_SUSTAIN_DB`` of the median level of the sounding
    frames (held notes, not the decay after the music stops)."""
    if not sounding.any():
        return sounding
    result: np.ndarray = rms > float(np.median(rms[sounding])) * 10.0 ** (_SUSTAIN_DB / 20.0)
    return result


def _fill_grid(beats: np.ndarray, sounding: np.ndarray, period: float) -> np.ndarray:
    """Extend the beat chain at the same period through sounding frames before/after it."""
    if beats.size == 0:
        return beats
    n = sounding.shape[0]
    where = np.flatnonzero(sounding)
    if where.size == 0:
        return beats[:0]
    first, last = int(where[0]), int(where[-1])
    local = float(np.median(np.diff(beats))) if beats.size > 2 else period
    # A beat that falls just before the first sounding frame still counts: music that starts on
    # the beat at sample 0 has its first onset inside frame 0, where a frame difference cannot
    # see it, and the beat a period before the chain's first one lands up to a frame short of 0.
    head = beats[0] - local * np.arange(1, int((beats[0] - first + HEAD_BEAT_FRAMES) / local) + 1)
    tail = beats[-1] + local * np.arange(1, int((last - beats[-1]) / local) + 1)
    out: np.ndarray = np.concatenate([head[::-1], beats.astype(np.float64), tail])
    out = out[(out >= first - HEAD_BEAT_FRAMES) & (out <= min(last, n - 1) + 0.5)]
    return out


def _refine_period(beat_frames: np.ndarray) -> tuple[float, float]:
    """Beat period (frames) from a robust line fit of beat frame against beat index.

    Returns (period, relative spread of the inter-beat intervals around it).
    """
    ibi = np.diff(beat_frames)
    med = float(np.median(ibi))
    # Index the beats by their position on the median grid (robust to a skipped beat).
    steps = np.maximum(1, np.round(ibi / med)).astype(np.int64)
    idx = np.concatenate([[0], np.cumsum(steps)]).astype(np.float64)
    keep = np.ones(beat_frames.shape[0], dtype=bool)
    for _ in range(3):
        slope, icpt = np.polyfit(idx[keep], beat_frames[keep], 1)
        resid = beat_frames - (slope * idx + icpt)
        mad = float(np.median(np.abs(resid[keep]))) + 1e-9
        keep = np.abs(resid) <= max(3.0 * 1.4826 * mad, 1.0)
        if keep.sum() < 4:
            break
    spread = float(np.std(ibi / steps) / med)
    return float(slope), spread


def _track(score: np.ndarray, period: float, sustained: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """Beats (fractional frames) at ``period`` through ``score``, the refined period and the
    relative spread of the intervals; None when fewer than 4 beats are found."""
    frames = _dp_beats(_smooth_for_dp(score, period), period, TIGHTNESS)
    if frames.shape[0] < 4:
        return None
    beats = frames.astype(np.float64)
    period, spread = _refine_period(beats)
    return _fill_grid(beats, sustained, period), period, spread
