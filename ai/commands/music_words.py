"""Keys and chord progressions as people say or type them.

Notes: "C", "F#", "Bb", "B flat", "b-flat", "B♭" (the tokenizer maps ♭/♯ to b/#), "A sharp"; the
spelling said is kept (A sharp stays ``A#``); German "H" is ``B``. Keys: a note and an optional scale ("D minor",
"F sharp dorian", "b-flat minor pentatonic", "E blues") or a chord-style key token ("Am", "C#m",
"Gmin"). Chords: symbols ("Dm7", "C#m7b5", "G7(b9)", "C/E"; validated and normalised by
:func:`ai.music_theory.parse_chord`) or spoken ("A minor", "G seven", "D minor seventh", "B flat
major"), written back as symbols with the root as spelled and the quality in the engine's
canonical form ("Amin7" -> "Am7", "CM7" -> "Cmaj7").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ai.commands.numbers import NUMBER_WORDS
from ai.commands.tokens import Token
from ai.commands.vocabulary import BAR_UNITS, BPM_UNITS, SCALE_MAX, SCALE_PHRASES, VARIATION_UNITS, longest_match
from ai.music_theory import parse_chord, parse_key, parse_progression

_NOTE_RE = re.compile(r"([A-Ga-g])([#b]?)|([Hh])")
_KEY_TOKEN_RE = re.compile(r"(?:([A-G])([#b]?)|(H))(m|min|maj)")
_GERMAN_B = "B"
"""German note names call B "H" ("H-moll" is B minor); German "B" is B flat, but an English "B" stays B."""
_CHORD_TOKEN_RE = re.compile(r"([A-Ga-gH])([#b]?)([0-9a-zA-Z#+°ø()]*)(?:/([A-Ga-gH])([#b]?))?")
"""A chord symbol; an upper-case German "H" root or bass is B ("H7", "Hm", "E/H"), a lower-case "h" is no chord."""
_ACCIDENTAL_WORDS = {"flat": "b", "sharp": "#"}

# Spoken chord qualities -> chord-symbol qualities (canonicalised by parse_chord afterwards).
_SPOKEN_QUALITIES: dict[tuple[str, ...], str] = {
    ("minor",): "m",
    ("min",): "m",
    ("major",): "",
    ("maj",): "",
    ("minor", "seven"): "m7",
    ("minor", "seventh"): "m7",
    ("minor", "7"): "m7",
    ("minor", "7th"): "m7",
    ("major", "seven"): "maj7",
    ("major", "seventh"): "maj7",
    ("major", "7"): "maj7",
    ("major", "7th"): "maj7",
    ("dominant", "seven"): "7",
    ("dominant", "seventh"): "7",
    ("seven",): "7",
    ("seventh",): "7",
    ("7th",): "7",
    ("minor", "nine"): "m9",
    ("minor", "ninth"): "m9",
    ("major", "nine"): "maj9",
    ("major", "ninth"): "maj9",
    ("nine",): "9",
    ("ninth",): "9",
    ("minor", "six"): "m6",
    ("minor", "sixth"): "m6",
    ("six",): "6",
    ("sixth",): "6",
    ("diminished",): "dim",
    ("dim",): "dim",
    ("diminished", "seven"): "dim7",
    ("diminished", "seventh"): "dim7",
    ("half", "diminished"): "m7b5",
    ("augmented",): "aug",
    ("aug",): "aug",
    ("sus",): "sus4",
    ("suspended",): "sus4",
    ("sus", "four"): "sus4",
    ("sus", "4"): "sus4",
    ("suspended", "four"): "sus4",
    ("sus", "two"): "sus2",
    ("sus", "2"): "sus2",
    ("suspended", "two"): "sus2",
    ("add", "nine"): "add9",
    ("power", "chord"): "5",
}
_QUALITY_MAX = 2
_UNIT_WORDS = BAR_UNITS | VARIATION_UNITS | BPM_UNITS | {"time", "times"}
CHORD_SEPARATORS = frozenset({",", "and", "then", "to", "into", "|", "followed", "by", "back", "going", "-", "/"})
_MAX_SEPARATORS = 3


@dataclass(frozen=True)
class NoteMatch:
    name: str  # "Bb", "F#", "C": upper-case letter, accidental as said
    end: int  # index after the note's tokens
    upper: bool  # the letter was written upper-case
    accidental_word: bool  # spelled with "flat"/"sharp"


_SPOKEN_LETTERS = {"see": "C", "sea": "C", "dee": "D", "eff": "F", "gee": "G", "ay": "A", "be": "B", "bee": "B"}
"""Note letters as a speech recogniser writes them ("melody in see minor", "bass in be flat"): read as notes
only before "sharp", "flat" or a scale, where no other word of theirs fits ("in see minor" gave C major)."""


def _spoken_letter(tokens: Sequence[Token], i: int) -> NoteMatch | None:
    """A :data:`_SPOKEN_LETTERS` word at ``tokens[i]`` followed by an accidental or a scale word -> its note."""
    letter = _SPOKEN_LETTERS.get(tokens[i].low)
    if letter is None or i + 1 >= len(tokens):
        return None
    following = [t.low for t in tokens[i + 1 : i + 1 + SCALE_MAX]]
    if following[0] in _ACCIDENTAL_WORDS:
        return NoteMatch(letter + _ACCIDENTAL_WORDS[following[0]], i + 2, True, True)
    if longest_match(following, 0, SCALE_PHRASES, SCALE_MAX) is not None:
        return NoteMatch(letter, i + 1, True, False)
    return None


_SOLFEGE = {
    "do": "C",
    "ut": "C",
    "re": "D",
    "ré": "D",
    "mi": "E",
    "fa": "F",
    "sol": "G",
    "la": "A",
    "si": "B",
    "ti": "B",
}
_SOLFEGE_RE = re.compile(r"(do|ut|re|ré|mi|fa|sol|la|si|ti)([#b]?)")
_FOREIGN_ACCIDENTALS = {
    "dièse": "#",
    "diese": "#",
    "diesis": "#",
    "sostenido": "#",
    "bémol": "b",
    "bemol": "b",
    "bemolle": "b",
}
FOREIGN_SCALES = frozenset({"majeur", "mineur", "maggiore", "minore", "mayor", "menor", "dur", "moll"})
"""French, Italian, Spanish and German major / minor: read after a note, never what a typo is read as."""
_KEY_LEADS = frozenset({"in", "en", "of", "di", "de", "du", "d'", "key"})
"""The word before a solfège note when the scale said after it is English: "a bassline in sol major"."""
_GERMAN_NOTES = {
    "cis": "C#",
    "dis": "D#",
    "fis": "F#",
    "gis": "G#",
    "ais": "A#",
    "ces": "Cb",
    "des": "Db",
    "ges": "Gb",
    "es": "Eb",
    "as": "Ab",
}
_GERMAN_WORDS = frozenset({"es", "as"})
"""German notes that are English or Spanish words too: a note only before "dur" / "moll" ("in Es-Dur")."""


def _foreign_note(tokens: Sequence[Token], i: int) -> NoteMatch | None:
    """A note named in solfège ("do majeur", "ré mineur", "sol major", "fa dièse mineur", "la minore") or in
    German ("Fis-moll", "Es-Dur", "cis minor"), before an accidental word or a scale: read as its letter, never
    left for the default key (a bass "in ré mineur" was made in C major)."""
    word = tokens[i].low
    following = [t.low for t in tokens[i + 1 : i + 1 + SCALE_MAX]]
    if not following:
        return None
    scale = longest_match(following, 0, SCALE_PHRASES, SCALE_MAX)
    german = _GERMAN_NOTES.get(word)
    if german is not None:
        if scale is None or (word in _GERMAN_WORDS and following[0] not in ("dur", "moll")):
            return None
        return NoteMatch(german, i + 1, tokens[i].text[0].isupper(), False)
    match = _SOLFEGE_RE.fullmatch(word)
    if match is None:
        return None
    letter, accidental, end = _SOLFEGE[match.group(1)], match.group(2), i + 1
    if not accidental and following[0] in _FOREIGN_ACCIDENTALS | _ACCIDENTAL_WORDS:
        accidental = {**_FOREIGN_ACCIDENTALS, **_ACCIDENTAL_WORDS}[following[0]]
        end += 1
        scale = longest_match(following, 1, SCALE_PHRASES, SCALE_MAX)
    if scale is None:
        return None
    foreign = following[end - i - 1] in FOREIGN_SCALES or end > i + 1
    if not foreign and (i == 0 or tokens[i - 1].low not in _KEY_LEADS):
        return None  # "could you do minor chords": the verb, not C
    return NoteMatch(letter + accidental, end, True, end > i + 1)


def read_note(tokens: Sequence[Token], i: int) -> NoteMatch | None:
    """A note name at ``tokens[i]``: "C", "f#", "Bb", "B flat", "e flat", "see minor", "ré mineur", "Fis-moll"
    -> NoteMatch, or None."""
    if i >= len(tokens):
        return None
    match = _NOTE_RE.fullmatch(tokens[i].text)
    if not match:
        return _spoken_letter(tokens, i) or _foreign_note(tokens, i)
    if match.group(3):  # German H, said without accidentals (German spells B flat "B", not "H flat")
        return NoteMatch(_GERMAN_B, i + 1, match.group(3).isupper(), False)
    letter, accidental = match.group(1), match.group(2)
    end = i + 1
    word = False
    if not accidental and end < len(tokens) and tokens[end].low in _ACCIDENTAL_WORDS:
        accidental = _ACCIDENTAL_WORDS[tokens[end].low]
        end += 1
        word = True
    return NoteMatch(letter.upper() + accidental, end, letter.isupper(), word)


def read_scale(words: Sequence[str], i: int) -> tuple[str, int] | None:
    """A scale name at ``words[i]`` ("minor", "harmonic minor", "minor pentatonic") -> (scale, end)."""
    phrase = longest_match(words, i, SCALE_PHRASES, SCALE_MAX)
    if phrase is None:
        return None
    return SCALE_PHRASES[phrase], i + len(phrase)


@dataclass(frozen=True)
class KeyMatch:
    key: str
    scale: str | None
    start: int
    end: int
    note: NoteMatch | None  # None for a chord-style token such as "Am"


def read_key_token(token: Token) -> tuple[str, str] | None:
    """A chord-style key written as one token ("Am", "C#m", "Bbmin", "Fmaj") -> (key, scale)."""
    match = _KEY_TOKEN_RE.fullmatch(token.text)
    if not match:
        return None
    scale = "major" if match.group(4) == "maj" else "minor"
    key = _GERMAN_B if match.group(3) else match.group(1) + match.group(2)
    parse_key(key, scale)  # the engine's own check (cannot fail for this pattern; documents the contract)
    return key, scale


def read_key(tokens: Sequence[Token], words: Sequence[str], i: int) -> KeyMatch | None:
    """A key at ``tokens[i]``: a note with an optional scale, or a chord-style key token."""
    if i >= len(tokens):
        return None
    token_key = read_key_token(tokens[i])
    if token_key is not None:
        return KeyMatch(token_key[0], token_key[1], i, i + 1, None)
    note = read_note(tokens, i)
    if note is None:
        return None
    scale = read_scale(words, note.end)
    if scale is None:
        return KeyMatch(note.name, None, i, note.end, note)
    return KeyMatch(note.name, scale[0], i, scale[1], note)


# --- chords --------------------------------------------------------------------------------------
def _is_unit_next(words: Sequence[str], j: int) -> bool:
    return j < len(words) and (words[j] in _UNIT_WORDS or words[j] in NUMBER_WORDS)


def _spoken_quality(words: Sequence[str], i: int) -> tuple[str, int] | None:
    phrase = longest_match(words, i, _SPOKEN_QUALITIES, _QUALITY_MAX)
    if phrase is None:
        return None
    end = i + len(phrase)
    if phrase[-1] in NUMBER_WORDS and _is_unit_next(words, end):
        # "G seven bars" is G and seven bars, not G7; fall back to the shorter reading
        shorter = longest_match(words, i, _SPOKEN_QUALITIES, len(phrase) - 1) if len(phrase) > 1 else None
        if shorter is None or shorter[-1] in NUMBER_WORDS:
            return None
        phrase, end = shorter, i + len(shorter)
    return _SPOKEN_QUALITIES[phrase], end


def canonical_chord(root: str, quality: str, bass: str | None = None) -> str | None:
    """Root (as spelled) + any quality spelling -> the symbol in canonical form, or None if not a chord."""
    try:
        chord = parse_chord(root + quality + (f"/{bass}" if bass else ""))
    except ValueError:
        return None
    return root + chord.quality + (f"/{bass}" if bass else "")


@dataclass(frozen=True)
class ChordItem:
    symbol: str
    end: int
    lower: bool  # root letter written lower-case
    bare_a: bool  # a lone "A"/"a": also the article


def _german_h(letter: str) -> str:
    return "B" if letter == "H" else letter


def read_chord(
    tokens: Sequence[Token], words: Sequence[str], i: int, *, lower_symbols: bool = False
) -> ChordItem | None:
    """One chord at ``tokens[i]``: "Dm7", "C#m", "C/E", "A minor", "B flat", "G seven".

    A lower-case symbol with a quality ("am", "g7") is read only with ``lower_symbols`` (inside a
    typed lower-case progression): elsewhere "am" is a verb.
    """
    if i >= len(tokens):
        return None
    text = tokens[i].text
    match = _CHORD_TOKEN_RE.fullmatch(text)
    if not match:
        return None
    letter, accidental, quality = _german_h(match.group(1)), match.group(2), match.group(3)
    if letter == "B" and match.group(1) == "H" and accidental:
        return None  # German spells B flat "B", never "Hb"
    bass = (_german_h(match.group(4)).upper() + match.group(5)) if match.group(4) else None
    if letter.islower() and (quality or bass) and not lower_symbols:
        return None  # "am", "add", "bad": words, not chords
    end = i + 1
    if not accidental and not quality and not bass and end < len(tokens) and tokens[end].low in _ACCIDENTAL_WORDS:
        accidental = _ACCIDENTAL_WORDS[tokens[end].low]
        end += 1
    if not quality and not bass:
        spoken = _spoken_quality(words, end)
        if spoken is not None:
            quality, end = spoken
    if quality.lower() == "o":
        return None  # "Go", "Do": words before they are diminished chords
    symbol = canonical_chord(letter.upper() + accidental, quality, bass)
    if symbol is None:
        return None
    bare_a = text in ("A", "a") and end == i + 1
    return ChordItem(symbol, end, letter.islower(), bare_a)


CHART_MARKS = frozenset({"|", "/", "%"})
"""A lead sheet's bar line, beat slash and repeat sign: a typed chart writes as many as it counts."""


