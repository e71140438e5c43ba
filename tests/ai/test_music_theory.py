"""Chord symbols as musicians write them: extended, altered, added-note and slash chords."""

from __future__ import annotations

import re

import pytest

from ai.music_theory import (
    CHORD_QUALITIES,
    PITCH_CLASS_NAMES,
    Chord,
    Key,
    beat_scale,
    change_beat,
    chord_scale,
    fold_into_range,
    other_third,
    parse_chart,
    parse_chord,
    parse_key,
    parse_progression,
    snap_to_scale,
    tones_under,
)


@pytest.mark.parametrize(
    ("symbol", "pitch_classes", "bass"),
    [
        ("Am11", {9, 0, 4, 7, 11, 2}, None),
        ("Bb7#9", {10, 2, 5, 8, 1}, None),
        ("G7(b9)", {7, 11, 2, 5, 8}, None),
        ("G13", {7, 11, 2, 5, 9, 4}, None),  # the 11th left out, as players voice it
        ("Cadd9", {0, 4, 7, 2}, None),
        ("Cm(add9)", {0, 3, 7, 2}, None),
        ("F6/9", {5, 9, 0, 2, 7}, None),  # a 6/9 chord, not F6 over a note "9"
        ("D7sus4", {2, 7, 9, 0}, None),
        ("Am(maj7)", {9, 0, 4, 8}, None),
        ("Ebmaj7#11", {3, 7, 10, 2, 9}, None),
        ("E7#5", {4, 8, 0, 2}, None),
        ("B7b5", {11, 3, 5, 9}, None),
        ("Csus2", {0, 2, 7}, None),
        ("C/E", {0, 4, 7}, 4),
        ("F#m7b5/C", {6, 9, 0, 4}, 0),
    ],
)
def test_chord_symbols_give_their_notes(symbol: str, pitch_classes: set[int], bass: int | None) -> None:
    chord = parse_chord(symbol)
    assert set(chord.pitch_classes) == pitch_classes
    assert chord.bass == bass


def test_every_quality_reads_back_from_its_own_symbol_and_magentas_chord_parser() -> None:
    """Magenta's ImprovRNN reads the chords as note-seq symbols: every spelling the engine writes
    must parse there to the same notes (13ths aside, which note-seq voices with the 11th)."""
    from note_seq import chord_symbols_lib

    for quality, intervals in CHORD_QUALITIES.items():
        for root in range(12):
            chord = Chord(root, quality)
            assert parse_chord(chord.symbol) == chord
            notes = set(chord_symbols_lib.chord_symbol_pitches(chord.symbol))
            expected = {(root + i) % 12 for i in intervals}
            assert expected <= notes if quality.endswith("13") else notes == expected, chord.symbol
        assert parse_chord(f"C{quality}/E").bass == 4


def test_unknown_qualities_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown quality 'x7'.*known: major, m"):
        parse_chord("Cx7")
    with pytest.raises(ValueError, match="not a note name"):
        parse_chord("C/H")


def test_a_progression_of_jazz_chords() -> None:
    chords = parse_progression("Dm9 G13 Cmaj9 A7b9")
    assert [c.symbol for c in chords] == ["Dm9", "G13", "Cmaj9", "A7b9"]
    assert PITCH_CLASS_NAMES[chords[3].root] == "A"


def test_fold_into_range_moves_by_octaves_only() -> None:
    assert fold_into_range(24, 40, 60) == 48  # up two octaves
    assert fold_into_range(79, 40, 60) == 55  # down two
    assert fold_into_range(50, 40, 60) == 50  # already inside
    assert fold_into_range(28, 40, 52) == 40  # onto the lower edge


@pytest.mark.parametrize(
    ("text", "tonic", "scale"),
    [
        ("C-", 0, "minor"),  # the jazz minor sign, as in the chord C-7 (was read as C major)
        ("F#-", 6, "minor"),
        ("A-minor", 9, "minor"),
        ("A_major", 9, "major"),
        ("Eb", 3, "major"),
        ("Bbm", 10, "minor"),
    ],
)
def test_keys_as_musicians_write_them(text: str, tonic: int, scale: str) -> None:
    key = parse_key(text)
    assert (key.tonic, key.scale) == (tonic, scale)


def test_a_german_h_is_told_to_come_as_b() -> None:
    with pytest.raises(ValueError, match="^'Hm' is not a key: a German H is B here, so send key=Bm$"):
        parse_key("Hm")
    with pytest.raises(ValueError, match=r"^'Q' is not a key \(use a note name"):
        parse_key("Q")


