"""Whole-song bar phase from the music's structure: a 4/4 song whose bar lines all sit on beat 3.

Kick on 1 and 3, snare on 2 and 4 and chords that change every two beats look the same half a bar
later, so the beat-level evidence of :mod:`ai.analysis.rhythm.meter` can put every bar line of a
song on beat 3. Phrases and sections break that symmetry: they start on a downbeat, so the
chroma and the timbre change most on beat 1. :func:`structure_novelty` measures the change at each
beat (Foote's checkerboard novelty over a beat-by-beat self-similarity matrix), and
:func:`half_bar_off` moves the bar lines by half a bar when the changes sit clearly on the current
beat 3 (session 31, ``bench/README.md``).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

HALF_BAR_MARGIN = 0.35
"""How much more novelty (:func:`half_bar_score`: z-units per bar, the mean of the three curves) the
peaks on the current beat 3 must hold than those on beat 1 before every bar line moves by half a
bar. Chosen from the scores of the tuning items in 4/4 that ``bench/downbeat_dev.py`` loads (223:
data/eval songs, the real tune split, real_train@hold, real_train2@hold): the 5 half a bar off
scored -1.47, -1.12, -0.60, -0.33 and +0.41; of the rest, Borodin's quartet (3/4 read as 4/4) -0.50
(F 0.19 -> 0.09), two whose F does not move -0.40 and -0.37, then Hainsworth 1 (right) -0.29."""
NOVELTY_SPANS = (("chroma", 4), ("chroma", 8), ("timbre", 8))
"""The novelty curves compared: (features, half-width of the checkerboard in beats). Chroma over
one and two bars (chord-pattern and section changes), timbre over two bars (a new instrumentation,
a fill into the next section)."""
_TIMBRE_BANDS = 16
"""Mel bands are averaged in groups down to this many for the timbre rows."""


def beat_means(x: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Mean of ``x`` [shape=(d, n)] over each beat's span [shape=(B, d)] (``beats``: fractional frames;
    the last beat spans one median period)."""
    n = x.shape[1]
    period = float(np.median(np.diff(beats))) if beats.shape[0] > 1 else 1.0
    edges = np.clip(np.round(np.concatenate([beats, [beats[-1] + period]])).astype(np.int64), 0, n)
    csum = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1, dtype=np.float64)], axis=1)
    width = np.maximum(edges[1:] - edges[:-1], 1)
    means: np.ndarray = ((csum[:, edges[1:]] - csum[:, edges[:-1]]) / width).T
    return means