@dataclass(frozen=True)
class ChordRun:
    chords: tuple[str, ...]
    start: int
    end: int
    chart: tuple[str, ...] = ()
    """A typed chart with bar lines ("Dm7 / G7 / | C / / / | %") as written: its chords, bar lines, beat slashes
    and repeat signs in order, for the endpoint to read as a ``chords=`` chart (a bar may hold two chords, the
    slashes count its beats). Empty: a list of chords, one a bar, where a "/" is a separator ("Am / F / C / G")."""

    @property
    def symbols(self) -> str:
        """The run as the chords parameter takes it: 'Am F C G', or the chart 'Dm7 / G7 / | C / / / | %'."""
        return " ".join(self.chart or self.chords)


def read_chord_run(
    tokens: Sequence[Token], words: Sequence[str], i: int, used: Sequence[bool], *, lower_ok: bool
) -> ChordRun | None:
    """Chords from ``tokens[i]`` separated by spaces, commas, "and", "then", dashes -> ChordRun.

    Upper-case roots only, unless ``lower_ok`` and the run starts lower-case (a typed "over am f c
    g"); a run never mixes cases, so "over C G Am F, a few versions" stops before "a". A bare "a"/"A"
    is kept only when another chord follows it ("A" is also the article).
    """
    first = None if used[i] else read_chord(tokens, words, i, lower_symbols=lower_ok)
    if first is None or (first.lower and not lower_ok):
        return None
    lower = first.lower
    items = [first]
    marks_before: list[list[str]] = [[]]  # per chord, the chart marks written before it
    trailing: list[int] = []  # where the chart marks after the last chord stand
    end = first.end
    while True:
        j = end
        skipped = 0
        marks: list[int] = []
        while j < len(tokens) and not used[j]:
            if words[j] in CHART_MARKS:  # as many as the chart counts ("C / / / | F")
                marks.append(j)
            elif words[j] in CHORD_SEPARATORS and skipped < _MAX_SEPARATORS:
                skipped += 1
            else:
                break
            j += 1
        item = None if j >= len(tokens) or used[j] else read_chord(tokens, words, j, lower_symbols=lower)
        if item is None or item.lower != lower or any(used[j : item.end]):
            trailing = marks
            break
        items.append(item)
        marks_before.append([words[k] for k in marks])
        end = item.end
    # a trailing lower-case "a" is the article of what follows ("over am f c g, a few versions")
    while items and items[-1].bare_a and items[-1].lower:
        items.pop()
        marks_before.pop()
        trailing = []
        end = items[-1].end if items else i
    if not items or (len(items) == 1 and items[0].bare_a):
        return None
    chords = tuple(item.symbol for item in items)
    try:
        parse_progression(" ".join(chords))  # the engine's own reading: every symbol must pass it
    except ValueError:
        return None
    chart = [mark for item, before in zip(items, marks_before, strict=True) for mark in (*before, item.symbol)]
    if "|" not in chart and "|" not in (words[k] for k in trailing):
        return ChordRun(chords, i, end)
    if trailing:  # the last bar's slashes and the repeat signs after it ("C / / / | %")
        chart += [words[k] for k in trailing]
        end = trailing[-1] + 1
    return ChordRun(chords, i, end, tuple(chart))
