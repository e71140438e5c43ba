"""Beat tracking: Ellis's dynamic programming over the detection function (compiled with numba),
the sounding and sustained frames, the grid's continuation through held, onset-free stretches, the
robust line fit that gives the beat period, and :func:`_track`, which chains them at a given period
(step 3 of :mod:`ai.analysis.rhythm`); then :func:`follow_tempo`, which lets the final grid's beats
follow a tempo that moves (a second programme over beat frame and interval)."""

from __future__ import annotations

import numba
import numpy as np

from ai.analysis.rhythm.common import _spread

TIGHTNESS = 100.0
"""Weight of the squared log-ratio between an inter-beat interval and the period (Ellis)."""
TEMPO_CHANGE = 30.0
"""Weight of the squared log-ratio between an inter-beat interval and the one before it (the tempo
may move; 0: Ellis's single-period programme)."""
TEMPO_PULL = 30.0
"""Weight of the squared log-ratio between an interval and the global period."""
TEMPO_SLACK = 1.0
"""Frames by which an interval may differ from the one before it at no cost (a period between two
whole frames alternates between them)."""
TEMPO_RANGE = (0.7, 1.45)
"""The intervals considered, as ratios to the global period."""
FOLLOW_PHASE = 0.25
"""A grid beat moves to the tempo-following chain's beat within this many periods of it."""
DRIFT_CONTEXT = 4
DRIFT_STEP = 0.06
"""... and the chain's mean interval there lies within this ratio of its mean interval over the
DRIFT_CONTEXT beats on either side: a drifting tempo moves a few per cent over a bar, it does not
jump (a chain that rushes through a few beats it lost)."""
DRIFT_EVEN = 0.15
"""Where the grid has lost the chain (no chain beat within FOLLOW_PHASE), the chain's beats replace the
grid's when each of the chain's intervals there lies within this ratio of its mean interval over the
stretch and DRIFT_CONTEXT beats either side: a tempo that drifted from the grid's one period (a band that
speeds up), not a chain that stepped onto the off-beats (an interval half a period short or long)."""
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


@numba.njit(cache=True)
def _dp_beats_tempo(
    score: np.ndarray, period: float, lo_ratio: float, hi_ratio: float, change: float, pull: float, slack: float
) -> np.ndarray:  # pragma: no cover
    """Dynamic programming over (beat frame, interval to the previous beat): frame indices of the
    best beat chain whose interval may move from beat to beat. score: [shape=(n,)].

    Each interval costs ``pull`` x log(interval / period)^2 (the global tempo still holds the
    chain near its level) and ``change`` x log(interval / previous interval)^2 beyond ``slack``
    frames (a tempo that moves pays for each step, not for where it has got to)."""
    n = score.shape[0]
    lag_lo = max(1, int(np.floor(period * lo_ratio)))
    lag_hi = max(lag_lo, int(np.ceil(period * hi_ratio)))
    n_lags = lag_hi - lag_lo + 1
    neg = -1e30
    # Steps of more than about a third of the period are not visited: they would cost about as much
    # as a strong beat earns (a tempo does not jump that far from one beat to the next).
    reach = int(np.ceil(period * hi_ratio * 0.26)) + int(slack) + 1
    # The costs depend on the lags alone: computed once, not per frame.
    pull_cost = np.zeros(n_lags)
    step_cost = np.zeros((n_lags, n_lags))
    for k in range(n_lags):
        d = np.log((lag_lo + k) / period)
        pull_cost[k] = pull * d * d
        for j in range(n_lags):
            step = abs(np.log((lag_lo + k) / (lag_lo + j))) - np.log((lag_lo + j + slack) / (lag_lo + j))
            step_cost[k, j] = change * step * step if step > 0 else 0.0
    cum = np.full((n, n_lags), neg)
    back = -np.ones((n, n_lags), dtype=np.int64)
    best_at = score.copy()  # a chain may start on any frame
    for t in range(n):
        for k in range(n_lags):
            s = t - (lag_lo + k)
            if s < 0:
                break
            # From a chain that starts at s (no earlier interval to compare with) ...
            val = score[s]
            arg = -1
            # ... or from a chain whose last interval was lag_lo + j.
            for j in range(max(0, k - reach), min(n_lags, k + reach + 1)):
                v = cum[s, j] - step_cost[k, j]
                if v > val:
                    val = v
                    arg = j
            cum[t, k] = score[t] - pull_cost[k] + val
            back[t, k] = arg
            if cum[t, k] > best_at[t]:
                best_at[t] = cum[t, k]
    # End: the last local maximum of the best score per frame that is high enough (as _dp_beats).
    count = 0
    for t in range(1, n - 1):
        if best_at[t] > best_at[t - 1] and best_at[t] >= best_at[t + 1]:
            count += 1
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    vals = np.zeros(count)
    j = 0
    for t in range(1, n - 1):
        if best_at[t] > best_at[t - 1] and best_at[t] >= best_at[t + 1]:
            vals[j] = best_at[t]
            j += 1
    thresh = 0.5 * np.median(vals)
    end = -1
    for t in range(n - 2, 0, -1):
        if best_at[t] > best_at[t - 1] and best_at[t] >= best_at[t + 1] and best_at[t] >= thresh:
            end = t
            break
    if end < 0:
        return np.zeros(0, dtype=np.int64)
    # Backtrack from the end's best interval (none: a chain of one beat).
    k = -1
    top = score[end]
    for j in range(n_lags):
        if cum[end, j] > top:
            top = cum[end, j]
            k = j
    out = np.zeros(n, dtype=np.int64)
    m = 0
    t = end
    out[m] = t
    m += 1
    while k >= 0:
        s = t - (lag_lo + k)
        out[m] = s
        m += 1
        k = back[t, k]
        t = s
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