def structure_novelty(rows: np.ndarray, halves: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Foote novelty of the beat-level feature ``rows`` [shape=(B, d)] at each beat [shape=(B,)], for
    each checkerboard half-width in ``halves`` (beats): the mean cosine similarity within the ``half``
    beats before and within the ``half`` beats from the beat, minus twice that across them. NaN
    where the checkerboard does not fit.

    Only the similarities within 2 x the widest half of the diagonal enter a checkerboard, so they are
    kept as diagonals (B x 16 values), not as the B x B matrix: a 30-minute song has ~4,000 beats,
    whose full matrix and its running sums took 424 MB and 0.7 s."""
    n = rows.shape[0]
    unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    prefix = _diagonal_prefix_sums(unit, 2 * max(halves) if halves else 0)
    curves = {}
    for half in halves:
        out = np.full(n, np.nan)
        b = np.arange(half, n - half + 1)
        if b.size:
            # Across: rows b - half .. b - 1 against columns b .. b + half - 1, on diagonal d = column - row.
            across = np.zeros(b.size)
            for d in range(1, 2 * half):
                across += _diagonal_sum(prefix, d, np.maximum(b - half, b - d), np.minimum(b, b + half - d))
            within = _square_sum(prefix, b - half, half) + _square_sum(prefix, b, half)
            out[b] = (within - 2.0 * across) / (half * half)
        curves[half] = out
    return curves


def _diagonal_prefix_sums(unit: np.ndarray, span: int) -> np.ndarray:
    """[shape=(max(span, 1), B + 1)]: at [d, i] the sum of unit[k] . unit[k + d] over k < i (the similarity's
    diagonal d, 0 past the end), for d < ``span``."""
    n = unit.shape[0]
    prefix = np.zeros((max(span, 1), n + 1))
    for d in range(min(span, n)):
        prefix[d, 1 : n - d + 1] = np.cumsum(np.einsum("ij,ij->i", unit[: n - d], unit[d:]))
        prefix[d, n - d + 1 :] = prefix[d, n - d]
    return prefix


def _diagonal_sum(prefix: np.ndarray, d: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Diagonal ``d``'s values summed over rows lo .. hi - 1 (0 where hi <= lo)."""
    return np.where(hi > lo, prefix[d, np.maximum(hi, lo)] - prefix[d, lo], 0.0)


def _square_sum(prefix: np.ndarray, start: np.ndarray, half: int) -> np.ndarray:
    """The similarity summed over the square of beats start .. start + half - 1 (each pair both ways)."""
    total = _diagonal_sum(prefix, 0, start, start + half)
    for d in range(1, half):
        total = total + 2.0 * _diagonal_sum(prefix, d, start, start + half - d)
    return total


def novelty_rows(chroma: np.ndarray, mel: np.ndarray, beats: np.ndarray) -> dict[str, np.ndarray]:
    """Beat-level rows for :func:`structure_novelty`: 'chroma' (each beat's mean chroma, from
    ``chroma`` [shape=(12, n)]) and 'timbre' (the log of each beat's mean mel spectrum in
    _TIMBRE_BANDS bands, from the linear ``mel`` [shape=(bands, n)], less the song's mean: the
    cosine then compares the spectrum's shape). ``beats``: fractional frames."""
    bands = mel.shape[0] - mel.shape[0] % _TIMBRE_BANDS
    grouped = mel[:bands].reshape(_TIMBRE_BANDS, bands // _TIMBRE_BANDS, -1).mean(axis=1)
    timbre = np.log1p(100.0 * beat_means(grouped, beats))
    return {"chroma": beat_means(chroma, beats), "timbre": timbre - timbre.mean(axis=0)}


def half_bar_score(rows: dict[str, np.ndarray], positions: np.ndarray, beats_per_bar: int) -> float:
    """Where the strongest changes sit: per NOVELTY_SPANS curve, the z-scored novelty of its peaks (beats
    above the mean that no beat within half a bar exceeds) on the beats at bar position 0, less that
    of its peaks at position ``beats_per_bar // 2``, per bar; the mean over the curves.
    ``positions`` [shape=(B,)] as :func:`ai.analysis.rhythm.meter.bar_positions` returns. Below 0:
    the music changes more on the current beat 3 than on beat 1. Peaks, not every beat: a section
    that starts on beat 1 of a groove that repeats every two beats changes fully on that beat 1 but
    half as much on the beats 3 either side of it, which a mean over all beats would weigh the same."""
    half_bar = beats_per_bar // 2
    curves = {
        name: structure_novelty(rows[name], tuple(h for n, h in NOVELTY_SPANS if n == name))
        for name in {name for name, _ in NOVELTY_SPANS}
    }
    scores = []
    for name, half in NOVELTY_SPANS:
        novelty = curves[name][half]
        ok = np.isfinite(novelty)
        spread = float(np.std(novelty[ok])) if ok.sum() >= 2 * beats_per_bar else 0.0
        if spread < 1e-12:
            continue
        z = np.where(ok, (novelty - float(np.mean(novelty[ok]))) / spread, -np.inf)
        peak = ok & (z > 0) & (z >= maximum_filter1d(z, 2 * half_bar + 1, mode="constant", cval=-np.inf))
        on_one = float(z[peak & (positions == 0)].sum())
        on_three = float(z[peak & (positions == half_bar)].sum())
        scores.append((on_one - on_three) / max(1, int(np.sum(ok & (positions == 0)))))
    return float(np.mean(scores)) if scores else 0.0


def half_bar_off(rows: dict[str, np.ndarray], positions: np.ndarray, beats_per_bar: int) -> bool:
    """True when the bar lines of a bar of 4 beats sit half a bar off for the whole song: the
    music's changes fall clearly (HALF_BAR_MARGIN) more on the current beat 3 than on beat 1.
    Only bars of 4 were measured (the 2-beat bars of 6/8 and bars of 3 are left alone)."""
    return beats_per_bar == 4 and half_bar_score(rows, positions, beats_per_bar) < -HALF_BAR_MARGIN
