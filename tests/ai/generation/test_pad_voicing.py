"""The accompaniment pad's voicings: every chord tone, no semitone between neighbouring voices."""

from __future__ import annotations

from itertools import pairwise

from ai.generation.accompaniment.parts import PAD_LOW, pad_voicing
from ai.music_theory import CHORD_QUALITIES, Chord, parse_chord


def test_a_major_seventh_keeps_its_seventh_off_the_root() -> None:
    # In the one octave from G3 these were G#3 A3 C#4 E4 and A3 C4 E4 F4: the seventh rubbing against the root.
    assert pad_voicing(parse_chord("Amaj7")) == [57, 61, 64, 68]  # A3 C#4 E4 G#4
    assert pad_voicing(parse_chord("Fmaj7")) == [53, 57, 60, 64]  # F3 A3 C4 E4
    assert pad_voicing(parse_chord("C")) == [55, 60, 64]  # triads stay in the octave from G3, as before
    assert pad_voicing(parse_chord("Am")) == [57, 60, 64]


def test_every_chord_keeps_its_tones_with_no_semitone_between_neighbours() -> None:
    for quality in CHORD_QUALITIES:
        for root in range(12):
            chord = Chord(root, quality)
            voicing = pad_voicing(chord)
            assert sorted({p % 12 for p in voicing}) == sorted(set(chord.pitch_classes)), chord
            assert all(b - a != 1 for a, b in pairwise(voicing)), (chord, voicing)
            assert voicing[0] >= PAD_LOW - 12 and voicing[-1] <= PAD_LOW + 24 and voicing[-1] - voicing[0] <= 18