@pytest.mark.parametrize(
    ("key", "chord", "altered"),
    [
        (Key(0, "major"), "A7", {0}),  # its third C# alters C
        (Key(0, "major"), "Bb", {11}),
        (Key(0, "major"), "Eb", {4, 11}),
        (Key(0, "major"), "F#7", {5, 9, 0}),
        (Key(0, "major"), "C/Bb", {11}),  # a slash bass the key lacks
        (Key(9, "minor"), "E", {7}),  # G# alters G, not A
        (Key(9, "harmonic_minor"), "G", {8}),  # the scale's G# (spelt on its letter, not as Ab)
        (Key(0, "major"), "G7", set()),
        (Key(0, "major"), "C/E", set()),
    ],
)
def test_a_chord_scale_leaves_out_the_key_tones_its_chord_alters(key: Key, chord: str, altered: set[int]) -> None:
    assert key.pitch_classes - chord_scale(key, parse_chord(chord)) == altered


@pytest.mark.parametrize(
    ("key", "chord", "other", "left_out"),
    [
        (Key(0, "major"), "Ab", 11, {4, 9, 11}),  # B is Cb against the chord's C; A and E its letters alter
        (Key(0, "major"), "Db", 4, {2, 4, 9}),  # the Neapolitan: E is Fb against its F
        (Key(0, "major"), "Fm", 9, {9}),  # A natural, on the letter Ab alters
        (Key(9, "harmonic_minor"), "F", 8, {8}),  # the leading tone G# over VI
        (Key(0, "major"), "G7", 10, set()),  # a chord of the key: its other third is no key tone
        (Key(0, "major"), "C7#9", None, {2, 11}),  # both thirds, none other (D# and Bb alter D and B)
        (Key(0, "major"), "Gsus4", None, set()),
    ],
)
def test_on_a_beat_a_melody_leaves_out_the_chords_other_third(
    key: Key, chord: str, other: int | None, left_out: set[int]
) -> None:
    """chord_scale goes by letters, and B under Ab in C major is on none the chord alters; on a beat it is
    the wrong third all the same (session 29's QA; counted in session 30)."""
    parsed = parse_chord(chord)
    assert other_third(parsed) == other
    assert key.pitch_classes - beat_scale(key, parsed) == left_out
    assert beat_scale(key, parsed) <= chord_scale(key, parsed)


@pytest.mark.parametrize(
    ("key", "chord", "under"),
    [
        (Key(0, "major"), "Bb", {0, 2, 4, 5, 7, 9, 10}),  # a borrowed bVII: C mixolydian
        (Key(0, "major"), "A7", {1, 2, 4, 5, 7, 9, 11}),  # C# for C
        (Key(0, "major"), "D/F#", {0, 2, 4, 6, 7, 9, 11}),  # the slash bass F# for F
        (Key(0, "major"), "G7", {0, 2, 4, 5, 7, 9, 11}),  # a chord of the key: the key
    ],
)
def test_tones_under_a_chord_are_its_chord_scale_and_its_own_tones(key: Key, chord: str, under: set[int]) -> None:
    assert tones_under(key, parse_chord(chord)) == under


def test_snap_to_scale_reaches_past_a_wide_gap() -> None:
    assert snap_to_scale(61, frozenset({0, 2})) == 60  # ties go down
    assert snap_to_scale(66, frozenset({0})) == 60  # six semitones away: the search reached three before


@pytest.mark.parametrize("meter", [(1, 4), (1, 8), (1, 2), (1, 16)])
def test_a_bar_of_one_beat_holds_one_chord(meter: tuple[int, int]) -> None:
    # Its change fell on the next bar line: the theory bass played G7's root there for 0 s, and Magenta's chord
    # reader raised CoincidentChordsError, a 500 (QA pass 5a).
    with pytest.raises(ValueError, match=r"bar 1 \('Dm7 G7'\) holds two chords: a bar of 1/\d+ is one beat"):
        parse_chart("Dm7 G7 | C").check_meter(*meter)
    parse_chart("Dm7 | G7 | C").check_meter(*meter)
    parse_chart("Dm7 G7 C").check_meter(*meter)
    parse_chart("Dm7 G7 | C").check_meter(2, 4)


def test_a_bars_beat_slashes_count_the_meters_beats() -> None:
    """'Dm7 / / / / /' in 4/4 and 'C / / /' in 3/4 were played a bar each, their slashes ignored."""
    chart = parse_chart("Dm7 / G7 / | C / / / / / | % | F")
    assert chart.counts == (4, 6, None, None)
    with pytest.raises(
        ValueError, match=r"bar 2 \('C / / / / /'\) counts 6 beats with its slashes: a bar of 4/4 holds 4"
    ):
        chart.check_meter(4, 4)
    with pytest.raises(ValueError, match=r"bar 1 \('C / / /'\) counts 4 beats .* a bar of 3/4 holds 3 beats"):
        parse_chart("C / / / | G / /").check_meter(3, 4)
    parse_chart("C / / | G / F").check_meter(3, 4)
    parse_chart("C / / / / / / | G").check_meter(7, 8)  # a simple meter of eighths counts them
    # 6/8 and 12/8: the eighths or the dotted-quarter beats, as lead sheets write them
    for compound in ("C / / F / / | G", "C / | G /"):
        parse_chart(compound).check_meter(6, 8)
    parse_chart("C / F / | G / / / / / / / / / / /").check_meter(12, 8)
    with pytest.raises(ValueError, match=r"a bar of 6/8 holds 6 eighths, or 2 dotted-quarter beats"):
        parse_chart("C / / / | G").check_meter(6, 8)
    parse_chart("Am F C G").check_meter(3, 4)  # counts nothing: one chord a bar in any meter


