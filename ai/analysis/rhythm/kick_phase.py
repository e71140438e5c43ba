"""Beats half a beat off a four-on-the-floor kick.

The learned beat activation put a real techno loop's beats on its off-beat hats (essentia's techno_loop.mp3, 125
BPM: every beat 0.23 s, half a beat, from a kick; the activation 0.72 on the off-beats against 0.40 on the kicks),
and the bars, the accompaniment's grid and the drum check followed. In music with drums the low band's onsets are
the kick's, and a kick between every two beats is a grid half a beat off: at every one of the loop's midpoints
the low band's onset is the stronger (share 1.00). Over the annotated tuning material, whose beats sit right
(1,072 items: data/eval songs, real_train, real_train2, the accompaniment bench's renders), the share never passed
0.67 (session 33, /tmp/s33_low.py and /tmp/s33_low2.txt), so a share of KICK_SHARE moves only such grids. The
onsets between must also be a kick's, low-heavy (:func:`kick_like`): noise hats between chords that change on the
beat reach the low band too, and the share alone moved a synthetic test's beats onto them.
"""

from __future__ import annotations

import numpy as np

KICK_SHARE = 0.85
"""Share of the beats' midpoints whose low-band onset is stronger than at both beats around them, at or above
which the beats move half a beat (tuning material at most 0.67, the techno loop 1.00)."""
KICK_TILT = 1.5
"""How much larger a kick's onset rises in the lowest bands than in the upper half (the techno loop's 2.6, noise
hats' 0.6)."""
MIN_BEATS = 16
"""A grid of fewer beats keeps its phase: too few midpoints to say."""
REACH = 2
"""Frames either side of a beat or midpoint where its low-band onset is read (the tracker's beats spread a frame
or two)."""


def kicks_between_beats(low: np.ndarray, beats: np.ndarray) -> bool:
    """Whether the low band's onsets ``low`` [shape=(frames,)] fall between the ``beats`` (frames, increasing)
    rather than on them: at KICK_SHARE or more of the midpoints the onset is stronger than at both beats beside."""
    if beats.shape[0] < MIN_BEATS:
        return False
    strength = np.maximum(np.asarray(low, dtype=np.float64), 0.0)

    def at(frames: np.ndarray) -> np.ndarray:
        index = np.clip(np.round(frames).astype(np.int64), 0, strength.shape[0] - 1)
        windows = np.clip(index[:, None] + np.arange(-REACH, REACH + 1)[None, :], 0, strength.shape[0] - 1)
        peaks: np.ndarray = strength[windows].max(axis=1)
        return peaks

    on = at(beats)
    middle = at((beats[:-1] + beats[1:]) / 2.0)
    between = (middle > on[:-1]) & (middle > on[1:])
    return bool(np.mean(between) >= KICK_SHARE)


def kick_like(mel: np.ndarray, frames: np.ndarray) -> bool:
    """Whether the onsets at ``frames`` are a kick's: the rise of the log mel spectrum (``mel`` [shape=(bands,
    frames)], linear) there is at least KICK_TILT times larger in its lowest eighth of bands than in its upper half.
    A hi-hat's noise reaches the low band too, so noise hats between chords that change on the beat (no onset on
    the beat at all) pass the share test (tests/ai/analysis/test_rhythm.py); their rise is twice as large up high
    (0.6), the techno loop's kicks' 2.6 times as large down low."""
    reference = float(np.percentile(mel, 99.5)) or 1.0
    index = np.clip(np.round(frames).astype(np.int64), 1, mel.shape[1] - 1)
    rises = []
    for lag in range(-REACH, REACH + 1):
        now = np.clip(index + lag, 1, mel.shape[1] - 1)
        rises.append(np.log1p(100.0 * mel[:, now] / reference) - np.log1p(100.0 * mel[:, now - 1] / reference))
    rise = np.maximum(np.max(rises, axis=0), 0.0)  # [bands, events]
    bands = mel.shape[0]
    low, high = float(rise[: max(bands // 8, 1)].mean()), float(rise[bands // 2 :].mean())
    return low >= KICK_TILT * high


def half_beat_later(beats: np.ndarray) -> np.ndarray:
    """The midpoints of ``beats`` (frames), and one more half a beat after the last, so the grid keeps its length."""
    middle = (beats[:-1] + beats[1:]) / 2.0
    last = beats[-1] + (beats[-1] - beats[-2]) / 2.0
    moved: np.ndarray = np.append(middle, last)
    return moved


__all__ = ["KICK_SHARE", "half_beat_later", "kick_like", "kicks_between_beats"]
