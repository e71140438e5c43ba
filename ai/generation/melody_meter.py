"""The meter of a melody alone: how its beat divides and how many beats its bars hold.

The analysis finds the meter of music with harmony from chord changes, a bass and drums
(:mod:`ai.analysis.rhythm`); a sung or played line alone gives it little of that: on the tune split's rendered
folk melodies of bench/melody_grid.py (re-timed to tempi usual for their metre), 13 of 60 got bars twice as
long as the tune's, mostly jigs counted in 4/4. Two cues of the line itself tell more:

- how its beat divides (:func:`division_log_ratio`): a jig's running eighths fall on the thirds of its
  dotted-quarter beat, a reel's on the halves of its quarter;
- how far apart its tune repeats (:func:`repetition`): folk tunes come in parts of eight bars (or phrases of
  four) that repeat, so the beat-synchronous chroma is most alike at a lag of 8 bars: 16 beats for bars of 2,
  24 for bars of 3, 32 for bars of 4.

:func:`melody_meter` combines them into a time signature for the accompaniment's grid (used only where the
recording is a melody alone: ``harmony_source == "melody"``); the bar phase is then chosen by the
harmoniser (:func:`~ai.generation.accompaniment.melody_bar_phase`).
"""

from __future__ import annotations

import numpy as np

from ai.generation.bar_harmony import span_chroma
from ai.generation.beat_following import FRAME_S

COMPOUND_LOG_RATIO = 0.1
"""A beat divides in three when the onsets on its thirds are at least exp(0.1) times stronger than on its half
(:func:`division_log_ratio`). Tune split of bench/melody_grid.py (varied tempi, the accompaniment's beats): jigs
on their dotted-quarter beat -0.13..+1.48 (14 of 17 above 0.1), every other line at most +0.06."""
ONSET_WINDOW = 0.04
"""The onset strength at a point of the beat is the envelope's peak within this share of a beat around it."""
PART_BARS = 8
"""Bars in a part of a tune: the lag (in bars) at which a tune repeats."""
BAR_CHOICES = (2, 3, 4)
"""Counted beats per bar a melody's bars may get."""
REPETITION_MARGIN = 0.1
"""Another bar length replaces the analysis's when its tune repeats this much more alike at its part's lag
(mean cosine of beat chroma, :func:`repetition`). With COMPOUND_LOG_RATIO, swept on the tune split (0.05-0.3 and
0.05-0.2): bar length right in 45-48 of 60 melodies, 0.1 and 0.1 among the best."""
MIN_OVERLAP = 8
"""A lag is measured only where this many beats repeat at it."""