def test_a_charts_bars_must_count_alike_where_no_meter_is_known_yet() -> None:
    """An accompaniment's meter comes from its recording: before that, only bars that count alike (or a compound
    meter's eighths and dotted beats) can be checked."""
    for fine in ("C / / | F / / |", "C / / F / / | G / |", "C / | G / / / / / |", "Am F C G", "C | F / / / |"):
        parse_chart(fine).check_counts_agree()
    with pytest.raises(ValueError, match=r"bar 2 \('F / / /'\) counts 4 beats .* \('C / /'\) 3: the bars of one"):
        parse_chart("C / / | F / / / |").check_counts_agree()
    with pytest.raises(ValueError, match=r"bar 3 \('G / / / / / / / / / / / / / / / / /'\) counts 18"):
        parse_chart("C / | F / / / / / | G / / / / / / / / / / / / / / / / / |").check_counts_agree()


@pytest.mark.parametrize(
    ("chart", "meter", "refused"),
    [
        # 9/8 changes after two dotted beats (6 + 3 eighths), as the generators play it; it was checked at eighth 6
        ("C / / / / / F / / | G", (9, 8), None),
        ("C / / / / F / / / | G", (9, 8), "changes chord on beat 6 of 9: a bar of 9/8 changes on beat 7 (6 + 3)"),
        ("C / F | G", (9, 8), None),  # its dotted-quarter beats: 2 + 1
        # nine beats of a simple meter: the middle, the longer half first
        ("C / / / / F / / / | G", (9, 4), None),
        ("C / / / / / F / / | G", (9, 4), "changes chord on beat 7 of 9: a bar of 9/4 changes on beat 6 (5 + 4)"),
        ("C / / F / | G", (5, 4), None),
        ("C / / / F / / | G", (7, 8), None),
        ("C / / / / / F / / / / / | G", (12, 8), None),
        ("C / F / | G", (12, 8), None),
    ],
)
def test_a_bars_change_is_checked_where_its_meter_changes(
    chart: str, meter: tuple[int, int], refused: str | None
) -> None:
    parsed = parse_chart(chart)
    if refused is not None:
        with pytest.raises(ValueError, match=re.escape(refused)):
            parsed.check_meter(*meter)
        return
    parsed.check_meter(*meter)
    count, at = parsed.counts[0], parsed.change_counts[0]
    assert count is not None and at is not None
    assert at * meter[0] == change_beat(*meter) * count  # the generator's change, in the bar's own count


def test_a_chart_with_bar_lines_holds_up_to_two_chords_a_bar() -> None:
    chart = parse_chart("Dm7 G7 | Cmaj7 |  Am7,D7 | G |")
    assert [c.symbol for c in chart.bars] == ["Dm7", "Cmaj7", "Am7", "G"]
    assert [c.symbol if c else None for c in chart.changes] == ["G7", None, "D7", None]
    assert chart.splits and [c.symbol for c in chart.chords] == ["Dm7", "G7", "Cmaj7", "Am7", "D7", "G"]
    plain = parse_chart("Am F C G")  # no bar line: one chord a bar, as parse_progression reads it
    assert plain.bars == parse_progression("Am F C G") and not plain.splits
    assert parse_chart("Am | F | C | G") == plain
    assert parse_chart("Dm7-G7 | C") == parse_chart("Dm7 G7 | C")
    # a lead sheet's beat slashes and repeat sign
    assert parse_chart("Dm7 / G7 / | C / / / | % | F / G") == parse_chart("Dm7 G7 | C | C | F G")
    with pytest.raises(ValueError, match=r"bar 1 \('C / / G'\) changes chord on beat 4 of 4"):
        parse_chart("C / / G | F")
    with pytest.raises(ValueError, match="bar 1 is '%'"):
        parse_chart("% | C")
    with pytest.raises(ValueError, match="does not start with a chord"):
        parse_chart("/ C | F")
    with pytest.raises(ValueError, match="bar 2 .* holds 3 chords"):
        parse_chart("C | Dm7 G7 C")
    with pytest.raises(ValueError, match="empty"):
        parse_chart(" | | ")
    # Without a bar line a slash or '%' was "'/' is not a chord symbol", though the chart reads them: where they go.
    for text in ("C / / G", "Dm7 / G7 /", "C %"):
        with pytest.raises(ValueError, match=r"read between bar lines: 'Dm7 / G7 / \| C / / / \| %'"):
            parse_chart(text)
    assert parse_chart("Dm7 / G7 / |") == parse_chart("Dm7 G7 |")