def follow_tempo(score: np.ndarray, beats: np.ndarray, period: float) -> np.ndarray:
    """The grid ``beats`` (fractional frames, at ``period``) with each beat moved to the nearest
    beat of a chain tracked through ``score`` whose intervals may move from beat to beat
    (:func:`_dp_beats_tempo`), when that beat lies within FOLLOW_PHASE periods of it; a stretch of
    grid beats with no chain beat that near is replaced by the chain's beats over it where the chain
    runs there at an even tempo (:func:`_follow_drift`: a tempo that drifted from the grid's one period).

    Where the chain has stepped off the grid's phase (a band whose off-beats are louder than its beats
    for a few bars), the grid's beats stay: the level and the phase were chosen on the grid, and
    taking the chain whole cost a Beatles song a quarter of its beats (beat F 0.90 -> 0.68).
    """
    if TEMPO_CHANGE <= 0 or beats.shape[0] < 8:
        return beats
    smooth = _smooth_for_dp(score, period)
    frames = _dp_beats_tempo(smooth, period, TEMPO_RANGE[0], TEMPO_RANGE[1], TEMPO_CHANGE, TEMPO_PULL, TEMPO_SLACK)
    if frames.shape[0] < 4:
        return beats
    chain = frames.astype(np.float64)
    nearest = np.clip(np.searchsorted(chain, beats), 1, chain.shape[0] - 1)
    nearest -= (beats - chain[nearest - 1]) < (chain[nearest] - beats)
    near = np.abs(chain[nearest] - beats) <= FOLLOW_PHASE * period
    moved: np.ndarray = np.where(near, chain[nearest], beats)
    # Two grid beats never share a chain beat at FOLLOW_PHASE < 0.5; keep the grid if they would.
    if not bool(np.all(np.diff(moved) > 0)):
        return beats
    return _follow_drift(moved, near, nearest, chain, period)


def _follow_drift(
    moved: np.ndarray, near: np.ndarray, nearest: np.ndarray, chain: np.ndarray, period: float
) -> np.ndarray:
    """The grid ``moved`` with each stretch of beats that no chain beat lies near (``near`` False; ``nearest``:
    each beat's nearest chain index) replaced by the chain's beats over that stretch where
    :func:`_drifted_chain` takes them. The grid runs at one period: a tempo that drifts far enough
    leaves it behind (half a period off by the end of a song that speeds up by a fifth), while the
    chain stays on the beats."""
    pieces: list[np.ndarray] = []
    n, i = moved.shape[0], 0
    while i < n:
        end = i + 1
        while end < n and near[end] == near[i]:
            end += 1
        pieces.append(moved[i:end])
        if not near[i]:
            left = int(nearest[i - 1]) if i > 0 else None
            right = int(nearest[end]) if end < n else None
            stretch = _drifted_chain(chain, period, end - i, left, right)
            pieces[-1] = moved[i:end] if stretch is None else stretch
        i = end
    return np.concatenate(pieces)


def _drifted_chain(
    chain: np.ndarray, period: float, count: int, left: int | None, right: int | None
) -> np.ndarray | None:
    """The chain's beats that replace a stretch of ``count`` grid beats between the chain beats ``left``
    and ``right`` that the grid shares (None: the grid's end there; the chain's ``count`` beats next to
    the shared one are taken), or None where the chain's intervals there are uneven (DRIFT_EVEN: a step
    of phase, not a tempo)."""
    if left is not None and right is not None:
        lo, hi = left, right
    elif left is not None:
        lo, hi = left, min(chain.shape[0] - 1, left + count)
    elif right is not None:
        lo, hi = max(0, right - count), right
    else:
        return None
    if hi - lo < 2:
        return None
    # Mean intervals (the chain's intervals are whole frames: a median would round the tempo).
    first, last = max(0, lo - DRIFT_CONTEXT), min(chain.shape[0] - 1, hi + DRIFT_CONTEXT)
    tempo = float(chain[last] - chain[first]) / (last - first) / period
    steps = np.diff(chain[lo : hi + 1]) / period
    if np.any(np.abs(np.log(steps / tempo)) > np.log1p(DRIFT_EVEN)):
        return None
    inside = float(chain[hi] - chain[lo]) / (hi - lo)
    sides = [float(chain[lo] - chain[first]) / (lo - first)] if lo - first >= 2 else []
    sides += [float(chain[last] - chain[hi]) / (last - hi)] if last - hi >= 2 else []
    if any(abs(np.log(side / inside)) > np.log1p(DRIFT_STEP) for side in sides):
        return None
    # The shared beats stay the grid's pieces on either side; at an end of the grid, the chain's beat there is taken.
    return chain[lo + (left is not None) : hi + (right is None)]
