"""Pitch classes, keys, scales and chord symbols shared by every generator and by analysis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ai import note_spelling

PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Semitone steps above the tonic.
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic_minor": (0, 2, 3, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
SCALE_ALIASES = {
    "ionian": "major",
    "aeolian": "minor",
    "natural_minor": "minor",
    "pentatonic": "major_pentatonic",
    "major_pent": "major_pentatonic",
    "minor_pent": "minor_pentatonic",
    "minor_blues": "blues",
}
# Scales whose third is minor: they take minor-key defaults and are normalised to A minor.
MINOR_FAMILY = {
    "minor",
    "harmonic_minor",
    "melodic_minor",
    "dorian",
    "phrygian",
    "locrian",
    "minor_pentatonic",
    "blues",
}

# Default progressions per mode, as (scale degree semitones, quality) from the tonic; one per bar.
DEFAULT_PROGRESSIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "major": ((0, ""), (9, "m"), (5, ""), (7, "")),  # I vi IV V
    "minor": ((0, "m"), (8, ""), (3, ""), (10, "")),  # i VI III VII
    "harmonic_minor": ((0, "m"), (5, "m"), (7, "7"), (0, "m")),  # i iv V7 i
    "melodic_minor": ((0, "m"), (5, "7"), (7, "7"), (0, "m")),  # i IV7 V7 i
    "dorian": ((0, "m7"), (5, "7"), (0, "m7"), (5, "7")),  # i7 IV7
    "phrygian": ((0, "m"), (1, ""), (0, "m"), (10, "m")),  # i bII i bvii
    "lydian": ((0, ""), (2, ""), (0, ""), (2, "")),  # I II
    "mixolydian": ((0, ""), (10, ""), (5, ""), (0, "")),  # I bVII IV I
    "locrian": ((0, "dim"), (1, ""), (5, "m"), (0, "dim")),
    "major_pentatonic": ((0, ""), (5, ""), (9, "m"), (7, "")),
    "minor_pentatonic": ((0, "m"), (10, ""), (5, "m"), (0, "m")),
    "blues": ((0, "7"), (5, "7"), (0, "7"), (7, "7")),
}

CHORD_QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "9": (0, 4, 7, 10, 14),
    "m9": (0, 3, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "5": (0, 7),
    # Extended, altered and added-note chords, spelled as note-seq (Magenta's chord pipeline) reads
    # them. 13th chords leave out the 11th, as players voice them.
    "mM7": (0, 3, 7, 11),
    "7sus": (0, 5, 7, 10),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "6/9": (0, 4, 7, 9, 14),
    "11": (0, 4, 7, 10, 14, 17),
    "m11": (0, 3, 7, 10, 14, 17),
    "13": (0, 4, 7, 10, 14, 21),
    "m13": (0, 3, 7, 10, 14, 21),
    "maj13": (0, 4, 7, 11, 14, 21),
    "7b9": (0, 4, 7, 10, 13),
    "7#9": (0, 4, 7, 10, 15),
    "7b5": (0, 4, 6, 10),
    "7#5": (0, 4, 8, 10),
    "7#11": (0, 4, 7, 10, 18),
    "maj7#11": (0, 4, 7, 11, 18),
}
_QUALITY_ALIASES = {
    "maj": "",
    "M": "",
    "major": "",
    "min": "m",
    "-": "m",
    "minor": "m",
    "M7": "maj7",
    "Maj7": "maj7",
    "ma7": "maj7",
    "min7": "m7",
    "-7": "m7",
    "ø": "m7b5",
    "ø7": "m7b5",
    "o": "dim",
    "°": "dim",
    "o7": "dim7",
    "°7": "dim7",
    "+": "aug",
    "sus": "sus4",
    "dom7": "7",
    "min6": "m6",
    "min9": "m9",
    "mmaj7": "mM7",
    "mMaj7": "mM7",
    "minmaj7": "mM7",
    "-maj7": "mM7",
    "7sus4": "7sus",
    "sus7": "7sus",
    "sus47": "7sus",
    "69": "6/9",
    "6add9": "6/9",
    "M9": "maj9",
    "min11": "m11",
    "-11": "m11",
    "min13": "m13",
    "M13": "maj13",
    "aug7": "7#5",
    "+7": "7#5",
    "7+": "7#5",
    "7-9": "7b9",
    "7+9": "7#9",
    "M7#11": "maj7#11",
    "2": "sus2",
    "add2": "add9",
}
_NOTE_RE = re.compile(r"^([A-Ga-g])([#b♯♭]*)")
_SPOKEN_ACCIDENTAL_RE = re.compile(r"^([A-Ga-g])[\s_-]*(sharp|flat)\b", re.IGNORECASE)


def parse_pitch_class(name: str) -> int:
    """'C', 'F#', 'Bb', 'eb' -> pitch class 0-11. Raises ValueError."""
    match = _NOTE_RE.match(name.strip())
    if not match or match.end() != len(name.strip()):
        raise ValueError(f"'{name}' is not a note name (use C, C#, Db, ... B)")
    return _note_from_match(match)


def _note_from_match(match: re.Match[str]) -> int:
    pc = _LETTER_PC[match.group(1).upper()]
    for accidental in match.group(2):
        pc += 1 if accidental in "#♯" else -1
    return pc % 12


def normalise_scale(name: str) -> str:
    """'Harmonic Minor', 'aeolian', 'minor-pentatonic' -> a key of SCALES. Raises ValueError."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = SCALE_ALIASES.get(key, key)
    if key not in SCALES:
        raise ValueError(f"unknown scale '{name}'; known: {', '.join(sorted(SCALES))}")
    return key


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class
    scale: str  # a key of SCALES
    # The tonic as the caller wrote it ("C#" or "Db"): names in this key follow it. Not part of
    # the key's identity (C# major == Db major).
    tonic_name: str | None = field(default=None, compare=False)

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.tonic + step) % 12 for step in SCALES[self.scale])

    @property
    def is_minor(self) -> bool:
        return self.scale in MINOR_FAMILY

    @property
    def name(self) -> str:
        """'Db major', 'G# minor', 'C# major' when the caller wrote C#."""
        return f"{self.spelled_tonic} {self.scale}"

    @property
    def spelled_tonic(self) -> str:
        return note_spelling.tonic_name(self.tonic, self.scale, self.tonic_name)

    @property
    def midi_key_signature(self) -> str:
        """The key as a MIDI key-signature event names it ('Db', 'Fm'; a mode as its parent major)."""
        return note_spelling.midi_key_signature(self.tonic, self.scale, self.tonic_name)

    def spell(self, pitch_class: int) -> str:
        """A note's name in this key: Db in F minor, C# in A major."""
        return note_spelling.spell(pitch_class, note_spelling.signature(self.tonic, self.scale, self.tonic_name))

    def chord_symbol(self, chord: Chord) -> str:
        """The chord's symbol with its root (and slash bass) named as the caller wrote them, else as this key
        spells them: Db, not C#, in F minor."""
        text = (chord.root_name or self.spell(chord.root)) + chord.quality
        if chord.bass is None:
            return text
        return f"{text}/{chord.bass_name or self.spell(chord.bass)}"

    def spelled_like(self, chords: Sequence[Chord]) -> Key:
        """This key with its tonic spelt as the caller's chords spell their roots (C# with "C# F# G#", Db with
        "Db Gb Ab"); unchanged when the chords carry no spelling or agree with either."""
        if self.tonic_name is not None:
            return self
        given = [(c.root, c.root_name) for c in chords if c.root_name is not None]
        if not given:
            return self
        conventional = self.spelled_tonic

        def agreement(option: str) -> tuple[int, bool]:
            signature = note_spelling.signature(self.tonic, self.scale, option)
            return sum(note_spelling.spell(pc, signature) == name for pc, name in given), option == conventional

        best = max(note_spelling.tonic_names(self.tonic), key=agreement)
        return self if best == conventional else replace(self, tonic_name=best)

    def transposition_to_c(self) -> int:
        """Semitones that move this key to C major / A minor (the training normalisation)."""
        target = 9 if self.is_minor else 0
        shift = (target - self.tonic) % 12
        return shift - 12 if shift > 6 else shift


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class
    quality: str  # a key of CHORD_QUALITIES
    bass: int | None = None  # slash-chord bass pitch class
    # The root and bass as the caller wrote them ("Db"), echoed back as written; not part of the chord's identity.
    root_name: str | None = field(default=None, compare=False)
    bass_name: str | None = field(default=None, compare=False)

    @property
    def intervals(self) -> tuple[int, ...]:
        return CHORD_QUALITIES[self.quality]

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        return tuple((self.root + i) % 12 for i in self.intervals)

    @property
    def bass_pitch_class(self) -> int:
        return self.root if self.bass is None else self.bass

    @property
    def symbol(self) -> str:
        text = PITCH_CLASS_NAMES[self.root] + self.quality
        return text if self.bass is None else f"{text}/{PITCH_CLASS_NAMES[self.bass]}"


