"""The best path through states that each have one free way on and a costed jump to any state.

The chord sequence (a chord holds from segment to segment; a change costs) and the bar phase (a beat
is followed by the next beat of its bar; a change of phase costs) are both this Viterbi search.
"""

from __future__ import annotations

import numpy as np


def sticky_path(gain: np.ndarray, follows: np.ndarray, *, keep_gain: float, jump_gain: float) -> np.ndarray:
    """State indices [shape=(n,)] of the path with the most gain through ``gain`` [shape=(n, states)]:
    state s at step t comes from state ``follows[s]`` at step t - 1 with ``keep_gain``, or from the best
    state at step t - 1 with ``jump_gain`` (a penalty: lower than ``keep_gain``); ties keep."""
    n, m = gain.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    score = gain[0].copy()
    back = np.zeros((n, m), dtype=np.int64)
    for t in range(1, n):
        best = int(np.argmax(score))
        jump = score[best] + jump_gain
        keep = score[follows] + keep_gain
        take = keep >= jump
        back[t] = np.where(take, follows, best)
        score = np.where(take, keep, jump) + gain[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path
