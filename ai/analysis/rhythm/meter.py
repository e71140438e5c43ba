"""Meter and downbeats from beat-synchronous evidence: the onset pattern of each beat, chord
changes and kick/bass onsets (:func:`_beat_features`), how they repeat 3 vs 4 beats later, the bar
phase, how the beat divides (2 or 3), and the harmonic rhythm (chord segments fitted to the chroma)
that checks the metrical level (step 4 of :mod:`ai.analysis.rhythm`)."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ai.analysis.rhythm.common import MIN_BPM, _sample
from ai.analysis.rhythm.tempo import _interp, _peak_picked_acf
from ai.analysis.sticky_path import sticky_path

COMPOUND_RATIO = 3.0
"""Onsets on the beat's thirds must be this many times stronger than on its halves and quarters
for the beat to count as divided in three."""
COMPOUND_FLOOR = 0.05
"""...and at least this fraction of the onset strength on the beat (the busiest beats' mean: the
notes of a fill sound well under the accent on the beat)."""
DOTTED_MIN_ACF = 0.2
"""Autocorrelation the kick/bass pulse must reach at 1.5 beats to make a 3-beat bar a 6/8 bar."""
HARM_WEIGHT = 2.0
LOW_WEIGHT = 1.0
ACCENT_WEIGHT = 0.0
DOWNBEAT_WEIGHT = 0.5
"""Weights of the z-scored beat-level evidence in the bar phase: chord change entering the beat,
kick/bass onset on it, onset strength (accent) on it, the learned downbeat activation near it.
Chosen by ``bench/downbeat_dev.py`` (session 11, grid 0-3 per weight) on data/eval songs and the
real set's tune split: the accent alone picked the right beat in 0 of 5 tune recordings (the
snare's backbeat) and 35 of 60 renders, so it weighs 0; the activation at 0.5 with the accent
at 0 raised the renders' downbeat F 88.7 -> 93.5 (seed 11: 87.6 -> 89.8). Before: 2, 1, 0.5, 0."""
PHASE_SWITCH_COST = 20.0
"""Evidence (in units of the weighted z-scores summed over downbeats) that a change of bar phase
inside a piece must earn (:func:`downbeat_indices`): a bar of 2 beats in a 4/4 song or a beat the
tracker dropped moves every later downbeat. 16-24 gave the same downbeat F on the rendered sets
and the tune split (``bench/downbeat_dev.py --switch-cost``); 8 or less found phase changes that
are not there, 32 or more found none."""
HARMONIC_LEVEL_RATIO = 1.5
"""Chord segments of 2 (or 8) beats must explain the chroma this many times better than bars of
3 or 4 beats before the tempo is doubled (or halved)."""
HARMONIC_BEAT_DOMINANCE = 2.0
"""...and single-beat segments must explain it less than this many times better than 2 beats."""
DOUBLE_MAX_BPM = 200.0
"""The harmonic check doubles no beat to above this tempo (faster beats are rare)."""
_SUBDIV = 12
"""Points per beat at which the onset pattern of a beat is sampled (covers 2, 3, 4 and 6 pulses)."""


def _zscore(x: np.ndarray) -> np.ndarray:
    s = float(np.std(x))
    return (x - x.mean()) / s if s > 1e-12 else np.zeros_like(x)