def parse_chord(symbol: str) -> Chord:
    """'Am', 'F#m7b5', 'Bbmaj7', 'C/E', 'G7', 'Am11', 'Bb7#9', 'G7(b9)', 'Cadd9', 'F6/9' -> Chord.
    Raises ValueError."""
    text = symbol.strip().replace("6/9", "69")  # a 6/9 chord, not a slash chord over 9
    head, _, slash = text.partition("/")
    match = _NOTE_RE.match(head)
    if not match:
        raise ValueError(f"'{symbol}' is not a chord symbol (e.g. C, Am, G7, Fmaj7, Bdim, C/E)")
    root = _note_from_match(match)
    quality = head[match.end() :].replace("(", "").replace(")", "")  # G7(b9), Am(maj7), Cm(add9)
    quality = _QUALITY_ALIASES.get(quality, quality)
    if quality not in CHORD_QUALITIES:
        raise ValueError(
            f"chord '{symbol}' has an unknown quality '{head[match.end() :]}'; "
            f"known: {', '.join(q or 'major' for q in CHORD_QUALITIES)}"
        )
    bass = parse_pitch_class(slash) if slash else None
    return Chord(
        root,
        quality,
        bass,
        root_name=note_spelling.written_name(match.group(0)),
        bass_name=note_spelling.written_name(slash) if slash else None,
    )


