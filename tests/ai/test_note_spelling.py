"""Note and chord names as a key spells them: Db in F minor, G#m in E major, the caller's own spelling kept."""

from __future__ import annotations

import pytest

from ai import note_spelling
from ai.music_keys import camelot, normalise_key, spellings
from ai.music_theory import (
    CHORD_QUALITIES,
    SCALES,
    Chord,
    Key,
    default_progression,
    parse_chord,
    parse_key,
    parse_progression,
    spelled_in,
)


@pytest.mark.parametrize(
    ("key", "chords"),
    [
        ("F minor", ["Fm", "Db", "Ab", "Eb"]),  # i VI III VII: Db, not C#
        ("Bb minor", ["Bbm", "Gb", "Db", "Ab"]),
        ("C# minor", ["C#m", "A", "E", "B"]),
        ("Db major", ["Db", "Bbm", "Gb", "Ab"]),
        ("B major", ["B", "G#m", "E", "F#"]),  # vi is G#m, not Abm
        ("E major", ["E", "C#m", "A", "B"]),
        ("C major", ["C", "Am", "F", "G"]),
    ],
)
def test_a_keys_own_chords_are_spelt_in_its_letters(key: str, chords: list[str]) -> None:
    parsed = parse_key(key)
    assert [parsed.chord_symbol(c) for c in default_progression(parsed)] == chords


def test_every_pitch_class_of_a_key_has_its_own_letter() -> None:
    """Seven scale notes, seven letters: no key spells two of its notes on one letter."""
    for scale in ("major", "minor", "dorian", "mixolydian", "lydian", "phrygian", "locrian"):
        for tonic in range(12):
            key = Key(tonic, scale)
            names = [key.spell((tonic + step) % 12) for step in SCALES[scale]]
            assert len({name[0] for name in names}) == 7, (key.name, names)


def test_tonics_take_the_smaller_signature_and_the_callers_spelling_wins() -> None:
    majors = [Key(t, "major").spelled_tonic for t in range(12)]
    minors = [Key(t, "minor").spelled_tonic for t in range(12)]
    assert majors == ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    assert minors == ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
    assert parse_key("C#").name == "C# major" and parse_key("Db").name == "Db major"
    assert parse_key("C#") == parse_key("Db")  # one key, two names
    c_sharp = parse_key("c#")
    assert [c_sharp.chord_symbol(c) for c in default_progression(c_sharp)] == ["C#", "A#m", "F#", "G#"]
    # A name that is not the tonic's, or has two accidentals, falls back to the convention.
    assert Key(1, "major", tonic_name="Dbb").name == "Db major"
    assert Key(1, "major", tonic_name="E").name == "Db major"


@pytest.mark.parametrize(
    ("key", "name", "chords", "signature"),
    [
        ("Fb", "E major", ["E", "C#m", "A", "B"], "E"),  # not Fb Dbm A Cb: its IV would be Bbb
        ("Fb minor", "E minor", ["Em", "C", "G", "D"], "Em"),  # not Fbm C G D
        ("D#", "Eb major", ["Eb", "Cm", "Ab", "Bb"], "Eb"),
        ("A# dorian", "Bb dorian", ["Bbm7", "Eb7", "Bbm7", "Eb7"], "Ab"),
        ("Cb", "Cb major", ["Cb", "Abm", "Fb", "Gb"], "Cb"),  # seven flats: a real key, kept
        ("A# minor", "A# minor", ["A#m", "F#", "C#", "G#"], "A#m"),  # seven sharps, kept
    ],
)
def test_a_theoretical_key_is_named_and_spelt_as_its_enharmonic_key(
    key: str, name: str, chords: list[str], signature: str
) -> None:
    # More than seven sharps or flats needs double accidentals, and no MIDI key signature holds it: the answer
    # names the key its MIDI file's signature already named, and spells its chords in that key's letters.
    parsed = parse_key(key)
    assert parsed.name == name and parsed.midi_key_signature == signature
    assert [parsed.chord_symbol(c) for c in default_progression(parsed)] == chords


def test_notes_outside_the_key_prefer_natural_letters_then_the_keys_side() -> None:
    f_minor = parse_key("F minor")
    assert f_minor.spell(4) == "E" and f_minor.spell(11) == "B"  # not Fb, Cb
    assert parse_key("E major").spell(10) == "A#" and parse_key("F major").spell(8) == "Ab"
    assert [parse_key("C").spell(pc) for pc in range(12)] == list(note_spelling.PLAIN_NAMES)


def test_chords_the_caller_wrote_are_echoed_as_written() -> None:
    chords = parse_progression("C# F# G#m/D# Bbmaj7")
    key = parse_key("Db")
    assert [key.chord_symbol(c) for c in chords] == ["C#", "F#", "G#m/D#", "Bbmaj7"]
    assert parse_chord("C#") == parse_chord("Db")  # identity ignores the spelling
    # A key read from the chords takes their spelling.
    assert Key(1, "major").spelled_like(chords).name == "C# major"
    assert Key(1, "major").spelled_like(parse_progression("Db Gb Ab")).name == "Db major"
    assert Key(1, "major").spelled_like([Chord(1, "")]).name == "Db major"


def test_every_spelt_symbol_reads_back_as_the_same_chord() -> None:
    for scale in SCALES:
        for tonic in range(12):
            key = Key(tonic, scale)
            for root in range(12):
                for quality in CHORD_QUALITIES:
                    chord = Chord(root, quality, bass=(root + 4) % 12)
                    assert parse_chord(key.chord_symbol(chord)) == chord, (key.name, key.chord_symbol(chord))


def test_analysis_labels_are_respelt_in_the_key_found() -> None:
    f_minor = parse_key("F minor")
    assert [spelled_in(label, f_minor) for label in ("C#", "G#m7", "F#/A#", "N", "C6/9")] == [
        "Db",
        "Abm7",
        "Gb/Bb",
        "N",
        "C6/9",
    ]


def test_key_names_keep_one_canonical_spelling_and_list_the_others() -> None:
    assert normalise_key("C# major") == "Db major" and normalise_key("Ab minor") == "G# minor"
    assert normalise_key("Gb major") == "F# major" and normalise_key("D# minor") == "Eb minor"
    assert spellings("C#") == ["Db major", "C# major"] and spellings("G") == ["G major"]
    assert spellings("E minor") == ["E minor"]  # no Fb minor
    assert camelot("C# major") == camelot("Db major") == "3B"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("F sharp minor", "F# minor"),
        ("B flat", "Bb major"),
        ("b-flat major", "Bb major"),
        ("E Flat dorian", "Eb dorian"),
    ],
)
def test_an_accidental_written_as_a_word_is_read(key: str, name: str) -> None:
    # An assistant writes "F sharp minor" out (the text command read it; key= said "unknown scale 'sharp minor'").
    assert parse_key(key).name == name
