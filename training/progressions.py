"""Chord progressions the MMA grooves are rendered over, written in C major / A minor.

Each progression is a list of (root pitch class, quality) pairs, one chord per bar. A rendering
transposes a progression to another key; training data is transposed back to C major / A minor.
"""

from __future__ import annotations

from dataclasses import dataclass

# quality -> (MMA chord suffix, note_seq chord-symbol suffix)
QUALITIES: dict[str, tuple[str, str]] = {
    "": ("", ""),
    "m": ("m", "m"),
    "7": ("7", "7"),
    "m7": ("m7", "m7"),
    "maj7": ("M7", "maj7"),
    "dim": ("dim", "dim"),
}
NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class Progression:
    name: str
    minor: bool  # tonic A minor (in the C/Am normal form) instead of C major
    bars: tuple[tuple[int, str], ...]


PROGRESSIONS: tuple[Progression, ...] = (
    Progression("I-vi-IV-V", False, ((0, ""), (9, "m"), (5, ""), (7, ""))),
    Progression("I-V-vi-IV", False, ((0, ""), (7, ""), (9, "m"), (5, ""))),
    Progression("ii-V-I", False, ((2, "m7"), (7, "7"), (0, "maj7"), (0, "maj7"))),
    Progression("I-IV-I-V7", False, ((0, ""), (5, ""), (0, ""), (7, "7"))),
    Progression("I-iii-IV-V", False, ((0, ""), (4, "m"), (5, ""), (7, ""))),
    Progression("IV-V-iii-vi", False, ((5, ""), (7, ""), (4, "m"), (9, "m"))),
    Progression(
        "blues12",
        False,
        (
            (0, "7"),
            (5, "7"),
            (0, "7"),
            (0, "7"),
            (5, "7"),
            (5, "7"),
            (0, "7"),
            (0, "7"),
            (7, "7"),
            (5, "7"),
            (0, "7"),
            (7, "7"),
        ),
    ),
    Progression("i-VI-III-VII", True, ((9, "m"), (5, ""), (0, ""), (7, ""))),
    Progression("i-iv-V7-i", True, ((9, "m"), (2, "m"), (4, "7"), (9, "m"))),
    Progression("i-VII-VI-V7", True, ((9, "m"), (7, ""), (5, ""), (4, "7"))),
    Progression("i-III-iv-V7", True, ((9, "m"), (0, ""), (2, "m"), (4, "7"))),
    Progression("ii0-V-i", True, ((11, "dim"), (4, "7"), (9, "m7"), (9, "m7"))),
)


def chord_names(progression: Progression, *, transpose: int, mma: bool) -> list[str]:
    """Chord symbols of ``progression`` moved up ``transpose`` semitones, one per bar.

    ``mma=True`` spells them for MMA (``CM7``), otherwise for note_seq (``Cmaj7``).
    """
    index = 0 if mma else 1
    return [NAMES[(root + transpose) % 12] + QUALITIES[quality][index] for root, quality in progression.bars]


def normalising_shift(transpose: int) -> int:
    """Semitones (−6..5) that bring a rendering made ``transpose`` semitones up back to C/Am."""
    shift = (-transpose) % 12
    return shift - 12 if shift > 5 else shift