def spelled_in(label: str, key: Key) -> str:
    """A chord label ('C#m7', 'F#/A#') with its root and bass named as ``key`` spells them ('Dbm7' in F minor);
    a label that is no chord symbol ('N') unchanged."""
    head, slash, bass = label.partition("/")
    match = _NOTE_RE.match(head)
    if not match:
        return label
    text = key.spell(_note_from_match(match)) + head[match.end() :]
    if not slash:
        return text
    try:
        return f"{text}/{key.spell(parse_pitch_class(bass))}"
    except ValueError:  # C6/9: the slash is the chord's own
        return f"{text}/{bass}"


def parse_progression(text: str) -> tuple[Chord, ...]:
    """'Am F C G' or 'Am,F,C,G' or 'Am-F-C-G' -> chords, one per bar (bar lines, 'Am | F', are separators here:
    :func:`parse_chart` reads a bar of two chords). Raises ValueError."""
    parts = [p for p in re.split(r"[\s,|;]+", text.strip()) if p]
    if len(parts) == 1 and "-" in parts[0]:
        parts = [p for p in parts[0].split("-") if p]
    if not parts:
        raise ValueError("the chord progression is empty")
    return tuple(parse_chord(p) for p in parts)


def change_beat(beats_per_bar: int, beat_unit: int) -> int:
    """Where a bar of two chords changes, in beats of ``beat_unit`` from the bar line: the middle of the bar, on a
    beat. An odd bar's longer half comes first (3/4: 2 + 1, 5/4: 3 + 2, 7/8: 4 + 3); a compound bar changes on a
    dotted beat, its longer half first too (6/8: 3 + 3 eighths, 9/8: 6 + 3, 12/8: 6 + 6). The generators play the
    change here and a chart's slashes are checked against it (:meth:`ChordChart.check_meter`)."""
    if beat_unit == 8 and beats_per_bar % 3 == 0 and beats_per_bar > 3:
        return 3 * ((beats_per_bar // 3 + 1) // 2)
    return (beats_per_bar + 1) // 2


def _change_positions(count: int) -> frozenset[int]:
    """Where a bar that counts ``count`` beats with slashes may change chord, its meter not yet known: its middle
    (:func:`change_beat` of a meter of ``count`` beats), or, were it the eighths of a compound meter (9 of 9/8), on
    that meter's dotted beat."""
    return frozenset({change_beat(count, 4), change_beat(count, 8)})


@dataclass(frozen=True)
class ChordChart:
    """A progression as a lead sheet writes it: each bar's first chord, and the chord a bar changes to at its middle
    (None where the bar holds one chord); both one entry per bar, repeating."""

    bars: tuple[Chord, ...]
    changes: tuple[Chord | None, ...]
    # How the bars are written, not what they play: two charts of the same chords are equal.
    counts: tuple[int | None, ...] = field(default=(), compare=False)
    """The beats each bar counts with its chords and slashes ('C / / /': 4), None where it writes no slash; one
    entry per bar as written ('%' counts none of its own), empty for a chart without bar lines."""
    cells: tuple[str, ...] = field(default=(), compare=False)
    """Each bar as written (what an error names), beside ``counts``."""
    change_counts: tuple[int | None, ...] = field(default=(), compare=False)
    """Where each bar's second chord starts in its count ('C / / / / / F / /': 6), None where it writes no slash or
    holds one chord; beside ``counts``."""

    @classmethod
    def of(cls, chords: Sequence[Chord]) -> ChordChart:
        """One chord a bar."""
        return cls(tuple(chords), (None,) * len(chords))

    @property
    def splits(self) -> bool:
        """Whether any bar holds two chords."""
        return any(c is not None for c in self.changes)

    @property
    def chords(self) -> tuple[Chord, ...]:
        """Every chord in playing order (what a key is read from)."""
        return tuple(c for bar, change in zip(self.bars, self.changes, strict=True) for c in (bar, change) if c)

    def check_counts_agree(self) -> None:
        """Raise ValueError naming the first bar whose slashes count beats that no meter shared with the bars before
        holds ('C / / | F / / / |': 3, then 4). One meter's bars count alike, or, in a compound meter, either its
        eighths or its dotted-quarter beats ('C / / F / / | G /' in 6/8: 6 and 2). Where the meter is not known
        before the chart is played (an accompaniment reads it from the recording) this is the check that can come
        first."""
        seen: tuple[int, str] | None = None
        for number, (cell, count) in enumerate(zip(self.cells, self.counts, strict=True), start=1):
            if count is None:
                continue
            if seen is None:
                seen = (count, cell)
                continue
            low, high = sorted((seen[0], count))
            if low != high and high != 3 * low:
                raise ValueError(
                    f"bar {number} ('{cell}') counts {count} beats with its slashes, an earlier bar ('{seen[1]}') "
                    f"{seen[0]}: the bars of one meter count alike"
                )

    def check_meter(self, beats_per_bar: int, beat_unit: int) -> None:
        """Raise ValueError naming the first bar whose slashes count other beats than a bar of the meter holds
        ('Dm7 / / / / /' in 4/4, 'C / / /' in 3/4: their chords were played a bar each, the slashes ignored). A
        simple meter counts its beats, 4 in 4/4, 3 in 3/4, 7 in 7/8; a compound one (6/8, 9/8, 12/8) counts, as
        lead sheets write it, either its eighths ('C / / F / /' in 6/8) or its dotted-quarter beats ('C /'). A bar of
        one beat (1/4, 1/8) holds one chord: its middle is the next bar line."""
        compound = beat_unit == 8 and beats_per_bar % 3 == 0 and beats_per_bar > 3
        middle = change_beat(beats_per_bar, beat_unit)
        if self.splits and middle >= beats_per_bar:  # a bar of one beat: its change fell on the next bar line
            number = next(i for i, second in enumerate(self.changes, start=1) if second is not None)
            raise ValueError(
                f"bar {number} ('{self.cells[number - 1]}') holds two chords: a bar of {beats_per_bar}/{beat_unit} "
                "is one beat, with no beat in it for a second chord (write one chord a bar)"
            )
        # The change in each count the meter takes: its beats, or a compound meter's dotted-quarter beats.
        changes = {beats_per_bar: middle, **({beats_per_bar // 3: middle // 3} if compound else {})}
        change_counts = self.change_counts or (None,) * len(self.cells)
        for number, (cell, count, at) in enumerate(zip(self.cells, self.counts, change_counts, strict=True), start=1):
            if count is None:
                continue
            if count not in changes:
                said = (
                    f"{beats_per_bar} eighths, or {beats_per_bar // 3} dotted-quarter beats"
                    if compound
                    else f"{beats_per_bar} beats"
                )
                raise ValueError(
                    f"bar {number} ('{cell}') counts {count} beats with its slashes: a bar of "
                    f"{beats_per_bar}/{beat_unit} holds {said}"
                )
            if at is not None and at != changes[count]:  # 'C / / / / F / / /' in 9/8: the change is on eighth 7
                raise ValueError(
                    f"bar {number} ('{cell}') changes chord on beat {at + 1} of {count}: a bar of "
                    f"{beats_per_bar}/{beat_unit} changes on beat {changes[count] + 1} ({changes[count]} + "
                    f"{count - changes[count]})"
                )


def parse_chart(text: str) -> ChordChart:
    """A progression with bar lines, 'Dm7 G7 | Cmaj7 | Am7 D7 | G': a bar of two chords changes at its middle.
    As lead sheets write them, a bar may count its beats with slashes ('F / G /', 'C / / /') and '%' repeats the
    bar before. Without a bar line it is :func:`parse_progression`'s, one chord per bar ('Am F C G'). Raises
    ValueError: a bar of three chords, or whose second chord does not start at its middle ('C / / G'). Whether the
    slashes count a bar of the meter is checked where the meter is known (:meth:`ChordChart.check_meter`)."""
    if "|" not in text:
        if any(token in ("/", "%") for token in text.split()):  # was "'/' is not a chord symbol", as if unread
            raise ValueError(
                "beat slashes ('/') and '%' are read between bar lines: 'Dm7 / G7 / | C / / / | %' (one bar: 'C / / / |')"
            )
        return ChordChart.of(parse_progression(text))
    bars: list[Chord] = []
    changes: list[Chord | None] = []
    counts: list[int | None] = []
    cells: list[str] = []
    change_counts: list[int | None] = []
    for number, cell in enumerate((c.strip() for c in text.split("|") if c.strip()), start=1):
        first, second, count, at = _chart_bar(cell, number)
        if first is None:  # '%': the bar before again
            if not bars:
                raise ValueError("bar 1 is '%' (repeat the bar before), but no bar comes before it")
            first, second = bars[-1], changes[-1]
        bars.append(first)
        changes.append(second)
        counts.append(count)
        cells.append(cell)
        change_counts.append(at)
    if not bars:
        raise ValueError("the chord progression is empty")
    return ChordChart(tuple(bars), tuple(changes), tuple(counts), tuple(cells), tuple(change_counts))


def _chart_bar(cell: str, number: int) -> tuple[Chord | None, Chord | None, int | None, int | None]:
    """(first chord, the chord from its middle or None, the beats it counts with slashes or None, where in them the
    second chord starts or None) of one bar of a chart; all None for '%'. Whether the count and the change fit the
    meter is :meth:`ChordChart.check_meter`'s."""
    if cell == "%":
        return None, None, None, None
    tokens = [s for s in re.split(r"[\s,;]+", cell) if s]
    if len(tokens) == 1 and "-" in tokens[0]:  # 'Dm7-G7 | C', as parse_progression reads 'Am-F-C-G'
        tokens = [s for s in tokens[0].split("-") if s]
    starts = [beat for beat, token in enumerate(tokens) if token != "/"]
    if not starts or starts[0] != 0:
        raise ValueError(f"bar {number} ('{cell}') does not start with a chord")
    if len(starts) > 2:
        raise ValueError(
            f"bar {number} ('{cell}') holds {len(starts)} chords: a bar takes one, or two (the second from the "
            "middle of the bar)"
        )
    counted = "/" in tokens
    at = starts[1] if len(starts) == 2 and counted else None
    if at is not None and at not in _change_positions(len(tokens)):
        middle = change_beat(len(tokens), 4)
        raise ValueError(
            f"bar {number} ('{cell}') changes chord on beat {at + 1} of {len(tokens)}: a bar's second chord "
            f"starts at its middle (beat {middle + 1})"
        )
    chords = [parse_chord(tokens[beat]) for beat in starts]
    return chords[0], chords[1] if len(chords) == 2 else None, len(tokens) if counted else None, at


def default_progression(key: Key) -> tuple[Chord, ...]:
    return tuple(Chord((key.tonic + degree) % 12, quality) for degree, quality in DEFAULT_PROGRESSIONS[key.scale])


def fold_into_range(pitch: int, low: int, high: int) -> int:
    """``pitch`` moved by whole octaves into ``low``..``high`` (a range of at least an octave)."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def snap_to_scale(pitch: int, pitch_classes: frozenset[int]) -> int:
    """The nearest MIDI pitch whose class is in ``pitch_classes`` (ties go down)."""
    for distance in range(7):
        for offset in (-distance, distance):
            if (pitch + offset) % 12 in pitch_classes:
                return pitch + offset
    raise ValueError("empty pitch-class set")


_LETTERS = "CDEFGAB"
_LETTER_STEPS = {
    **dict.fromkeys((0,), 0),
    **dict.fromkeys((1, 2, 13, 14, 15), 1),  # 2nd, b9, 9, #9
    **dict.fromkeys((3, 4), 2),
    **dict.fromkeys((5, 17, 18), 3),  # 4th (sus4), 11, #11
    **dict.fromkeys((6, 7, 8), 4),  # b5, 5, #5
    **dict.fromkeys((9, 21), 5),  # 6, 13
    **dict.fromkeys((10, 11), 6),
}
"""Letters above a chord's root of each interval CHORD_QUALITIES holds (the diminished seventh's 9 is a
seventh: :func:`_chord_letters`)."""


def _letter(name: str) -> int:
    return _LETTERS.index(name[0].upper())


def _key_letters(key: Key) -> dict[int, int]:
    """Each of the key's pitch classes and its letter: a seven-note scale takes its seven letters in
    turn from the tonic's (G# in A harmonic minor), a shorter one the letters of its spelt names."""
    steps = SCALES[key.scale]
    if len(steps) == 7:
        tonic = _letter(key.spelled_tonic)
        return {(key.tonic + step) % 12: (tonic + degree) % 7 for degree, step in enumerate(steps)}
    return {pc: _letter(key.spell(pc)) for pc in key.pitch_classes}


def _chord_letters(chord: Chord, key: Key) -> dict[int, int]:
    """Each of the chord's pitch classes (its slash bass included) and its letter, counted from its root's
    spelling (as the caller wrote it, else as the key spells it)."""
    root = _letter(chord.root_name or key.spell(chord.root))
    letters = {}
    for interval in chord.intervals:
        steps = 6 if chord.quality == "dim7" and interval == 9 else _LETTER_STEPS[interval]
        letters[(chord.root + interval) % 12] = (root + steps) % 7
    if chord.bass is not None and chord.bass not in letters:
        letters[chord.bass] = _letter(chord.bass_name or key.spell(chord.bass))
    return letters


def chord_scale(key: Key, chord: Chord) -> frozenset[int]:
    """The pitch classes of ``key`` that may sound under ``chord``: the key's, less each one the chord
    alters, a key tone on the letter of a chord tone the key lacks (C natural under A7 in C major, whose
    third is C#; B natural under Bb; G under E in A minor). The key's pitch classes when the chord
    alters none, or all."""
    key_letters = _key_letters(key)
    altered = {letter for pc, letter in _chord_letters(chord, key).items() if pc not in key_letters}
    kept = frozenset(pc for pc, letter in key_letters.items() if letter not in altered)
    return kept or key.pitch_classes


def other_third(chord: Chord) -> int | None:
    """The pitch class of the third ``chord`` does not hold: the minor third over a chord with a major third
    and no minor one (Cb, sounding B, over Ab), the major third under one with a minor third and no major one;
    None for a chord with both (7#9) or neither (sus, power chords)."""
    thirds = {interval % 12 for interval in chord.intervals} & {3, 4}
    if len(thirds) != 1:
        return None
    return (chord.root + 7 - thirds.pop()) % 12


def beat_scale(key: Key, chord: Chord) -> frozenset[int]:
    """The pitch classes of ``key`` a melody may hold on a beat under ``chord``: :func:`chord_scale` less the
    chord's other third (:func:`other_third`). B natural under a borrowed Ab in C major lies on no letter the
    chord alters, so chord_scale keeps it, but on a beat it is heard as Cb against the chord's C: an augmented
    9th, the wrong third. Between beats it may pass (C-B-C over Ab)."""
    scale = chord_scale(key, chord)
    other = other_third(chord)
    if other is None:
        return scale
    return (scale - {other}) or scale


def tones_under(key: Key, chord: Chord) -> frozenset[int]:
    """What may sound under ``chord`` without ``chromatic``: :func:`chord_scale` and the chord's own tones, its
    slash bass included (Bb under C7/Bb and under a borrowed Bb in C major, F# under D/F#, C# under A7)."""
    return chord_scale(key, chord) | frozenset(chord.pitch_classes) | {chord.bass_pitch_class}


def parse_key(key: str, scale: str | None = None) -> Key:
    """'C', 'F#', 'Am', 'A minor', 'D dorian', 'Eb major' (+ an optional scale name) -> Key.

    A mode written in ``key`` and a different ``scale`` is a contradiction (ValueError); with
    neither, the key is major.
    """
    # "F sharp minor", "B-flat major": the accidental said as a word, as an assistant writes it out.
    text = _SPOKEN_ACCIDENTAL_RE.sub(
        lambda m: m.group(1) + ("#" if m.group(2).lower() == "sharp" else "b"), key.strip()
    )
    match = _NOTE_RE.match(text)
    if not match:
        if text[:1] == "H":  # German note names: H is B (and German B is B flat); the text command reads them
            raise ValueError(f"'{key}' is not a key: a German H is B here, so send key=B{text[1:]}")
        raise ValueError(f"'{key}' is not a key (use a note name such as C, F#, Bb, optionally 'Am' or 'A minor')")
    tonic = _note_from_match(match)
    after = text[match.end() :].strip()
    # 'A-minor' and 'A_minor' join the mode with a sign; '-' alone is the jazz sign for minor ('C-', as in 'C-7').
    rest = after if after == "-" else after.lstrip("_-").strip()
    mode: str | None = None
    if rest in ("m", "min", "-"):
        mode = "minor"
    elif rest in ("M", "maj"):
        mode = "major"
    elif rest:
        try:
            mode = normalise_scale(rest)
        except ValueError as exc:
            raise ValueError(f"'{key}' is not a key: {exc}") from exc
    chosen = normalise_scale(scale) if scale else None
    if mode and chosen and mode != chosen:
        raise ValueError(f"key '{key}' names {mode} but scale is '{scale}'")
    return Key(tonic, chosen or mode or "major", tonic_name=match.group(0))
