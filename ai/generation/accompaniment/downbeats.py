"""Where the bars open: the analysis's downbeats, checked against the harmony (bars hold chords)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.generation.accompaniment.grid import _downbeat_beats
from ai.generation.bar_harmony import span_chroma
from ai.generation.melody_harmony import harmonise_scored
from ai.music_theory import Key

PHASE_MARGIN = 0.15
"""Another bar phase replaces the analysis's downbeats when its score (:func:`bar_phase`: the bars' chroma spread
less the change as they open, each over its mean across the phases) is this much lower. 0.15, not session 34's 0.1:
full-band songs, whose drums and bass put the analysis's bars right (76 of 80 rendered songs), had 6 of 7 moves
wrong at 0.1 (a jazz waltz a beat late: QA pass 5a), 3 of 4 at 0.15; the drumless tuning renders keep their 10 right
moves (83 of 93 bars right at both) and the Beatles tuning songs gain one (49 -> 50 of 58: bench/README.md,
accompaniment, session 35)."""


def downbeat_phase(beats: np.ndarray, downbeat_times: Sequence[float], per_bar: int) -> int:
    """Which beat (0 .. per_bar - 1) the analysis's downbeats fall on most often: the grid keeps one bar phase,
    and where the analysis changes phase inside a recording (a bar of 2 or 3 beats in a song), the phase that
    holds longer is the one to keep, not the first (an intro's). Ties go to the first downbeat's."""
    if not len(downbeat_times) or per_bar < 2:
        return 0
    idx = _downbeat_beats(beats, downbeat_times)
    counts = np.bincount(idx % per_bar, minlength=per_bar)
    first = int(idx[0] % per_bar)
    best = int(np.argmax(counts))
    return first if counts[first] == counts[best] else best


def bar_phase(chroma: np.ndarray, beats: np.ndarray, per_bar: int, current: int) -> int:
    """Which beat (0 .. per_bar - 1) opens the bars: the analysis's ``current`` phase, unless another makes the
    bars clearly more harmonic: a bar holds a chord (its beats' chroma spreads little around the bar's mean) and
    the harmony changes as it opens (the chroma moves most from the beat before). Both are measured on the
    beat-synchronous chroma (``chroma``: :func:`~ai.generation.bar_harmony.chroma_frames`), each over its mean
    across the phases; a phase's score is its spread less its change, and another phase must score PHASE_MARGIN
    lower, with a smaller spread and a larger change than ``current``'s both. The spread alone left a Broadway
    groove's bars a beat late (its piano's root on one, chords on two and four: the right phase spread 13 % less,
    under the old 15 % margin); together they put 80 of 83 tuning recordings' bars right, against 76
    (bench/README.md, accompaniment, session 34); PHASE_MARGIN says how much lower another phase must score."""
    if per_bar < 2 or len(beats) < 3 * per_bar:
        return current
    beat_chroma = span_chroma(chroma, list(zip(beats[:-1], beats[1:], strict=True)))
    norms = np.linalg.norm(beat_chroma, axis=1, keepdims=True)
    beat_chroma = beat_chroma / np.maximum(norms, 1e-9)
    spread = np.zeros(per_bar)
    for phase in range(per_bar):
        bars = [beat_chroma[a : a + per_bar] for a in range(phase, len(beat_chroma) - per_bar + 1, per_bar)]
        spread[phase] = np.mean([np.sum((bar - bar.mean(axis=0)) ** 2) / per_bar for bar in bars])
    moves = np.sum(np.diff(beat_chroma, axis=0) ** 2, axis=1)  # moves[j]: from beat j into beat j + 1
    into = (np.arange(len(moves)) + 1) % per_bar
    change = np.array([moves[into == phase].mean() for phase in range(per_bar)])
    if spread.mean() <= 0.0 or change.mean() <= 0.0:  # one chord throughout: nothing tells the bars
        return current
    score = spread / spread.mean() - change / change.mean()
    best = int(np.argmin(score))
    # Both must agree: a line alone changes note on every beat, and its change measure alone moved sung bars.
    agree = spread[best] < spread[current] and change[best] > change[current]
    return best if agree and score[best] < score[current] - PHASE_MARGIN else current


def melody_bar_phase(chroma: np.ndarray, beats: np.ndarray, per_bar: int, current: int, key: Key | None) -> int:
    """Which beat (0 .. per_bar - 1) opens the bars of a melody alone: the phase whose bars the harmoniser
    finds most likely (:func:`~ai.generation.melody_harmony.harmonise_scored`'s best path, on the same number
    of whole bars from each phase: a chord a bar fits the notes of true bars better than of bars straddling two
    chords); ties keep ``current``. A line alone gives the analysis's downbeats and :func:`bar_phase`'s
    chroma spread little to go on (one note at a time spreads whatever the phase): on the tune split's
    rendered melodies of bench/melody_harmony.py the bar lines fell on the wrong beat in 13 of the 35 whose
    tempo and bar length were right (bench/melody_grid.py)."""
    if per_bar < 2 or len(beats) < 3 * per_bar:
        return current
    count = (len(beats) - per_bar) // per_bar  # whole bars every phase has
    scores = []
    for phase in range(per_bar):
        starts = beats[phase : phase + (count + 1) * per_bar : per_bar]
        scores.append(harmonise_scored(span_chroma(chroma, list(zip(starts[:-1], starts[1:], strict=True))), key)[1])
    best = int(np.argmax(scores))
    return best if scores[best] > scores[current] else current