def _beat_features(
    beats: np.ndarray,
    *,
    onset: np.ndarray,
    low: np.ndarray,
    chroma: np.ndarray,
    downbeat: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Beat-synchronous evidence for meter and downbeats (beats: fractional frame positions).

    Returns 'pattern' [shape=(B, 2*_SUBDIV)] (onset and low-band onset sampled across each beat),
    'harm' [shape=(B,)] (chroma change entering each beat), 'low' and 'accent' [shape=(B,)], and
    with the learned ``downbeat`` activation [shape=(n,)], 'down' [shape=(B,)] (its peak near each
    beat).
    """
    n_beats = beats.shape[0]
    period = float(np.median(np.diff(beats)))
    frac = np.arange(_SUBDIV) / _SUBDIV
    grid = beats[:, None] + frac[None, :] * period
    pattern = np.concatenate([_sample(onset, grid), _sample(low, grid)], axis=1)
    # Peak strength near each beat (+-1/8 beat).
    width = max(1, int(round(period / 8)))
    idx = np.clip(
        np.round(beats).astype(np.int64)[:, None] + np.arange(-width, width + 1)[None, :], 0, onset.shape[0] - 1
    )
    low_at = low[idx].max(axis=1)
    acc_at = onset[idx].max(axis=1)
    # Mean chroma over each beat span; change = 1 - cosine with the previous span.
    edges = np.clip(np.round(np.concatenate([beats, [beats[-1] + period]])).astype(np.int64), 0, chroma.shape[1])
    csum = np.concatenate([np.zeros((12, 1)), np.cumsum(chroma, axis=1, dtype=np.float64)], axis=1)
    spans = (csum[:, edges[1:]] - csum[:, edges[:-1]]).T  # (B, 12)
    norm = np.linalg.norm(spans, axis=1, keepdims=True)
    unit = spans / np.maximum(norm, 1e-9)
    harm = np.zeros(n_beats)
    harm[1:] = 1.0 - np.einsum("ij,ij->i", unit[1:], unit[:-1])
    feats = {"pattern": pattern, "harm": harm, "low": low_at, "accent": acc_at}
    if downbeat is not None:
        near = np.clip(np.round(beats).astype(np.int64)[:, None] + np.arange(-1, 2)[None, :], 0, downbeat.shape[0] - 1)
        feats["down"] = downbeat[near].max(axis=1)
    return feats


def _chroma_change_at(chroma: np.ndarray, positions: np.ndarray, half: float) -> np.ndarray:
    """Cosine distance between the summed chroma of the ``half`` frames before and after each of
    ``positions`` (fractional frames), weighted by how loud the quieter side is relative to the
    median side (a change into or out of near-silence is not a chord change).
    chroma: [shape=(12, n)] -> [shape=(len(positions),)]."""
    n = chroma.shape[1]
    csum = np.concatenate([np.zeros((12, 1)), np.cumsum(chroma, axis=1, dtype=np.float64)], axis=1)
    a = np.clip(np.round(positions - half).astype(np.int64), 0, n)
    m = np.clip(np.round(positions).astype(np.int64), 0, n)
    b = np.clip(np.round(positions + half).astype(np.int64), 0, n)
    before = (csum[:, m] - csum[:, a]).T
    after = (csum[:, b] - csum[:, m]).T
    nb, na = np.linalg.norm(before, axis=1), np.linalg.norm(after, axis=1)
    ok = (nb > 1e-12) & (na > 1e-12)
    out = np.zeros(positions.shape[0])
    out[ok] = 1.0 - np.einsum("ij,ij->i", before[ok], after[ok]) / (nb[ok] * na[ok])
    ref = float(np.median(np.concatenate([nb, na])))
    return out * np.clip(np.minimum(nb, na) / ref, 0.0, 1.0) if ref > 0 else out * 0.0


def _harmony_sustained(chroma: np.ndarray) -> bool:
    """True when at least half the frames carry chroma energy above a tenth of the loud frames'
    level (the 90th percentile): sustained harmony rather than isolated hits."""
    energy = chroma.sum(axis=0)
    loud = float(np.percentile(energy, 90)) if energy.size else 0.0
    return loud > 0 and float(np.mean(energy > 0.1 * loud)) >= 0.5


def _top_quartile(x: np.ndarray) -> float:
    """Mean of the largest quarter of ``x`` (0 for an empty array)."""
    if x.size == 0:
        return 0.0
    return float(np.mean(np.sort(x)[-max(1, x.size // 4) :]))


def _lag_similarity(rows: np.ndarray, lag: int) -> float:
    """Mean Pearson correlation between rows i and i+lag of a [B, d] matrix."""
    if rows.shape[0] <= lag + 1:
        return 0.0
    a = rows[:-lag] - rows[:-lag].mean(axis=1, keepdims=True)
    b = rows[lag:] - rows[lag:].mean(axis=1, keepdims=True)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    ok = den > 1e-12
    if not ok.any():
        return 0.0
    return float(np.mean(np.einsum("ij,ij->i", a[ok], b[ok]) / den[ok]))


def _series_lag_similarity(x: np.ndarray, lag: int) -> float:
    """Autocorrelation coefficient of a beat-level series at ``lag``."""
    if x.shape[0] <= lag + 2:
        return 0.0
    a, b = x[:-lag] - x.mean(), x[lag:] - x.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-12 else 0.0


def meter_evidence(feats: dict[str, np.ndarray]) -> dict[int, float]:
    """Evidence for 3 and 4 beats per bar: similarity at lags M and 2M minus the mean over lags 1..8."""
    lags = range(1, 9)
    sims = {}
    for lag in lags:
        s = _lag_similarity(feats["pattern"], lag)
        s += _series_lag_similarity(feats["harm"], lag)
        s += _series_lag_similarity(feats["low"], lag)
        sims[lag] = s
    base = float(np.mean(list(sims.values())))
    return {m: 0.5 * (sims[m] + sims[2 * m]) - base for m in (3, 4)}


BUSY_SHARE = 0.25
"""Share of the beats, those with the most onset energy between beats, whose division
:func:`beat_division` reads."""


def _busiest(pattern: np.ndarray) -> np.ndarray:
    """The rows of ``pattern`` [shape=(B, _SUBDIV)] with the most onset energy between the beats
    (the top BUSY_SHARE, at least 4). Sustained chords and long notes do not show how a beat
    divides; the beats where the parts move do: a waltz felt in one bar-long pulse shows its three
    quarter notes only in the bars where the bass walks or the drums fill."""
    between = np.maximum(pattern[:, 1:], 0.0).sum(axis=1)
    keep = max(4, int(round(BUSY_SHARE * pattern.shape[0])))
    return pattern[np.argsort(between)[-keep:]]


def beat_division(feats: dict[str, np.ndarray]) -> int:
    """3 when the onsets between beats fall on the thirds of the beat, 2 otherwise.

    From the mean onset pattern of the busiest beats (:func:`_busiest`: the quarter of the beats
    with the most onset energy between beats; ``feats['pattern']``, onset strength at _SUBDIV
    points per beat, as returned by :func:`_beat_features`), relative to the median of all beats'
    patterns: the weaker of the two third-points must stand COMPOUND_RATIO times above the
    half-beat and the quarter-points (swing, whose off-beat sits on the second third only, stays
    duple) and above COMPOUND_FLOOR of the onset on the beat. Reading every beat instead (their
    median) misses music whose division shows only where the parts move: a fast waltz felt in one
    sustains its chord for the bar and plays the three quarter notes only in the bars where the
    bass walks or the drums fill.
    """
    pattern = feats["pattern"][:, :_SUBDIV]
    if pattern.shape[0] < 8:
        return 2
    baseline = float(np.median(pattern))
    profile = _busiest(pattern).mean(axis=0) - baseline
    third = min(profile[_SUBDIV // 3], profile[2 * _SUBDIV // 3])
    duple = max(profile[_SUBDIV // 2], profile[_SUBDIV // 4], profile[3 * _SUBDIV // 4], 0.0)
    if third > COMPOUND_RATIO * duple and third > COMPOUND_FLOOR * max(float(profile[0]), 1e-9):
        return 3
    return 2


def downbeat_evidence(feats: dict[str, np.ndarray], beats_per_bar: int) -> np.ndarray:
    """Per-beat evidence that a bar starts on the beat [shape=(B,)]: the weighted z-scores of
    :func:`_beat_features`' 'harm', 'low', 'accent' and 'down'. Pairs of beats (which of two
    beats to keep when the level is halved, 6/8 bars) keep the weights 2, 1, 0.5, 0 that they were
    tuned with; the weights above were measured on bars of 3 and 4 beats only."""
    harm, low, accent = _zscore(feats["harm"]), _zscore(feats["low"]), _zscore(feats["accent"])
    if beats_per_bar < 3:
        pair: np.ndarray = 2.0 * harm + low + 0.5 * accent
        return pair
    evidence: np.ndarray = HARM_WEIGHT * harm + LOW_WEIGHT * low + ACCENT_WEIGHT * accent
    if "down" in feats:
        evidence = evidence + DOWNBEAT_WEIGHT * _zscore(feats["down"])
    return evidence


def downbeat_phase(feats: dict[str, np.ndarray], beats_per_bar: int) -> tuple[int, np.ndarray]:
    """Bar phase (index of the first downbeat among the beats) and the score of each phase."""
    evidence = downbeat_evidence(feats, beats_per_bar)
    scores = np.array([evidence[p::beats_per_bar].mean() for p in range(beats_per_bar)])
    return int(np.argmax(scores)), scores


def bar_positions(evidence: np.ndarray, beats_per_bar: int, switch_cost: float | None = None) -> np.ndarray:
    """Position of each beat in its bar (0 = downbeat) [shape=(B,)], the bar phase free to change.

    Viterbi over the beats: a beat at position k is followed by one at k + 1 (mod
    ``beats_per_bar``) for free, or by any other position for ``switch_cost`` (None:
    PHASE_SWITCH_COST); a path earns the ``evidence`` [shape=(B,)] of the beats it calls
    downbeats. With no change the path is the
    constant phase of :func:`downbeat_phase` (sums instead of means). One phase for a whole piece
    puts every downbeat after an irregular bar (a 2/4 bar in a Beatles song) or a dropped beat on
    the wrong beat.
    """
    n, m = evidence.shape[0], beats_per_bar
    cost = PHASE_SWITCH_COST if switch_cost is None else switch_cost
    if n == 0 or m < 2:
        return np.zeros(n, dtype=np.int64)
    gain = np.zeros((n, m))
    gain[:, 0] = evidence  # position 0 is the downbeat
    return sticky_path(gain, (np.arange(m) - 1) % m, keep_gain=0.0, jump_gain=-cost)


def downbeat_indices(feats: dict[str, np.ndarray], beats_per_bar: int) -> np.ndarray:
    """Indices of the beats that start a bar (:func:`bar_positions` of :func:`downbeat_evidence`)."""
    return np.flatnonzero(bar_positions(downbeat_evidence(feats, beats_per_bar), beats_per_bar) == 0)


@dataclass(frozen=True)
class ChromaSums:
    """Running sums of the frame-normalised chroma, so that any segment's mean and variance cost
    O(1): ``csum`` [shape=(12, n + 1)] of the chroma, ``csq`` [shape=(n + 1,)] of its squares."""

    csum: np.ndarray
    csq: np.ndarray

    @classmethod
    def of(cls, chroma: np.ndarray) -> ChromaSums:
        """chroma: np.ndarray [shape=(12, n)]."""
        c = chroma.astype(np.float64)
        c = c / np.maximum(c.sum(axis=0, keepdims=True), 1e-12)
        zero = np.zeros((12, 1))
        return cls(
            np.concatenate([zero, np.cumsum(c, axis=1)], axis=1),
            np.concatenate([[0.0], np.cumsum((c * c).sum(axis=0))]),
        )

    @property
    def n(self) -> int:
        return int(self.csq.shape[0]) - 1


def harmonic_contrast(chroma: np.ndarray | ChromaSums, beats: np.ndarray, span: float) -> float:
    """How well chord segments ``span`` beats long explain the chroma, against the same segments
    moved by half their length.

    The beat grid ``beats`` (fractional frames, [shape=(B,)]) is cut every ``span`` beats
    (fractional spans interpolate between beats) at each phase (steps of half a beat); each cut
    gives the share of the chroma's variance [chroma: shape=(12, n), or its :class:`ChromaSums`]
    that segment means explain (R^2 of a piecewise-constant fit to the frame-normalised chroma).
    Returns the best phase's R^2 minus the R^2 of the grid moved by span / 2 (>= 0). When chords
    change every H seconds, the contrast is largest for segments H long: shorter segments fit as
    well at the shifted phase (both cut inside chords), longer ones fit no phase.
    """
    sums = chroma if isinstance(chroma, ChromaSums) else ChromaSums.of(chroma)
    if beats.shape[0] < 4 or span <= 0:
        return 0.0
    a, b = int(max(0, np.floor(beats[0]))), int(min(sums.n, np.ceil(beats[-1])))
    if b - a < 8:
        return 0.0
    n = b - a
    whole = sums.csum[:, b] - sums.csum[:, a]
    total = float(sums.csq[b] - sums.csq[a] - (whole * whole).sum() / n)
    if total <= 1e-12:
        return 0.0
    csum, csq = sums.csum[:, a : b + 1], sums.csq[a : b + 1]

    def explained(phase: float) -> float | None:
        within = _segment_residuals(csum, csq, beats, a, n, phase, span)
        if within.shape[0] == 0:
            return None
        return 1.0 - float(within.sum()) / total

    fits = {ph: explained(ph) for ph in np.arange(0.0, span, min(0.5, span / 4.0))}
    scored = {ph: v for ph, v in fits.items() if v is not None}
    if not scored:
        return 0.0
    best = max(scored, key=scored.__getitem__)
    moved = explained(best + span / 2.0)
    return 0.0 if moved is None else max(0.0, scored[best] - moved)


@numba.njit(cache=True)
def _segment_residuals(
    csum: np.ndarray, csq: np.ndarray, beats: np.ndarray, a: int, n: int, phase: float, span: float
) -> np.ndarray:  # pragma: no cover (compiled)
    """Per segment, the chroma's squared deviation from the segment's mean, for the grid ``beats``
    (fractional frames) cut every ``span`` beats from ``phase`` (interpolated between beats, rounded
    to frames, relative to frame ``a``, clipped to 0..n; repeated cuts dropped), from the running
    sums ``csum`` [shape=(12, n + 1)] and ``csq`` [shape=(n + 1,)]. Empty when fewer than two cuts
    fall on the grid. One compiled pass: :func:`harmonic_contrast` asks for ~500 of these an analysis."""
    count = 0
    while phase + count * span < beats.shape[0] - 1:
        count += 1
    if count < 2:
        return np.zeros(0)
    edges = np.empty(count + 2, dtype=np.int64)
    edges[0] = 0
    for i in range(count):
        x = phase + i * span
        j = int(np.floor(x))
        value = (beats[j + 1] - beats[j]) * (x - j) + beats[j]  # np.interp on the beat index
        edges[i + 1] = min(max(int(np.round(value)) - a, 0), n)
    edges[count + 1] = n
    kept = 1
    for i in range(1, count + 2):  # the cuts never decrease: drop repeats
        if edges[i] != edges[kept - 1]:
            edges[kept] = edges[i]
            kept += 1
    within = np.empty(kept - 1)
    squares = np.empty(csum.shape[0])
    for i in range(kept - 1):
        lo, hi = edges[i], edges[i + 1]
        for c in range(csum.shape[0]):
            seg = csum[c, hi] - csum[c, lo]
            squares[c] = seg * seg
        within[i] = (csq[hi] - csq[lo]) - _numpy_sum(squares) / (hi - lo)
    return within


@numba.njit(cache=True)
def _numpy_sum(x: np.ndarray) -> float:  # pragma: no cover (compiled)
    """``x.sum()`` in numpy's own order (eight running sums over blocks of eight, then the rest), so
    that the compiled R^2 equals the numpy one bit for bit."""
    n = x.shape[0]
    if n < 8:
        plain = 0.0
        for i in range(n):
            plain += x[i]
        return plain
    r = x[:8].copy()
    blocks = n - n % 8
    for i in range(8, blocks, 8):
        for k in range(8):
            r[k] += x[i + k]
    total: float = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for i in range(blocks, n):
        total += x[i]
    return total


HARMONIC_SPANS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
"""Chord-segment lengths (in beats) compared by :func:`harmonic_period`."""


def harmonic_period(chroma: np.ndarray | ChromaSums, beats: np.ndarray) -> dict[float, float]:
    """:func:`harmonic_contrast` for each of HARMONIC_SPANS (beats) on the beat grid ``beats``."""
    sums = chroma if isinstance(chroma, ChromaSums) else ChromaSums.of(chroma)
    return {k: harmonic_contrast(sums, beats, k) for k in HARMONIC_SPANS}


def duple_subdivision(odf: np.ndarray, period: float) -> bool:
    """True when the detection function [shape=(n,)] repeats more at a quarter of the beat
    ``period`` (frames) than at a third: the half-beat divides in two, as a beat does in duple
    music. (A compound pulse, two dotted quarters to a 3/4 bar, divides in three.)"""
    max_lag = int(np.ceil(period / 3.0)) + 2
    if odf.shape[0] <= max_lag + 1:
        return False
    peak = _peak_picked_acf(odf, max_lag)
    quarter, third = _interp(peak, np.array([period / 4.0, period / 3.0]))
    return bool(quarter > third)


def metrical_consistency(contrast: dict[float, float], *, bar_beats: tuple[float, ...] = (3.0, 4.0)) -> float:
    """0..1: how well bars of ``bar_beats`` beats explain the chord changes compared with the
    best segment length of 1.5 beats or more (``contrast`` from :func:`harmonic_period`); 0.5
    when the chroma shows no chord changes at all (drums alone: no evidence either way)."""
    longer = max(v for k, v in contrast.items() if k >= 1.5)
    if longer < 1e-3:
        return 0.5
    return float(min(1.0, max(contrast[k] for k in bar_beats) / longer))


def dotted_pulse(low_odf: np.ndarray, period: float) -> bool:
    """True when the kick/bass detection function [shape=(n,)] repeats more at 1.5 beat
    periods (``period`` in frames) than at one, and clearly (autocorrelation above
    DOTTED_MIN_ACF): the low pulse falls on dotted quarters (6/8), not on the beats."""
    max_lag = int(np.ceil(1.5 * period)) + 2
    if low_odf.shape[0] <= max_lag + 1:
        return False
    peak = _peak_picked_acf(low_odf, max_lag)
    one, dotted = _interp(peak, np.array([period, 1.5 * period]))
    return bool(dotted > one and dotted > DOTTED_MIN_ACF)


def harmonic_level(chroma: np.ndarray | ChromaSums, beats: np.ndarray, *, tempo: float, duple: bool) -> float:
    """Tempo factor (0.5, 1 or 2) that the harmonic rhythm asks of the beat grid ``beats``.

    In band music the chords change with the bar: every 3 or 4 beats. When chord segments of 8
    tracked beats explain the chroma clearly better (HARMONIC_LEVEL_RATIO) than segments of 3
    or 4, the tracker counts eighth notes: half the tempo. When segments of 2 beats do, and
    single-beat segments do not dominate (chorale-style harmony, a chord on every beat, is a
    beat-level rhythm), it counts half notes: double the tempo.
    """
    contrast = harmonic_period(chroma, beats)
    bar = max(contrast[3.0], contrast[4.0])
    bar_like = max((k for k in contrast if k >= 1.5), key=contrast.__getitem__)
    if bar <= 0:
        return 1.0
    if bar_like == 8.0 and contrast[8.0] >= HARMONIC_LEVEL_RATIO * bar and tempo / 2 >= MIN_BPM:
        return 0.5
    if (
        bar_like == 2.0
        and contrast[2.0] >= HARMONIC_LEVEL_RATIO * bar
        and contrast[1.0] < HARMONIC_BEAT_DOMINANCE * contrast[2.0]
        and duple
        and tempo * 2 <= DOUBLE_MAX_BPM
    ):
        return 2.0
    return 1.0