def _peak_at(env: np.ndarray, times: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    """The peak of ``env`` (frames FRAME_S apart) within ``half_width`` seconds of each of ``times``."""
    out = np.zeros(times.shape)
    if env.size == 0:
        return out
    lo = np.clip(np.floor((times - half_width) / FRAME_S).astype(np.int64), 0, env.size - 1)
    hi = np.clip(np.ceil((times + half_width) / FRAME_S).astype(np.int64) + 1, 1, env.size)
    for i, (a, b) in enumerate(zip(lo.ravel(), hi.ravel(), strict=True)):
        out.flat[i] = float(env[a:b].max()) if b > a else 0.0
    return out


def division_log_ratio(onsets: np.ndarray, beats: np.ndarray) -> float:
    """How much more the line's onsets fall on the thirds of its beats than on their halves: the log of the
    mean onset strength at 1/3 and 2/3 of each beat over that at 1/2 (positive: the beat divides in three).
    ``onsets`` [shape=(frames,)]: the onset envelope, a frame every FRAME_S seconds
    (:func:`~ai.generation.beat_following.onset_envelope`); ``beats`` [shape=(n,)]: seconds. 0.0 with fewer
    than 3 beats."""
    b = np.asarray(beats, dtype=np.float64)
    if b.size < 3:
        return 0.0
    start, length = b[:-1], np.diff(b)
    fractions = np.array([1 / 3, 1 / 2, 2 / 3])
    times = start[:, None] + length[:, None] * fractions[None, :]
    peaks = _peak_at(np.asarray(onsets, dtype=np.float64), times, np.repeat(ONSET_WINDOW * length[:, None], 3, axis=1))
    mean = np.maximum(peaks, 0.0).mean(axis=0)
    third, half = 0.5 * (mean[0] + mean[2]), mean[1]
    return float(np.log((third + 1e-3) / (half + 1e-3)))


def repetition(chroma: np.ndarray, beats: np.ndarray, lags: tuple[int, ...]) -> dict[int, float]:
    """How alike the line is ``lag`` beats later, for each of ``lags``: the mean cosine between each beat's
    chroma and that of the beat ``lag`` later (``chroma`` [shape=(12, frames)]:
    :func:`~ai.generation.bar_harmony.chroma_frames`; ``beats``: seconds). Lags with fewer than MIN_OVERLAP
    beat pairs are left out."""
    b = np.asarray(beats, dtype=np.float64)
    if b.size < 2:
        return {}
    rows = span_chroma(chroma, list(zip(b[:-1].tolist(), b[1:].tolist(), strict=True)))
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
    out: dict[int, float] = {}
    for lag in lags:
        if len(rows) - lag >= MIN_OVERLAP:
            out[lag] = float(np.mean(np.sum(rows[:-lag] * rows[lag:], axis=1)))
    return out


def _bar_evidence(alike: dict[int, float], per_bar: int) -> float | None:
    """How much the tune repeats at parts of PART_BARS bars of ``per_bar`` beats (or phrases half as long, for
    bars of 3: a 3/4 or 6/8 tune counted in quarters shows its four-bar phrase); None where not measured."""
    lags = [PART_BARS * per_bar] + ([PART_BARS * per_bar // 2] if per_bar == 3 else [])
    found = [alike[lag] for lag in lags if lag in alike]
    return max(found) if found else None


def melody_meter(onsets: np.ndarray, chroma: np.ndarray, beats: np.ndarray, time_signature: str | None) -> str:
    """The time signature of a melody alone counted on ``beats`` (seconds; the analysis's, whose meter is
    ``time_signature``): compound (``6/8``, ``9/8``, ``12/8``: the beats are dotted quarters) when the beat
    divides in three (:func:`division_log_ratio` at least COMPOUND_LOG_RATIO), and bars of the length among
    BAR_CHOICES at which the tune repeats (:func:`repetition` at PART_BARS bars): the analysis's own unless
    another repeats REPETITION_MARGIN more alike; a compound line keeps bars of 2 (6/8, the jig's) unless 4
    does. ``onsets``, ``chroma``: as :func:`division_log_ratio` and :func:`repetition` read them."""
    top, bottom = (int(x) for x in (time_signature or "4/4").split("/"))
    was_compound = bottom == 8 and top % 3 == 0
    compound = division_log_ratio(onsets, beats) >= COMPOUND_LOG_RATIO
    choices = (2, 4) if compound else BAR_CHOICES
    current = 2 if compound else (top // 3 if was_compound else top)
    if current not in choices:
        return time_signature or "4/4"
    lags = {PART_BARS * n for n in choices} | ({PART_BARS * 3 // 2} if 3 in choices else set())
    alike = repetition(chroma, beats, tuple(sorted(lags)))
    evidence = {n: _bar_evidence(alike, n) for n in choices}
    best, own = current, evidence[current]
    if own is not None:  # unmeasured (a short recording): the analysis's bars stand
        rivals = {n: v for n, v in evidence.items() if v is not None and v >= own + REPETITION_MARGIN}
        if rivals:
            best = max(rivals, key=lambda n: rivals[n])
    if compound:
        return f"{3 * best}/8"
    return f"{best}/{4 if was_compound else bottom}"


__all__ = ["division_log_ratio", "melody_meter", "repetition"]
