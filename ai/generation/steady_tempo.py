"""A steady song gets a steady tempo map: the followed beats, or a constant-tempo or linear-ramp grid through them,
whichever explains the recording's onsets best once each model pays for its free parameters.

:func:`~ai.generation.beat_following.followed_beats` follows the tracker's beats beat by beat (a robust local
parabola over two bars each side). Where the attacks are soft and legato (an organ hymn, strings) the tracker's
beats carry 20-90 ms of jitter that no prominent onset corrects, and the local fit turns it into a slow wave: on a
render played at a constant 123 BPM the map ran 93.9-166.7 BPM. A band that speeds up or a pianist's rubato needs
the followed beats; a song played to a click does not.

The decision (:func:`steady_beats`), in two model selections:

1. :func:`steady_grid`: a constant tempo (a line through the followed beats against their number) or a linear
   tempo ramp (a parabola), each the curve most beats agree on (RANSAC, then Tukey's biweight: a stretch where
   the tracker held the off-beats does not pull it), chosen by a BIC on the beats' truncated squared distances
   (the ramp's curvature must earn log(n)).
2. The followed beats against that grid: each sequence is scored by the onset strength it sits on
   (:func:`onset_support`: the log of the smoothed onset envelope at each beat over its median around the beat,
   averaged over the beats), and the followed beats, a free parameter a beat, must gain FOLLOW_PRICE a beat to be
   kept. They are kept too where they stray from the grid as a tempo of their own does (:func:`traces_a_tempo`:
   far and smoothly, as a band without a click drifts), which a dense mix's onsets cannot tell from the grid.
"""

from __future__ import annotations

import numpy as np

FOLLOW_PRICE = 0.05
"""Mean log-support per beat the followed beats must gain over the steady grid's to be kept: each beat is a free
parameter of theirs, the grid has two or three in all."""
JITTER_S = 0.035
"""Followed beats within this of the steady grid (three quarters of them: the followed beats past the music's end
may wander off) stray by a tracker's jitter: the grid is taken. On the tuning renders a quarter of the followed
beats lie 1-21 ms from it; on a Beatles song whose band drifts, 52 ms."""
SLIP_SHARE = 0.2
"""... and further from it, by a tempo of their own unless they step this share of a beat from one beat to the
next somewhere (a rubato on a string quartet moves its beats up to 0.11 of a beat a beat, a tracker's slip onto
the off-beats 0.3)."""
SUPPORT_SMOOTH_S = 0.010
"""The onset envelope is smoothed by a Gaussian this wide (std) before it is read at the beats: a grid beat a few
ms from an attack's rise still sits on it."""
SUPPORT_CONTEXT_S = 0.5
"""An onset's strength is read against the envelope's median within this distance of the beat."""
CONSENSUS_DRAWS = 300
CONSENSUS_S = 0.025
"""A beat within this of a drawn curve agrees with it (the followed beats wave up to about 20 ms around a steady
render's true beats)."""
FIT_PASSES = 8
FIT_REACH_S = 0.040
"""A beat this far from the fitted curve weighs nothing in the next pass (Tukey's biweight)."""
MIN_BEATS = 16
"""Fewer beats than this keep the followed ones: too few to tell a steady tempo from a moving one."""


def beat_numbers(beats: np.ndarray) -> np.ndarray:
    """Each beat's number on the median interval's grid (a skipped beat counts): 0, 1, 2, ..."""
    intervals = np.diff(beats)
    steps = np.maximum(1, np.round(intervals / float(np.median(intervals))))
    return np.concatenate([[0.0], np.cumsum(steps)])


def robust_curve(beats: np.ndarray, degree: int) -> np.ndarray:
    """The robust polynomial of ``degree`` (1: a constant tempo, 2: a linear tempo ramp) of the beats' times
    against their numbers (:func:`beat_numbers`), at each beat's number: the curve most beats agree on
    (:func:`consensus_weights`), then refined with Tukey's biweight."""
    numbers = beat_numbers(beats)
    weights = consensus_weights(beats, numbers, degree)
    fitted = beats
    for _ in range(FIT_PASSES):
        coef = np.polyfit(numbers, beats, degree, w=np.sqrt(weights))
        fitted = np.polyval(coef, numbers)
        # Tukey's biweight: a beat FIT_REACH_S off the curve (a tracker's slip, a ritardando it imagined at the
        # end) weighs nothing, so a handful of them cannot bend the grid the other beats agree on.
        distance = np.abs(beats - fitted)
        weights = np.maximum(0.0, 1.0 - (distance / FIT_REACH_S) ** 2) ** 2 + 1e-9
    return np.asarray(fitted, dtype=np.float64)


