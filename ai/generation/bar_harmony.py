"""The chord of each bar, heard over the whole bar: the root the accompaniment's bass plays.

The analysis labels chords frame by frame, without knowing where the bars are; a chord voiced in
an inversion or with a strong added tone can win a segment (on rendered band songs, A for C#m, F
for Am, Dm for E7). An accompaniment knows its bars, and a bar mostly holds one chord: the
constant-Q chroma averaged over the bar, matched against chord templates, names its root far more
reliably (on the 12 dev songs of bench/accompaniment.py, steady and drifting, with the true bars:
all 384 roots, against 0.90 for the analysis's chords). The analysis's chord is kept when it agrees
on the root (its quality, extensions and slash bass come from a finer look); a bar whose chroma
matches no template well (silence, drums, noise) keeps the analysis's chord.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.music_theory import Chord

CHROMA_SR = 11025  # chroma needs no more than 4 kHz; half the rate quarters the constant-Q cost
CHROMA_HOP = 1024  # 93 ms: bars are seconds long
TEMPLATE_QUALITIES = ("", "m", "7", "m7", "maj7")
"""The common chords a bar's chroma is matched against (a sevenths' 7th weighs SEVENTH_WEIGHT)."""
SEVENTH_WEIGHT = 0.5
MIN_MATCH = 0.7
"""The best template's cosine with the bar's chroma must reach this (a flat chroma, noise, gives 0.5 with
a triad; a held triad 0.9 and more) for the bar's own chord to count."""
HALF_MATCH = MIN_MATCH
"""Each half of a bar that changes chord at its middle matches its chord's template at least this well (as a bar's
chord must). On the tuning sets' renders every half-bar change found matched 0.75 or more; on the Beatles songs
of the real tune split (drums and a voice over the chords) Ob-La-Di's Bb | F bars match 0.71-0.79."""
HALF_CONTRAST = 0.1
"""And matches its own chord's template this much better (cosine) than the other half's chord. At 0.1 none of the
tuning sets' 1,316 grid bars whose chart holds one chord over the bar splits (and 28 of the 103 that change at the
middle split, 22 with both roots right); at 0.15, 22 split (19 right)."""


def _templates() -> tuple[np.ndarray, list[Chord]]:
    rows, chords = [], []
    for root in range(12):
        for quality in TEMPLATE_QUALITIES:
            chord = Chord(root, quality)
            row = np.zeros(12)
            for n, pc in enumerate(chord.pitch_classes):
                row[pc] = SEVENTH_WEIGHT if n == 3 else 1.0
            rows.append(row / np.linalg.norm(row))
            chords.append(chord)
    return np.stack(rows), chords


