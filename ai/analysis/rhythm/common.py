"""Tuning constants and small helpers that several parts of :mod:`ai.analysis.rhythm` share: the
tempo range, the tempo prior's mode and spread, the percussiveness at which music counts as band
music, the margin three beats per bar need over four, and the envelope scale and sampling helpers."""

from __future__ import annotations

import numpy as np

MIN_BPM = 40.0
MAX_BPM = 250.0
"""Range of beat-level tempi considered."""
PRIOR_BPM = 130.0
"""Mode of the log-normal tempo prior (beats per minute) for percussive music."""
PRIOR_OCTAVES = 0.7
"""Spread of the tempo prior, in octaves (one standard deviation of log2 tempo)."""
TRIPLE_MARGIN = 0.5
"""How much more meter evidence three beats per bar needs than four (evidence: the sum of three
correlation contrasts, each in [-2, 2])."""
PERCUSSIVE_MIN = 0.5
"""Music at least this percussive (drums, plucked and struck parts: band music) is read as such:
the harmonic-rhythm level check applies to it (its chords change with the bar; sustained choral
and organ music changes chord on every beat), its beats may divide in three, and its beats stay
on the detection function's peaks (the attack shift is for soft onsets only)."""


def _spread(x: np.ndarray) -> float:
    """A robust scale of a non-negative envelope (its standard deviation, never 0)."""
    s = float(np.std(x))
    return s if s > 1e-12 else 1.0


def _sample(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.interp(pos, np.arange(x.shape[0]), x, left=0.0, right=0.0)
    return result
