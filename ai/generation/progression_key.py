"""The key a chord progression implies, for a generation request that names chords but no key.

Without it the part was made in C major over any chords: over "B7 E A" the bass line was snapped to C major's
scale and played C over B7 and over A (wrong notes). Four readings, in order:

1. The scale must hold the chords: of every candidate (12 tonics x major, minor, harmonic minor, mixolydian,
   dorian, or the scale the request names), only those whose pitch set holds the most of the progression's tone weight are kept
   ("D C G D" needs a C natural and an F sharp: D mixolydian or G major, never D major).
2. A vamp of two chords ("Am G", "C Bb C Bb", "A E") is heard in its first chord: the first of the fitting
   keys on that chord's root whose scale has the chord's third (A minor, C mixolydian, A major), unless it
   is a dominant seventh before its resolution ("B7 E" is in E). The profiles alone heard "Am G" in G major
   and "C Bb" in F major.
3. The tonic otherwise: among the fitting keys, the key whose major or minor profile (Temperley's harmonic profiles, the ones the
   analysis reads keys with, ai/analysis/tonal.py) correlates best with the progression's pitch classes (each
   chord's tones, its root counted twice, the first and last chords twice: progressions open and close on
   their tonic more often than not).
4. But a loop that opens on that major key's relative minor and does not close on its tonic ("Am F C G",
   "Em C G D", "Fm Db Ab Eb": the vi-IV-I-V and i-VI-III-VII of pop) is in the minor key: a producer who types
   it means A minor, where the profiles heard C major (Ab major for "Fm Db Ab Eb"). One that closes on the
   major's tonic ("Em Am D G") keeps the major.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.analysis.tonal import key_correlations
from ai.music_theory import MINOR_FAMILY, Chord, Key, normalise_scale

PROFILES = ("temperley",)
"""Temperley's profiles: built from the harmony of a textbook corpus, so chord tones fit them."""
EDGE_WEIGHT = 2.0
"""How much more the first and last chords count."""
CANDIDATE_SCALES = ("major", "minor", "harmonic_minor", "mixolydian", "dorian")
"""The scales read when the request names none, in order of preference where two hold the chords equally: the
keys of most songs, the minor key whose dominant is major (E7 in A minor), rock's and funk's modes."""


def progression_pitch_classes(chords: Sequence[Chord]) -> np.ndarray:
    """[shape=(12,)] the weight of each pitch class in ``chords`` (tones once, the root once more)."""
    pcd = np.zeros(12)
    for i, chord in enumerate(chords):
        weight = EDGE_WEIGHT if i in (0, len(chords) - 1) else 1.0
        for pc in chord.pitch_classes:
            pcd[pc] += weight
        pcd[chord.root] += weight
    return pcd


def key_of_progression(chords: Sequence[Chord], scale: str | None = None) -> Key:
    """The key ``chords`` imply (module docstring); ``scale`` (a scale name or alias) fixes the scale."""
    if not chords:
        raise ValueError("no chords to read a key from")
    pcd = progression_pitch_classes(chords)
    correlation = key_correlations(pcd, PROFILES)  # rows 0-11 major on tonic 0..11, 12-23 minor
    scales = (normalise_scale(scale),) if scale is not None else CANDIDATE_SCALES
    candidates = [Key(tonic, name) for name in scales for tonic in range(12)]
    held = np.array([sum(pcd[pc] for pc in key.pitch_classes) for key in candidates])
    fitting = [key for key, weight in zip(candidates, held, strict=True) if weight >= held.max() - 1e-9]
    vamp_key = _vamp_key(chords, fitting)
    if vamp_key is not None:
        return vamp_key
    best = max(fitting, key=lambda key: correlation[key.tonic + (12 if key.scale in MINOR_FAMILY else 0)])
    return _relative_minor_loop(chords, best, fitting) or best


def _vamp_key(chords: Sequence[Chord], fitting: Sequence[Key]) -> Key | None:
    """The key of a two-chord vamp, on its first chord (module docstring, 2), or None."""
    if len({(chord.root, chord.quality) for chord in chords}) != 2:
        return None
    first = chords[0]
    other = next(chord for chord in chords if (chord.root, chord.quality) != (first.root, first.quality))
    if 10 in first.intervals and 4 in first.intervals and (other.root - first.root) % 12 == 5:
        return None  # "B7 E": a dominant seventh and its resolution, heard in E
    third = (first.root + (3 if 3 in first.intervals else 4)) % 12
    return next((key for key in fitting if key.tonic == first.root and third in key.pitch_classes), None)


def _relative_minor_loop(chords: Sequence[Chord], best: Key, fitting: Sequence[Key]) -> Key | None:
    """The minor key of a loop that opens on ``best``'s relative minor and does not close on its tonic (module
    docstring, 4), where it holds the chords as well; None otherwise."""
    first, last = chords[0], chords[-1]
    minor_chord = 3 in first.intervals and 4 not in first.intervals and 7 in first.intervals  # Am, Am7, Am9, not Adim
    if best.scale != "major" or not minor_chord or first.root != (best.tonic + 9) % 12 or last.root == best.tonic:
        return None
    return next((key for key in fitting if key.tonic == first.root and key.scale == "minor"), None)