def consensus_weights(beats: np.ndarray, numbers: np.ndarray, degree: int) -> np.ndarray:
    """1.0 for the beats within CONSENSUS_S of the polynomial through ``degree`` + 1 of them that most beats lie
    that near (RANSAC over CONSENSUS_DRAWS seeded draws), 1e-9 for the others: where the tracker held the
    off-beats for a few bars, a least-squares start would settle between the two phases."""
    rng = np.random.default_rng(0)  # seeded: the same recording gets the same map
    best, best_count = np.ones(len(beats)), -1
    for _ in range(CONSENSUS_DRAWS):
        picked = np.sort(rng.choice(len(beats), size=degree + 1, replace=False))
        if len(np.unique(numbers[picked])) <= degree:
            continue
        coef = np.polyfit(numbers[picked], beats[picked], degree)
        inliers = np.abs(np.polyval(coef, numbers) - beats) < CONSENSUS_S
        if int(inliers.sum()) > best_count:
            best, best_count = inliers.astype(np.float64), int(inliers.sum())
    return np.maximum(best, 1e-9)


def onset_support(env: np.ndarray, beats: np.ndarray, frame_s: float) -> np.ndarray:
    """Per beat, the log of the onset envelope (``env``, a frame every ``frame_s``; Gaussian-smoothed by
    SUPPORT_SMOOTH_S) at the beat over its median within SUPPORT_CONTEXT_S: how strongly the recording attacks
    there."""
    sigma = SUPPORT_SMOOTH_S / frame_s
    half = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    smooth = np.convolve(env.astype(np.float64), kernel / kernel.sum(), mode="same")
    context = int(round(SUPPORT_CONTEXT_S / frame_s))
    frames = np.clip(np.round(beats / frame_s).astype(np.int64), 0, len(env) - 1)
    floor = 1e-6 + 1e-3 * float(np.median(smooth))
    support = np.empty(len(beats))
    for i, frame in enumerate(frames):
        around = float(np.median(smooth[max(0, frame - context) : frame + context + 1]))
        support[i] = np.log((smooth[frame] + floor) / (around + floor))
    return support


def steady_grid(beats: np.ndarray) -> np.ndarray:
    """The constant-tempo or the tempo-ramp curve through ``beats`` (:func:`robust_curve`), whichever the beats
    themselves choose by a BIC on their truncated squared distances from it (a beat is never further than
    FIT_REACH_S: a slip costs what any outlier does): the ramp's one more parameter must earn log(n)."""
    numbers = beat_numbers(beats)
    score = {}
    curves = {degree: robust_curve(beats, degree) for degree in (1, 2)}
    for degree, curve in curves.items():
        loss = float(np.mean(np.minimum(np.abs(beats - curve), FIT_REACH_S) ** 2)) + 1e-10
        score[degree] = len(numbers) * np.log(loss) + (degree + 1) * np.log(len(numbers))
    return curves[min(score, key=lambda degree: score[degree])]


def steady_beats(env: np.ndarray, beats: np.ndarray, frame_s: float) -> np.ndarray:
    """``beats`` (the followed beats), or the steady grid through them (:func:`steady_grid`) where that explains
    the onsets (``env``, a frame every ``frame_s``) as well once the followed beats pay for their freedom
    (FOLLOW_PRICE a beat)."""
    times = np.asarray(beats, dtype=np.float64)
    if len(times) < MIN_BEATS:
        return times
    grid = steady_grid(times)
    if not np.all(np.diff(grid) > 0):
        return times
    # A recording that opens on its first beat (a DAW's bounce starts on bar 1) has it at 0, and the fitted grid
    # put it a few ms before: it went, and the first bar (a transcription's, an accompaniment's) was a beat short.
    # A grid beat before the start stays, at 0, where a followed beat stands for it and it lies within JITTER_S;
    # one further back goes, as follow_soft_attacks drops one (its attack, if any, began before the recording).
    grid = np.where((grid < 0.0) & (grid > -JITTER_S) & (times >= 0.0), 0.0, grid)  # beat for beat with times
    grid = grid[grid >= 0.0]
    followed, steady = onset_support(env, times, frame_s), onset_support(env, grid, frame_s)
    if float(followed.mean()) - FOLLOW_PRICE > float(steady.mean()) or traces_a_tempo(times, grid):
        return times
    return grid


def traces_a_tempo(beats: np.ndarray, grid: np.ndarray) -> bool:
    """Whether ``beats`` stray from the steady ``grid`` (the same beats, fitted) as a tempo of their own does:
    further than JITTER_S (a quarter of them) and smoothly, never by a step of SLIP_SHARE of a beat from one beat to the next
    (a band that drifts, a rubato: the onsets of a dense mix cannot tell it from the grid, and the grid would
    lose it), not in steps (a tracker that held the off-beats for a few bars) nor by a tracker's jitter."""
    if len(grid) != len(beats):
        grid = np.concatenate([np.full(len(beats) - len(grid), np.nan), grid])  # the dropped beats lie before 0
    stray = (beats - grid)[~np.isnan(grid)]
    if len(stray) < 2 or float(np.percentile(np.abs(stray), 75)) < JITTER_S:
        return False
    return float(np.max(np.abs(np.diff(stray)))) < SLIP_SHARE * float(np.median(np.diff(beats)))


__all__ = [
    "beat_numbers",
    "consensus_weights",
    "onset_support",
    "robust_curve",
    "steady_beats",
    "steady_grid",
    "traces_a_tempo",
]
