"""Note names as a key spells them: Db, not C#, in F minor; G#m, not Abm, in E major.

Every pitch class has one or two names with at most one accidental (C# / Db, E / Fb). Which one a
musician writes depends on the key signature, so names are chosen on the line of fifths: each
note name has a position there (F -1, C 0, G 1, ... B 5; a sharp adds 7, a flat takes 7), and a
key's signature (sharps > 0, flats < 0) is the span of seven positions its scale uses. A note in
the scale takes its name in that span; a note outside it takes a natural name if it has one, else
the name nearer the key's side (sharps in sharp keys, flats in flat keys).

A key's own tonic is spelt as the caller wrote it when it is a real name (C# major stays C#
major), else with the smaller signature (Db major, G# minor); where both are as far (F# / Gb
major, D# / Eb minor) the engine's long-standing names win.
"""

from __future__ import annotations

_LETTERS_BY_FIFTH = "FCGDAEB"  # position -1 .. 5 on the line of fifths
LOWEST, HIGHEST = -8, 12  # Fb .. B#: one accidental at most
MAX_ACCIDENTALS = 7
"""The most sharps or flats a key signature has (C# major, Cb major)."""
# The engine's names before key-aware spelling: the tie-break, and the names outside any key.
PLAIN_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Where a mode's tonic sits on the line of fifths from its parent major's tonic (A minor = C major's
# notes with A, three fifths up, as tonic). Scales built on a minor third read as minor.
MODE_FIFTHS: dict[str, int] = {
    "major": 0,
    "major_pentatonic": 0,
    "lydian": -1,
    "mixolydian": 1,
    "dorian": 2,
    "minor": 3,
    "harmonic_minor": 3,
    "melodic_minor": 3,
    "minor_pentatonic": 3,
    "blues": 3,
    "phrygian": 4,
    "locrian": 5,
}


def name_at(position: int) -> str:
    """The note name at a line-of-fifths position: 0 -> 'C', 7 -> 'C#', -5 -> 'Db'."""
    shifted = position + 1  # F at 0
    accidentals = shifted // 7  # floor: -1 for flats, 1 for sharps
    letter = _LETTERS_BY_FIFTH[shifted % 7]
    return letter + ("#" * accidentals if accidentals >= 0 else "b" * -accidentals)


def position_of(name: str) -> int | None:
    """Line-of-fifths position of a note name ('C#' -> 7, 'Db' -> -5); None if it is not one."""
    text = name.strip().replace("♯", "#").replace("♭", "b")
    if not text or text[0].upper() not in _LETTERS_BY_FIFTH:
        return None
    position = _LETTERS_BY_FIFTH.index(text[0].upper()) - 1
    for accidental in text[1:]:
        if accidental not in "#b":
            return None
        position += 7 if accidental == "#" else -7
    return position


def _positions(pitch_class: int) -> list[int]:
    """Every position with at most one accidental that sounds ``pitch_class``, flat side first."""
    return [p for p in range(LOWEST, HIGHEST + 1) if (7 * p) % 12 == pitch_class % 12]


def signature(tonic: int, scale: str, tonic_name: str | None = None) -> int:
    """Sharps (> 0) or flats (< 0) of the key: its parent major's position on the line of fifths.

    ``tonic_name`` is the spelling the caller gave; when it is no name of ``tonic``, has more
    than one accidental, or makes a theoretical key (more than seven sharps or flats: Fb major, D# major,
    A# dorian, whose scales need double flats or sharps and which no MIDI key signature can hold), the
    conventional spelling is used (E major, Eb major, Bb dorian)."""
    offset = MODE_FIFTHS.get(scale, 0)
    if tonic_name is not None:
        given = position_of(tonic_name)
        if (
            given is not None
            and LOWEST <= given <= HIGHEST
            and (7 * given) % 12 == tonic % 12
            and abs(given - offset) <= MAX_ACCIDENTALS
        ):
            return given - offset
    candidates = _positions(tonic)
    plain = PLAIN_NAMES[tonic % 12]
    return min(candidates, key=lambda p: (abs(p - offset), name_at(p) != plain)) - offset


def spell(pitch_class: int, key_signature: int) -> str:
    """The name of ``pitch_class`` in a key with this signature."""
    candidates = _positions(pitch_class)
    for position in candidates:
        if key_signature - 1 <= position <= key_signature + 5:  # the key's own seven notes
            return name_at(position)
    centre = key_signature + 2
    # A natural name first (B, not Cb, in F minor); else the name on the key's side.
    return name_at(min(candidates, key=lambda p: (not -1 <= p <= 5, abs(p - centre), p)))


def tonic_names(pitch_class: int) -> list[str]:
    """The names of ``pitch_class`` with at most one accidental: ['C#', 'Db'], ['E', 'Fb']."""
    return [name_at(p) for p in _positions(pitch_class)]


def written_name(text: str) -> str | None:
    """A note name as the caller wrote it, tidied ('eb' -> 'Eb', 'F♯' -> 'F#'); None beyond one accidental."""
    position = position_of(text)
    return name_at(position) if position is not None and LOWEST <= position <= HIGHEST else None


def midi_key_signature(tonic: int, scale: str, given: str | None = None) -> str:
    """The key as a MIDI key-signature event names it (mido's names: 'Db', 'Fm', 'G#m'), for a DAW to show.

    A MIDI key signature only knows major and minor: a minor key (aeolian, harmonic, melodic, minor
    pentatonic, blues) is written as minor on its tonic; a church mode (D dorian) as its parent major's
    signature (C), as scores write modes."""
    key_signature = signature(tonic, scale, given)
    if MODE_FIFTHS.get(scale, 0) == MODE_FIFTHS["minor"]:
        return name_at(key_signature + MODE_FIFTHS["minor"]) + "m"
    return name_at(key_signature)


def tonic_name(tonic: int, scale: str, given: str | None = None) -> str:
    """How the key's tonic is written: the caller's spelling when it is one, else the convention."""
    return spell(tonic, signature(tonic, scale, given))


__all__ = [
    "MODE_FIFTHS",
    "PLAIN_NAMES",
    "midi_key_signature",
    "name_at",
    "position_of",
    "signature",
    "spell",
    "tonic_name",
    "tonic_names",
    "written_name",
]
