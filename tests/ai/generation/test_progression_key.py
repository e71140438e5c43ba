"""The key a chord progression implies (a generation request with chords and no key)."""

from __future__ import annotations

import pytest

from ai.generation.progression_key import key_of_progression
from ai.music_theory import parse_progression


@pytest.mark.parametrize(
    ("chords", "key"),
    [
        ("B7 E A E", "E major"),  # V7 - I - IV - I
        ("C G Am F", "C major"),
        ("Dm7 G7 Cmaj7", "C major"),
        # a loop opening on the relative minor, not closing on the major's tonic, is in the minor key (it read G major,
        # C major, Ab major): "Zombie" is in E minor
        ("Em C G D", "E minor"),
        ("Am F C G", "A minor"),
        ("Fm Db Ab Eb", "F minor"),
        ("Em Am D G", "G major"),  # closing on G: home is G
        ("Am7 Dm7 G7 Cmaj7", "C major"),
        ("Am Dm E7 Am", "A harmonic_minor"),  # the E7's G sharp: neither C major nor A natural minor holds it
        ("Am Dm Am", "A minor"),
        ("D C G D", "D mixolydian"),  # a C natural and an F sharp: D major cannot hold them
        ("E D A E", "E mixolydian"),
        # a two-chord vamp is heard in its first chord (the profiles alone: G major, F major, F major, D major)
        ("Am G Am G", "A minor"),
        ("C Bb", "C mixolydian"),
        ("Am F", "A minor"),
        ("A G", "A mixolydian"),
        ("G C", "G major"),
        ("B7 E", "E major"),  # ...but a dominant seventh resolving is not home
    ],
)
def test_the_key_the_chords_imply(chords: str, key: str) -> None:
    assert key_of_progression(parse_progression(chords)).name == key


def test_every_chord_tone_fits_the_scale_when_one_can_hold_them() -> None:
    for text in ("B7 E A E", "Am Dm E7 Am", "D C G D", "F#m D A E", "Bb F Gm Eb"):
        chords = parse_progression(text)
        key = key_of_progression(chords)
        assert all(pc in key.pitch_classes for chord in chords for pc in chord.pitch_classes), (text, key.name)


def test_a_named_scale_keeps_its_scale() -> None:
    key = key_of_progression(parse_progression("Am F C G"), "minor")
    assert key.name == "A minor"
    assert key_of_progression(parse_progression("Dm7 G7"), "dorian").name == "D dorian"


def test_no_chords_is_refused() -> None:
    with pytest.raises(ValueError):
        key_of_progression(())