def chroma_signal(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """np.ndarray [shape=(n,)]: ``mono`` at CHROMA_SR (soxr), what :func:`chroma_at` reads. Made apart so
    that a caller can keep this half-rate copy and let the full-rate signal go before the chroma's tuning
    is known (the analysis finds it)."""
    import soxr

    if sample_rate == CHROMA_SR:
        return mono
    out: np.ndarray = soxr.resample(mono, sample_rate, CHROMA_SR)
    return out


_HALF_RATE_BLOCK = 1 << 16


def chroma_signal_in_place(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """:func:`chroma_signal` written over ``mono``'s own buffer, which then shrinks to it: no second
    array (a 30-minute signal is 159 MB, its half-rate copy 80 MB). ``mono`` is consumed: the caller must
    hold no view of it. One soxr stream gives the same samples as :func:`chroma_signal`'s one call; each
    block's output lands behind the samples already read (the rate halves). An array that does not own
    its buffer gets :func:`chroma_signal`'s copy instead."""
    import soxr

    owned = mono.flags.owndata and mono.flags.c_contiguous and mono.ndim == 1 and mono.dtype == np.float32
    if sample_rate == CHROMA_SR or not owned or sample_rate < CHROMA_SR:
        return chroma_signal(mono, sample_rate)
    stream = soxr.ResampleStream(sample_rate, CHROMA_SR, 1, dtype="float32", quality="HQ")
    n, filled = mono.size, 0
    for start in range(0, n + 1, _HALF_RATE_BLOCK):  # one more (empty) block flushes the stream
        out = stream.resample_chunk(mono[start : start + _HALF_RATE_BLOCK], last=start + _HALF_RATE_BLOCK > n)
        mono[filled : filled + out.size] = out
        filled += out.size
    mono.resize(filled, refcheck=False)
    return mono


def chroma_at(y: np.ndarray, *, tuning_cents: float = 0.0) -> np.ndarray:
    """np.ndarray [shape=(12, frames)]: the constant-Q chroma of ``y`` (at CHROMA_SR: :func:`chroma_signal`),
    a frame every CHROMA_HOP samples."""
    import librosa  # heavy import, only where it is needed

    chroma: np.ndarray = librosa.feature.chroma_cqt(
        y=y, sr=CHROMA_SR, hop_length=CHROMA_HOP, tuning=tuning_cents / 100.0
    )
    return chroma


def chroma_frames(mono: np.ndarray, sample_rate: int, *, tuning_cents: float = 0.0) -> np.ndarray:
    """np.ndarray [shape=(12, frames)]: the constant-Q chroma of ``mono``, a frame every CHROMA_HOP samples at CHROMA_SR."""
    return chroma_at(chroma_signal(mono, sample_rate), tuning_cents=tuning_cents)


def span_chroma(chroma: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """np.ndarray [shape=(spans, 12)]: ``chroma`` (:func:`chroma_frames`) averaged over each (start, end)
    span in seconds; a span without frames gives zeros."""
    frames = chroma.shape[1]
    out = np.zeros((len(spans), 12))
    for i, (start, end) in enumerate(spans):
        a = min(frames, max(0, int(round(start * CHROMA_SR / CHROMA_HOP))))
        b = min(frames, max(a, int(round(end * CHROMA_SR / CHROMA_HOP))))
        if b > a:
            out[i] = chroma[:, a:b].mean(axis=1)
    return out


def heard_chords(chroma: np.ndarray, detected: Sequence[Chord]) -> list[Chord]:
    """Each bar's chord: the template that best matches its chroma (``chroma`` [shape=(bars, 12)]), unless
    the analysis's ``detected`` chord for the bar has the same root (then that one) or no template
    matches MIN_MATCH (then ``detected`` too)."""
    templates, chords = _templates()
    out: list[Chord] = []
    for row, fallback in zip(chroma, detected, strict=True):
        norm = float(np.linalg.norm(row))
        if norm <= 1e-9:
            out.append(fallback)
            continue
        scores = templates @ (row / norm)
        best = int(np.argmax(scores))
        if scores[best] < MIN_MATCH or chords[best].root == fallback.root:
            out.append(fallback)
        else:
            out.append(chords[best])
    return out


def changes_at_half_bar(
    halves: np.ndarray, opening: Sequence[Chord], previous: Sequence[Chord | None]
) -> tuple[np.ndarray, np.ndarray]:
    """(changes, reopens), np.ndarray [shape=(bars,), bool] each: whether each bar's harmony changes at its middle,
    and, of those, whether the bar opens with another chord than ``opening`` (the chord heard over each whole bar,
    :func:`heard_chords`'), from the chroma of the bar's two halves (``halves`` [shape=(bars, 2, 12)],
    :func:`span_chroma`); ``previous``: the chord heard over the bar before each (None for the first).

    A change: both halves match a template well (HALF_MATCH), their best templates have different roots, and each
    half holds its own chord clearly better than the other half's (HALF_CONTRAST of cosine), so that a passing tone
    or a melody note, which moves a half's chroma a little, does not split a bar. The first half's best template
    must have the bar's own root, with one exception (``reopens``): the bar's chord is the second half's and matches
    the first half no better than a noise (its best template of that root under MIN_MATCH), and the first half's is
    not the previous bar's (ringing on, or a grid at twice the tempo, whose half bar is a beat). A rootless voicing
    or the previous bar's tones name another root on a first half that the bar's chord still matches (Fm7 for
    Dbmaj9 without its Db): such a bar keeps its chord and its one root."""
    templates, chords = _templates()
    template_roots = np.array([chord.root for chord in chords])
    norms = np.linalg.norm(halves, axis=2, keepdims=True)
    scores = (halves / np.maximum(norms, 1e-9)) @ templates.T  # [bars, 2, templates]
    best = np.argmax(scores, axis=2)
    roots = template_roots[best]
    held = np.take_along_axis(scores, best[:, :, None], axis=2)[:, :, 0]  # each half's own chord
    other = np.take_along_axis(scores, best[:, ::-1, None], axis=2)[:, :, 0]  # the other half's chord on it
    clear = (held >= HALF_MATCH) & (held - other >= HALF_CONTRAST) & (norms[:, :, 0] > 1e-9)
    changes = (roots[:, 0] != roots[:, 1]) & clear.all(axis=1)
    own_root = np.array([chord.root for chord in opening], dtype=np.int64)
    before = np.array([-1 if chord is None else chord.root for chord in previous], dtype=np.int64)
    own_on_first = np.where(template_roots[None, :] == own_root[:, None], scores[:, 0], -1.0).max(axis=1)
    reopens = changes & (roots[:, 1] == own_root) & (own_on_first < MIN_MATCH) & (roots[:, 0] != before)
    return changes & ((roots[:, 0] == own_root) | reopens), reopens


__all__ = [
    "changes_at_half_bar",
    "chroma_at",
    "chroma_frames",
    "chroma_signal",
    "chroma_signal_in_place",
    "heard_chords",
    "span_chroma",
]
