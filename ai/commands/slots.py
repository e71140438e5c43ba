"""The parameters a text states, found in a fixed order over the tokens, each token used once.

Order matters where readings compete: a seed first ("bass seed 42" is no tempo of 42), percentages
("drums at 50% density" is no tempo of 50), meters ("in three four" is no tempo), then explicit tempos ("96 bpm", "at one twenty"), bars ("eight bars", "an 8-bar"), chords after a chord word
("over Am, F, C and G"), keys after "in" / "key of", chord runs of two or more, keys anywhere
("C major pentatonic", "Gm"), scales alone ("dorian", "a minor key"), styles, densities,
variations ("4x drums", "drums x4", "three variations", "a couple of takes", "four basslines"), tempo words ("slow"),
then a bare number that can only be a tempo ("Beat. Edm. One twenty six."). Mixing and project
words (target, format, master) and the analysis question are read from every token. Each step is
a single pass with a few tokens of look-ahead, so the work is linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ai.commands.music_words import (
    CHORD_SEPARATORS,
    FOREIGN_SCALES,
    ChordRun,
    KeyMatch,
    read_chord_run,
    read_key,
    read_scale,
)
from ai.commands.numbers import TENS, UNITS, Number, is_numeral, read_number, read_quantity
from ai.commands.tokens import PUNCT, Token, as_written, join_as_written
from ai.commands.vocabulary import (
    AMOUNT_FILLERS,
    BAR_UNITS,
    BARE_TEMPO_RANGE,
    BPM_UNITS,
    BUSY,
    COUNT_MODIFIERS,
    DENSITY_WORDS,
    DETERMINERS,
    FORMAT_WORDS,
    FRACTION_PARAM_MAX,
    FRACTION_PARAMS,
    GENRE_NOT_PART,
    METER_DENOMINATORS,
    METER_WORDS,
    MODE_ONLY_SCALES,
    MOOD_SCALES,
    PART_MAX,
    PART_PHRASES,
    PERCENT_UNITS,
    QUESTION_MAX,
    QUESTION_PHRASES,
    SCALE_TAILS,
    SPARSE,
    STYLE_MAX,
    STYLE_PHRASES,
    TARGET_MAX,
    TARGET_PHRASES,
    TEMPO_FILLERS,
    TEMPO_PREFIXES,
    TEMPO_RANGE,
    TEMPO_WORD_MAX,
    TEMPO_WORDS,
    TIME_SIGNATURE_TAILS,
    TIMES_WORDS,
    VARIATION_UNITS,
    WAKE_AND_FILLER,
    Phrase,
    longest_match,
)
from ai.generation.base import SEED_MAX
from ai.generation.drum_styles import normalise_drum_style

_METER_RE = re.compile(r"(\d{1,6})/(\d{1,6})")  # "in 999/999" is a meter said, for the endpoint to refuse
_NOTE_LIKE_RE = re.compile(r"[^\W\d_]{1,4}[#b]?")
"""A word where a key's note goes ("in X minor", "in Fis minor", "in zol major"): a short word of letters."""
_NOT_NOTE_WORDS = frozenset(
    {"any", "same", "new", "one", "own", "dark", "sad", "deep", "cool", "nice", "epic", "soft", "warm", "slow", "fast"}
    | {"pure", "full", "true", "real", "old", "odd", "big", "low", "high", "moody", "calm", "cute", "lush"}
)
"""Short words said before a scale that name no note ("in any minor key", "in a sad minor"): the scale alone."""
_NOT_TEMPO_AFTER = (
    BAR_UNITS | VARIATION_UNITS | {"percent", "%", "db", "lufs", "times", "x", "seconds", "minutes", "hz"}
)
_TEMPO_NAMING_PREFIXES = frozenset({"at", "@", "tempo", "bpm"})
_MACHINE_NUMBERS = frozenset({"303", "606", "707", "808", "909"})
"""Roland's drum machines and bass synth: names in 'an 808 beat', never a tempo or a count."""
_NAME_AFTER_NUMBER = frozenset({"s", "step"})
_LARGE_NUMBER_WORDS = frozenset(TENS) | {"hundred", "thousand"}
"""After a number, words that make it a name: '808s', 'the 80s', '2-step'."""
_NOT_TEMPO_BEFORE = frozenset({"track", "tracks", "project", "channel", "number", "no", "id", "called", "named"})
_CHORD_CONTEXT = frozenset({"over", "chords", "chord", "progression", "changes"})
_CHORD_CONTEXT_FILLERS = frozenset(
    {"the", "a", "an", "these", "this", "chords", "chord", "progression", "changes", "of", "like", ":"}
)
_KEY_CONTEXT_FILLERS = frozenset({"the", "key", "of", ":"})
_A_KEY_FOLLOWERS = frozenset({"at", "with", "over", "for", "please", "and", "bpm", "tempo"})
_VARIATION_SKIPS = COUNT_MODIFIERS | frozenset(
    {
        "of",
        "quick",
        "short",
        "cool",
        "nice",
        "good",
        "great",
        "fresh",
        "random",
        "separate",
        "distinct",
        "unique",
        "slightly",
        "drum",
        "bass",
        "synth",
        "lead",
        "piano",
        "guitar",
    }
)
_TIMES_GLUED_RE = re.compile(r"x(\d{1,6})")
"""'x4' is one word: the tokenizer splits a number glued before a unit ('4x'), not after one."""
_COMPARED_AFTER_TIMES = frozenset(
    {"as", "the", "than", "more", "less", "faster", "slower", "quicker", "louder", "quieter", "softer", "longer"}
    | {"shorter", "higher", "lower", "bigger", "busier", "denser", "harder", "speed", "tempo"}
)
"""After '2 times' / '2x', words that make it a comparison ('2 times faster', '2x the tempo'), not a count."""
_INTENSIFIERS = frozenset({"really", "super", "extremely", "ultra"})
_NEGATIONS = frozenset({"not", "no", "without", "never", "dont", "nothing"})
_DEGREE_WORDS = frozenset({"too", "so", "that", "overly", "very"})
"""Between a negation and a tempo word: "not too fast", "not so slow"."""
_TEMPO_NOUNS = frozenset({"tempo", "speed", "pace", "bpm"})
_LOUDNESS_WORDS = {
    "louder": "louder",
    "hotter": "louder",
    "loud": "louder",
    "quieter": "quieter",
    "softer": "quieter",
    "quiet": "quieter",
}
_MASTER_WORDS = frozenset({"master", "mastered", "mastering", "remaster", "remastered"})
_MASTER_NOUNS_AFTER = frozenset({"volume", "bus", "buss", "channel", "fader", "track", "level"})


@dataclass
class Scan:
    """Tokens, which of them a slot has used, and the slots found so far (canonical values)."""

    tokens: Sequence[Token]
    words: list[str] = field(init=False)
    used: list[bool] = field(init=False)
    slots: dict[str, Any] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    """Words said where a slot's value goes that the parser cannot read, by slot: {"key": "X"}."""
    conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    """A slot said twice with different values, by slot: {"key": ("D minor", "E major")} (:func:`repeated`)."""
    worded: set[str] = field(default_factory=set)
    """Slots set from a word rather than a number ("fast": a tempo of 140)."""
    said: dict[str, str] = field(default_factory=dict)
    """The words a slot was read from, as written, where a refusal names them: {"style": "hip hop"}."""

    def __post_init__(self) -> None:
        self.words = [token.low for token in self.tokens]
        self.used = [False] * len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def free(self, start: int, end: int) -> bool:
        return 0 <= start < end <= len(self.tokens) and not any(self.used[start:end])

    def take(self, start: int, end: int) -> None:
        for k in range(start, min(end, len(self.tokens))):
            self.used[k] = True

    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def set(self, name: str, value: Any, start: int, end: int) -> bool:
        """Record the first value of a slot and use its tokens; later mentions are left alone."""
        if name in self.slots:
            return False
        self.slots[name] = value
        self.take(start, end)
        return True

    def part_at(self, i: int) -> tuple[Phrase, str, bool] | None:
        """A part noun phrase at i -> (phrase, part, plural)."""
        phrase = longest_match(self.words, i, PART_PHRASES, PART_MAX)
        if phrase is None:
            return None
        part, plural = PART_PHRASES[phrase]
        return phrase, part, plural


# --- seed ----------------------------------------------------------------------------------------
_SEED_WORDS = frozenset({"seed", "seeded"})
_SEED_FILLERS = frozenset({"number", "no", "nr", "num", "of", "is", "=", ":", "with", "to"})
"""Words between "seed" and its number: 'seed number 5', 'seed of 9', 'seed = 3', 'seeded with 7'."""
_SEED_DIGITS = len(str(SEED_MAX))


def _seed_number(scan: Scan, i: int) -> tuple[int | float, int] | None:
    """The number said at i as a seed -> (value, end): digits of any length up to SEED_MAX's (read whole,
    past the 6 digits of a tempo or a count), else a number as :func:`read_number` reads it ('forty two',
    'minus 3', '2.5')."""
    word = scan.word(i)
    if word.isascii() and word.isdigit():
        return (int(word) if len(word) <= _SEED_DIGITS else SEED_MAX + 1), i + 1  # too long: out of range
    return read_number(scan.words, i)


def seed(scan: Scan) -> None:
    """'seed 42', 'with seed 7', 'random seed 123', 'seed number 5', 'seeded with 9' -> the generation's seed
    (0 to SEED_MAX, the endpoints' range), never a tempo or a count. A seed said as no whole number in that
    range ('seed 1e400', 'seed minus 3', 'seed 2.5', 'seed NaN') -> unread["seed"], so that the part is not
    made with a random seed as if none had been said (the caller refuses, naming the words)."""
    for i, word in enumerate(scan.words):
        if word not in _SEED_WORDS or scan.used[i]:
            continue
        k = i + 1
        while k < min(len(scan), i + 3) and scan.words[k] in _SEED_FILLERS and not scan.used[k]:
            k += 1
        if not scan.free(k, k + 1):
            continue
        number = _seed_number(scan, k)
        if number is not None and scan.free(k, number[1]):
            value, end = number
            if isinstance(value, int) and 0 <= value <= SEED_MAX:
                scan.set("seed", value, i, end)
            else:
                scan.unread["seed"] = " ".join(token.text for token in scan.tokens[k:end])
                scan.take(i, end)
            return
        if _unreadable_number(scan, k):
            scan.unread["seed"] = scan.tokens[k].text
            scan.take(i, k + 1)
            return


# --- amounts: percentages of the fraction parameters ---------------------------------------------------
def _percent_end(scan: Scan, i: int) -> int | None:
    """The end of a percent unit at i ('%', 'percent', 'per cent'), or None."""
    for size in (2, 1):
        if tuple(scan.words[i : i + size]) in PERCENT_UNITS and scan.free(i, i + size):
            return i + size
    return None


def _fraction_word_before(scan: Scan, i: int) -> tuple[str, int] | None:
    """The parameter named before the amount at i, a few fillers between ('swing at', 'density:') -> (name,
    start), or None."""
    k = i - 1
    while k >= max(0, i - 4) and scan.words[k] in AMOUNT_FILLERS and not scan.used[k]:
        k -= 1
    for size in range(FRACTION_PARAM_MAX, 0, -1):
        start = k - size + 1
        phrase = tuple(scan.words[max(start, 0) : k + 1])
        if start >= 0 and phrase in FRACTION_PARAMS and scan.free(start, k + 1):
            return FRACTION_PARAMS[phrase], start
    return None


def _fraction_word_after(scan: Scan, i: int) -> tuple[str, int] | None:
    """The parameter named right after the amount that ends at i ('60% swing') -> (name, end), or None."""
    phrase = longest_match(scan.words, i, FRACTION_PARAMS, FRACTION_PARAM_MAX)
    if phrase is None or not scan.free(i, i + len(phrase)):
        return None
    return FRACTION_PARAMS[phrase], i + len(phrase)


def amounts(scan: Scan) -> None:
    """A percentage of a fraction parameter: '60% swing', 'swing at 60 percent', 'density 50%', 'humanize by 30
    per cent', 'microtiming 40%' -> that parameter / 100 (0.6), as the endpoint reads it; also its own fraction
    written by its word ('swing 0.6', '0.3 density'). The word before the amount is tried first, then the word
    after ('swing 60% density 50%', '60% swing 50% density'). A percentage is never a tempo or a count ("drums at
    50% density" was a tempo of 50); one that names no parameter ('drums at 60%') -> unread["percent"] (the
    caller refuses, naming it). A value out of 0 .. 100 % is passed on ('150% swing' is 1.5) for the endpoint's
    422."""
    i = 0
    while i < len(scan):
        number = None if scan.used[i] else read_number(scan.words, i)
        if number is None or not scan.free(i, number[1]):
            i += 1
            continue
        value, end = number
        unit_end = _percent_end(scan, end)
        if unit_end is None and not (isinstance(value, float) and 0.0 <= value <= 1.0):
            i += 1  # a whole number without "%" ('swing 60') is left to the tempo's and counts' rules
            continue
        stop = unit_end or end
        before = _fraction_word_before(scan, i)
        after = _fraction_word_after(scan, stop)
        if before is not None:
            name, start, finish = before[0], before[1], stop
        elif after is not None:
            name, start, finish = after[0], i, after[1]
        else:
            if unit_end is not None:
                scan.unread.setdefault("percent", as_written(scan.tokens[i:stop]))
                scan.take(i, stop)
            i = stop
            continue
        fraction = round(value / 100, 6) if unit_end is not None else value
        if not scan.set(name, fraction, start, finish):
            scan.take(start, finish)  # a second amount of the same parameter: the first said wins
        i = finish


# --- meters, tempos, counts -------------------------------------------------------------------
def _single_number(word: str) -> int | None:
    if word.isascii() and word.isdigit() and len(word) <= 2:
        return int(word)
    return UNITS.get(word)


def time_signature(scan: Scan) -> None:
    words = scan.words
    for i, word in enumerate(words):
        if scan.used[i]:
            continue
        end = i + 1
        value: str | None = None
        match = _METER_RE.fullmatch(word)
        if match:
            num, den = int(match.group(1)), int(match.group(2))
            said_as_meter = scan.word(i - 1) == "in" or scan.word(i + 1) in TIME_SIGNATURE_TAILS
            if (1 <= num <= 32 and den in METER_DENOMINATORS) or said_as_meter:
                value = f"{num}/{den}"  # "in 7/3": a meter said, passed on for the endpoint to refuse
        elif (phrase := longest_match(words, i, METER_WORDS, 2)) is not None:
            value, end = METER_WORDS[phrase], i + len(phrase)
        elif i + 1 < len(words):
            num_opt, den_opt = _single_number(word), _single_number(words[i + 1])
            after = scan.word(i + 2)
            if (
                num_opt is not None
                and den_opt is not None
                and 2 <= num_opt <= 16
                and den_opt in METER_DENOMINATORS
                and den_opt >= 2
                and (scan.word(i - 1) == "in" or after in TIME_SIGNATURE_TAILS)
                and after not in BAR_UNITS | VARIATION_UNITS
            ):
                value, end = f"{num_opt}/{den_opt}", i + 2
        if value is None or not scan.free(i, end):
            continue
        while scan.word(end) in TIME_SIGNATURE_TAILS:
            end += 1
        scan.set("time_signature", value, i, end)
        return


def _tempo_value(scan: Scan, i: int, *, any_value: bool = False) -> tuple[Number, int] | None:
    """The number at i if it can be a tempo; ``any_value`` where the words say it is one ("999 bpm"):
    then a value out of range is kept, for the endpoint to refuse with its range, not dropped."""
    number = read_number(scan.words, i, musician=True)
    if number is None or not scan.free(i, number[1]):
        return None
    value, end = number
    if not any_value and not TEMPO_RANGE[0] <= value <= TEMPO_RANGE[1]:
        return None
    return value, end


def _bpm_unit_end(scan: Scan, i: int) -> int | None:
    if scan.word(i) in BPM_UNITS:
        return i + 1
    if scan.word(i) == "beats" and scan.word(i + 1) == "per" and scan.word(i + 2) == "minute":
        return i + 3
    return None


def explicit_tempo(scan: Scan) -> None:
    """'96 bpm', 'ninety six beats per minute', then 'at 96', 'tempo of one twenty', 'at a hundred and ten'.

    A number with a BPM unit, or after "at" / "tempo" / "bpm", is the tempo whatever its value ("at
    999 bpm" reaches the endpoint, which says its range); after a hedge ("about", "around") only a
    number in :data:`TEMPO_RANGE` is ("about four basslines" is a count)."""
    for i in range(len(scan)):
        found = _tempo_value(scan, i, any_value=True)
        if found is None:
            continue
        unit_end = _bpm_unit_end(scan, found[1])
        if unit_end is not None and scan.free(found[1], unit_end):
            scan.set("tempo", found[0], i, unit_end)
            return
    for i, word in enumerate(scan.words):
        if word not in TEMPO_PREFIXES or scan.used[i]:
            continue
        for k in range(i + 1, min(i + 5, len(scan))):
            found = _tempo_value(scan, k, any_value=word in _TEMPO_NAMING_PREFIXES)
            if found is not None:
                value, end = found
                if scan.word(end) in _NOT_TEMPO_AFTER:
                    break
                unit_end = _bpm_unit_end(scan, end)
                scan.set("tempo", value, i, unit_end or end)
                return
            if scan.words[k] not in TEMPO_FILLERS or scan.used[k]:
                break


_NOT_A_NUMBER_WORDS = frozenset({"nan", "inf", "infinity"})


def _unreadable_number(scan: Scan, i: int) -> bool:
    """Whether the word at i was meant as a number but reads as none: digits with letters ('12O', '1e309')
    or NaN / inf, as a calculator or a program writes them."""
    if i < 0 or i >= len(scan) or scan.used[i] or scan.tokens[i].is_punct:
        return False
    word = scan.words[i]
    if word in _NOT_A_NUMBER_WORDS:
        return True
    return any(c.isdigit() for c in word) and not is_numeral(word) and read_number(scan.words, i) is None


def unread_tempo(scan: Scan) -> None:
    """A tempo said in a word no rule reads as a number: before a BPM unit ('NaN bpm', '1e309 bpm', '12O
    bpm') or right after "at" / "tempo" ('at 12O') -> unread["tempo"], so that the part is not made at the
    default tempo as if none had been said (the caller refuses, naming the word)."""
    if "tempo" in scan.slots or _unread_before_unit(scan, "tempo", BPM_UNITS):
        return
    for i, word in enumerate(scan.words):
        if word in ("at", "tempo") and not scan.used[i] and _unreadable_number(scan, i + 1):
            scan.unread["tempo"] = scan.tokens[i + 1].text
            return


def unread_bars(scan: Scan) -> None:
    """A bar count said in a word no rule reads as a number ('1e3 bars', 'NaN bars', '12O bars') ->
    unread["bars"], so that the part is not made at the default length as if none had been said."""
    if "bars" not in scan.slots:
        _unread_before_unit(scan, "bars", BAR_UNITS)


def _unread_before_unit(scan: Scan, slot: str, units: frozenset[str]) -> bool:
    """Whether a word before one of ``units`` was meant as a number but reads as none (then unread[slot])."""
    for i, word in enumerate(scan.words):
        if word in units and not scan.used[i] and _unreadable_number(scan, i - 1):
            scan.unread[slot] = scan.tokens[i - 1].text
            return True
    return False


def bars(scan: Scan) -> None:
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        quantity = read_quantity(scan.words, i)
        if quantity is None:
            continue
        value, j = quantity
        while scan.word(j) in COUNT_MODIFIERS:
            j += 1
        if scan.word(j) in BAR_UNITS and scan.free(i, j + 1):  # "0 bars" too: the endpoint says its range
            scan.set("bars", value, i, j + 1)
            return


def times_count(scan: Scan) -> None:
    """'4x drums', '4 x drums', 'drums x4', 'drums x 4', 'drums 4 times': four of the part, the variations
    (as 'four drum patterns'); not a comparison ('2 times faster', '2x the tempo')."""
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        glued = _TIMES_GLUED_RE.fullmatch(scan.words[i])
        number = read_number(scan.words, i + 1 if scan.words[i] == "x" else i)
        value: Number
        if glued is not None:
            value, end = int(glued.group(1)), i + 1
        elif scan.words[i] == "x" and number is not None:
            value, end = number
        elif number is not None and scan.word(number[1]) in TIMES_WORDS:
            value, end = number[0], number[1] + 1
        else:
            continue
        if scan.word(end) not in _COMPARED_AFTER_TIMES and scan.free(i, end):
            scan.set("variations", value, i, end)
            return


def variations(scan: Scan) -> None:
    """'three variations', '3 versions', 'a couple of takes', 'a few options', 'four basslines'."""
    for i in range(len(scan)):
        if scan.used[i] or (
            scan.words[i] in ("a", "an") and scan.word(i + 1) not in ("couple", "few", "dozen", "hundred", "thousand")
        ):
            continue  # "a version" is one take, not a count said
        quantity = read_quantity(scan.words, i)
        if quantity is None or not scan.free(i, quantity[1]):
            continue
        value, j = quantity
        skipped = 0
        while j < len(scan) and skipped < 4:
            part = scan.part_at(j)
            if scan.words[j] in VARIATION_UNITS or (part is not None and part[2]):
                break
            if part is not None and not scan.used[j]:
                j += len(part[0])  # "a few melody ideas": a singular part noun before the unit
                skipped += 1
                continue
            if not (scan.used[j] or scan.words[j] in _VARIATION_SKIPS):
                break
            j += 1
            skipped += 1
        part = scan.part_at(j) if j < len(scan) else None
        unit = scan.word(j) in VARIATION_UNITS and not scan.used[j]
        if not (unit or (part is not None and part[2])):
            continue
        # the count and its unit are used; a part noun ("a few melody ideas", "four basslines")
        # stays free to name the part
        scan.set("variations", value, i, quantity[1])
        if unit:
            scan.take(j, j + 1)
        return


def tempo_words(scan: Scan) -> None:
    """'slow' 70, 'very slow' 60, 'medium' / 'moderate' / 'mid-tempo' 100, 'fast' / 'quick' /
    'up-tempo' 140, 'very fast' 170 ("really", "super", "extremely" read as "very")."""
    words = scan.words
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        start = i
        intensified = words[i] in _INTENSIFIERS
        at = i + 1 if intensified else i
        phrase = longest_match(words, at, TEMPO_WORDS, TEMPO_WORD_MAX)
        if phrase is None:
            continue
        end = at + len(phrase)
        if phrase[0] in ("medium", "moderate") and (scan.word(end) in DENSITY_WORDS or scan.word(end) == "density"):
            continue
        if scan.word(i - 1) == "how":
            continue  # "how fast is this" asks; it does not set
        if phrase == ("quick",) and scan.word(end) not in _TEMPO_NOUNS:
            continue  # "make it quick", "a quick bassline", "real quick": soon or short; "a quick tempo" is fast
        if _negated(scan, start):
            continue  # "not too fast": what the person does not want is no tempo to play
        if intensified and phrase in (("slow",), ("fast",)):
            phrase = ("very", phrase[0])
        if scan.word(end) in _TEMPO_NOUNS:
            end += 1
        if scan.free(start, end):
            if scan.set("tempo", TEMPO_WORDS[phrase], start, end):
                scan.worded.add("tempo")
            return


def _negated(scan: Scan, start: int) -> bool:
    """Whether the tempo word at ``start`` is negated: "not fast", "nothing too slow", "don't make it too fast"."""
    if scan.word(start - 1) in _NEGATIONS:
        return True
    return scan.word(start - 1) in _DEGREE_WORDS and any(
        scan.word(k) in _NEGATIONS for k in range(start - 5, start - 1)
    )


def bare_tempo(scan: Scan) -> None:
    """A number left over that can only be a tempo: 'drum loop, techno, 126', 'in F, one forty'. Never a
    number's tail: the 'two hundred' of 'one thousand two hundred'."""
    inside = 0  # the end of the number that the last word read began
    for i in range(len(scan)):
        if i < inside:
            continue
        number = read_number(scan.words, i, musician=True)
        inside = number[1] if number is not None else i + 1
        if scan.used[i] or scan.word(i - 1) in _NOT_TEMPO_BEFORE:
            continue
        found = _tempo_value(scan, i)
        if found is None:
            continue
        value, end = found
        if (
            BARE_TEMPO_RANGE[0] <= value <= BARE_TEMPO_RANGE[1]
            and scan.word(end) not in _NOT_TEMPO_AFTER
            and scan.word(end) not in _NAME_AFTER_NUMBER
        ):
            scan.set("tempo", value, i, end)
            return
    unread_number(scan)


def _unread_words(scan: Scan, i: int) -> int | None:
    """The end of a number said in words at i that no rule read, or None: only numbers of 20 and more
    ('nine hundred', 'two thousand', 'ninety nine'); a lone small one ('four on the floor', 'a beat for two')
    and an ordinal ('eighth notes') say nothing about the part's numbers."""
    if scan.words[i] not in _LARGE_NUMBER_WORDS and scan.word(i + 1) not in ("hundred", "thousand"):
        return None
    number = read_number(scan.words, i)
    if number is None or number[0] < 20 or not scan.free(i, number[1]):
        return None
    return number[1]


def unread_number(scan: Scan) -> None:
    """A number that no rule read ('drums, 999', 'a bassline, 5000', 'drums, nine hundred'): unread["number"],
    so that a part is not made with a default in its place (the caller refuses and says which units it knows).
    Small number words stay out ("four on the floor"), and so do names: drum machines ('808s'), decades
    ('80s'), '2-step'."""
    for i, word in enumerate(scan.words):
        if scan.used[i] or word in _MACHINE_NUMBERS or scan.word(i - 1) in _NOT_TEMPO_BEFORE:
            continue
        end = i + 1 if is_numeral(word) else _unread_words(scan, i)
        if end is not None and scan.word(end) not in _NAME_AFTER_NUMBER:
            scan.unread["number"] = " ".join(token.text for token in scan.tokens[i:end])
            return


# --- harmony --------------------------------------------------------------------------------------
def _set_chords(scan: Scan, run: ChordRun) -> None:
    scan.set("chords", run.symbols, run.start, run.end)


def _set_key(scan: Scan, match: KeyMatch, start: int) -> None:
    end = match.end
    if scan.word(end) in SCALE_TAILS:
        end += 1
    if "key" in scan.slots:
        return
    scan.slots["key"] = match.key
    if match.scale is not None and "scale" not in scan.slots:
        scan.slots["scale"] = match.scale
    scan.take(start, end)


_NOT_A_ROOT_RE = re.compile(r"[H-Z][#b]?(?:m|maj|min|dim|aug|sus|add|[0-9])*")
"""A chord symbol with a root no note has ('Q', 'Zm7'; German H, read as B, is a chord)."""


def _unknown_chord_at(scan: Scan, k: int) -> bool:
    """Whether the word at k is a chord symbol with no note for a root and a chord follows it within two
    words: 'over Am Q F' lost Q and F, 'over Zm7 Q F' every chord (a list of chords, not the pronoun 'I')."""
    if k >= len(scan) or scan.used[k] or not _NOT_A_ROOT_RE.fullmatch(scan.tokens[k].text):
        return False
    if read_chord_run(scan.tokens, scan.words, k, scan.used, lower_ok=True) is not None:
        return False  # a chord after all ('H7': German B7)
    for j in range(k + 1, min(k + 4, len(scan))):
        if scan.words[j] in CHORD_SEPARATORS:
            continue
        if read_chord_run(scan.tokens, scan.words, j, scan.used, lower_ok=False) is not None:
            return True
        if not _NOT_A_ROOT_RE.fullmatch(scan.tokens[j].text):
            return False
    return False


def _next_word(scan: Scan, k: int) -> int:
    """The first word at or after k that is not a chord separator (',', 'and', 'then', '-')."""
    while k < len(scan) and scan.words[k] in CHORD_SEPARATORS:
        k += 1
    return k


def chords_after_context(scan: Scan) -> None:
    """'over Am, F, C and G', 'chords Dm7 G7 Cmaj7', 'over A minor F C G', 'over Am'. A chord with no note
    for a root in the list ('over Am Q F') -> unread["chords"]: the rest of the list is not dropped unsaid."""
    for c, word in enumerate(scan.words):
        if word not in _CHORD_CONTEXT or scan.used[c] or "chords" in scan.slots:
            continue
        # read a run at each word after the context word, skipping "the", "a", "chords" ... in
        # between ("over the chords Am F", "over A minor F C G": "A" is tried as a chord first)
        for k in range(c + 1, min(c + 5, len(scan))):
            if scan.used[k]:
                break
            if _unknown_chord_at(scan, k):
                scan.unread["chords"] = scan.tokens[k].text
                return
            run = read_chord_run(scan.tokens, scan.words, k, scan.used, lower_ok=True)
            bare_a = run is not None and run.end - run.start == 1 and scan.tokens[k].text in ("A", "a")
            if run is not None and not bare_a:
                scan.take(c, k)
                _set_chords(scan, run)
                after = _next_word(scan, run.end)
                if _unknown_chord_at(scan, after):
                    scan.unread["chords"] = scan.tokens[after].text
                break
            if scan.words[k] not in _CHORD_CONTEXT_FILLERS:
                break


def _accept_key_after_in(scan: Scan, match: KeyMatch) -> bool:
    note = match.note
    if note is None or note.upper or note.name[0] != "A":
        return True
    # a lower-case "a" after "in" is the key only where the article reading is impossible
    if note.accidental_word:
        return True
    after = scan.word(match.end)
    if match.scale is not None:
        return match.scale != "blues" and after not in SCALE_TAILS
    return after == "" or after in PUNCT or after in _A_KEY_FOLLOWERS


def keys_in_context(scan: Scan) -> None:
    """'in D minor', 'in the key of Bb', 'key of G', 'in a minor', 'in E blues', 'in C#m'."""
    for i, word in enumerate(scan.words):
        if word not in ("in", "key") or scan.used[i] or "key" in scan.slots:
            continue
        k = i + 1
        while k < len(scan) and k < i + 4 and scan.words[k] in _KEY_CONTEXT_FILLERS and not scan.used[k]:
            k += 1
        if k >= len(scan) or scan.used[k]:
            continue
        if word == "key" and k == i + 1:
            continue  # "key G" is not said; "what key is this" must not start a key
        match = read_key(scan.tokens, scan.words, k)
        if match is None or not scan.free(k, match.end) or not _accept_key_after_in(scan, match):
            continue
        _set_key(scan, match, k)
        scan.take(i, k)


def chord_runs(scan: Scan) -> None:
    """Two or more chords anywhere: 'Am F C G', 'Dm7 G7 Cmaj7' (upper-case roots only)."""
    if "chords" in scan.slots:
        return
    i = 0
    while i < len(scan):
        if scan.used[i]:
            i += 1
            continue
        run = read_chord_run(scan.tokens, scan.words, i, scan.used, lower_ok=False)
        bare_a = scan.tokens[i].text == "A" and run is not None and run.chords[0] == "A" and scan.word(i + 1) != ","
        if run is not None and len(run.chords) >= 2 and not bare_a:  # "A C major melody": the article
            _set_chords(scan, run)
            return
        i += 1


def keys_anywhere(scan: Scan) -> None:
    """'C major pentatonic', 'an F lydian melody', 'Gm', 'd minor' without 'in'."""
    if "key" in scan.slots:
        return
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        match = read_key(scan.tokens, scan.words, i)
        if match is None or not scan.free(i, match.end):
            continue
        note = match.note
        if note is not None:
            if match.scale is None:
                continue  # a lone letter is no key without "in"
            if note.name[0] == "A" and not note.accidental_word:
                if not note.upper and scan.word(note.end) not in FOREIGN_SCALES:
                    continue  # "a minor melody": the article; "Melodie a-Moll" is German for A minor
                if match.scale == "blues" and (i == 0 or scan.word(i - 1) in PUNCT):
                    continue  # "A blues shuffle": the article
        _set_key(scan, match, i)
        return


def scale_alone(scan: Scan) -> None:
    """'in dorian', 'a minor key', 'the blues scale', 'something mixolydian': a scale without a key."""
    if "scale" in scan.slots:
        return
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        found = read_scale(scan.words, i)
        if found is None:
            continue
        scale, end = found
        after = scan.word(end)
        if scale not in MODE_ONLY_SCALES:
            context = after in SCALE_TAILS or (scale != "blues" and (scan.word(i - 1) == "in" or scan.part_at(end)))
            if not context:
                continue
        if after in SCALE_TAILS:
            end += 1
        if scan.free(i, end):
            scan.set("scale", scale, i, end)
            return


def mood_scale(scan: Scan) -> None:
    """'a dark bassline', 'a happy melody in C': a mood word for the scale (MOOD_SCALES) where none was said; not
    negated ("nothing too dark")."""
    if "scale" in scan.slots:
        return
    for i, word in enumerate(scan.words):
        if word in MOOD_SCALES and not scan.used[i] and not _negated(scan, i):
            scan.set("scale", MOOD_SCALES[word], i, i + 1)
            return


def unread_key(scan: Scan) -> None:
    """A key said that no rule read: "in X minor", "in the key of Q", "in Fis minor" -> unread["key"].

    Only a note-like word after "in" followed by a scale, or after "key of", counts: "in a minor
    key" (the article) and "in the style of" are no keys said."""
    if "key" in scan.slots:
        return
    for i, word in enumerate(scan.words):
        if word not in ("in", "key") or scan.used[i]:
            continue
        k = i + 1
        while k < len(scan) and k < i + 4 and scan.words[k] in _KEY_CONTEXT_FILLERS:
            k += 1
        candidate = scan.tokens[k].text if k < len(scan) else ""
        if word == "key" and scan.word(k - 1) == "of" and (k >= len(scan) or scan.tokens[k].is_punct):
            scan.unread["key"] = ""  # "in the key of" and no key: not C major unsaid
            return
        if not _NOTE_LIKE_RE.fullmatch(candidate) or scan.words[k] in DETERMINERS | _NOT_NOTE_WORDS or scan.used[k]:
            continue
        after_key_of = word == "key" and scan.word(k - 1) == "of"
        if after_key_of or (word == "in" and read_scale(scan.words, k + 1) is not None):
            scan.unread["key"] = candidate
            return


# --- style, density, mixing words ---------------------------------------------------------------
def genre_words(scan: Scan) -> None:
    """'drum and bass' is a genre, not two parts: its words are the style it is played in (electronic)."""
    for i in range(len(scan)):
        for phrase in GENRE_NOT_PART:
            is_genre = tuple(scan.words[i : i + len(phrase)]) == phrase
            if is_genre and not scan.set("style", normalise_drum_style("drum-and-bass"), i, i + len(phrase)):
                scan.take(i, i + len(phrase))
            elif is_genre:
                scan.said["style"] = join_as_written(scan.tokens[i : i + len(phrase)])


_SWING_WORDS = frozenset({"swing", "swinging", "swung"})


def unread_style(scan: Scan) -> None:
    """'in the style of J Dilla' where no style is read after 'style of' -> unread["style"]: the words were
    passed over and the part made in the default style as if no style had been asked for."""
    for i, word in enumerate(scan.words):
        if word != "style" or scan.word(i + 1) != "of" or scan.used[i]:
            continue
        said: list[Token] = []
        for token, used in zip(scan.tokens[i + 2 : i + 5], scan.used[i + 2 : i + 5], strict=False):
            if used or token.is_punct or token.low in WAKE_AND_FILLER:
                break
            said.append(token)
        if said and not scan.used[i + 2]:
            scan.unread["style"] = as_written(said)
            return


def style(scan: Scan) -> None:
    """The style named ("funky", "hip hop", "in the style of bossa nova"); one negated names none ("rock, not
    jazz"). A compound, two style words side by side ("jazz rock", "funky rock", "pop punk", "country waltz"), is
    its last word's style, as a genre's name says what it is last and how first (the engine has no blend of two).
    A second style apart from the first ("rock and jazz drums") -> conflicts["style"], for the caller to ask which
    (the first was taken without a word); "swing" after a style is its feel ("hip hop with swing"), no second style."""
    first_start = first_end = -1  # where the style taken starts and ends: a style word right after it is a compound
    for i in range(len(scan)):
        if scan.used[i]:
            continue
        phrase = longest_match(scan.words, i, STYLE_PHRASES, STYLE_MAX)
        if phrase is None or not scan.free(i, i + len(phrase)):
            continue
        end = i + len(phrase)
        if scan.word(end) in ("style", "feel", "vibe"):
            end += 1
        if _negated(scan, i):  # "drums, no swing" was a jazz groove; "nothing too jazzy" names no style to play
            scan.take(i, end)
            if phrase[0] in _SWING_WORDS:
                scan.set("swing", 0.0, i, end)
            continue
        if "style" not in scan.slots:
            scan.set("style", STYLE_PHRASES[phrase], i, end)  # and on: "a jazz beat with no swing" is straight
            scan.said["style"] = join_as_written(scan.tokens[i : i + len(phrase)])
            first_start, first_end = i, i + len(phrase)
        elif i == first_end and phrase[0] not in _SWING_WORDS:
            scan.slots["style"] = STYLE_PHRASES[phrase]
            scan.take(i, end)
            scan.said["style"] = join_as_written(scan.tokens[first_start : i + len(phrase)])
            first_end = i + len(phrase)
        elif STYLE_PHRASES[phrase] != scan.slots["style"] and phrase[0] not in _SWING_WORDS:
            second = join_as_written(scan.tokens[i : i + len(phrase)])
            scan.conflicts.setdefault("style", (scan.said.get("style", scan.slots["style"]), second))


def density(scan: Scan) -> None:
    for i, word in enumerate(scan.words):
        if word not in DENSITY_WORDS or scan.used[i]:
            continue
        value = DENSITY_WORDS[word]
        start = i
        back = i - 1
        while back >= 0 and back >= i - 3 and scan.words[back] in ("too", "very", "so", "overly", "that", "be"):
            back -= 1
        if back >= 0 and scan.words[back] in _NEGATIONS:
            value = SPARSE if value == BUSY else BUSY  # "not too busy"
            start = back
        scan.set("density", value, start, i + 1)
        return


def target(scan: Scan) -> None:
    for i in range(len(scan)):
        phrase = longest_match(scan.words, i, TARGET_PHRASES, TARGET_MAX)
        if phrase is not None and scan.free(i, i + len(phrase)):
            scan.set("target", TARGET_PHRASES[phrase], i, i + len(phrase))
            return


def file_format(scan: Scan) -> None:
    for i, word in enumerate(scan.words):
        if word in FORMAT_WORDS and not scan.used[i]:
            scan.set("format", FORMAT_WORDS[word], i, i + 1)
            return


def master(scan: Scan) -> None:
    """True where a master is asked for; False for "without mastering", "unmastered", "no master"."""
    for i, word in enumerate(scan.words):
        if word in ("unmastered", "premaster"):
            scan.set("master", False, i, i + 1)
            return
        if word not in _MASTER_WORDS or scan.word(i + 1) in _MASTER_NOUNS_AFTER:
            continue
        negated = any(scan.word(k) in _NEGATIONS for k in range(i - 2, i))
        scan.set("master", not negated, i, i + 1)
        return


def loudness(scan: Scan) -> None:
    """'master it louder' / 'hotter' -> "louder", 'quieter' / 'softer' -> "quieter" (a render's target
    moved, api.command_loudness); a negated word ("not too loud") asks for no change."""
    for i, word in enumerate(scan.words):
        change = _LOUDNESS_WORDS.get(word)
        if change is None or scan.used[i]:
            continue
        if any(scan.word(k) in _NEGATIONS for k in range(i - 3, i)):
            scan.take(i, i + 1)
            continue
        scan.set("loudness", change, i, i + 1)
        return


def question(scan: Scan) -> None:
    """What an analysis question asks about: the topics named (key, tempo, chords, meter, loudness), in the
    order said and joined by "+" where there are several ("what's the key and tempo": "key+tempo"; the first
    alone was answered)."""
    topics: list[str] = []
    i = 0
    while i < len(scan):
        phrase = longest_match(scan.words, i, QUESTION_PHRASES, QUESTION_MAX)
        if phrase is None:
            i += 1
            continue
        if QUESTION_PHRASES[phrase] not in topics:
            topics.append(QUESTION_PHRASES[phrase])
        i += len(phrase)
    if topics:
        scan.slots.setdefault("question", "+".join(topics))
        return
    if "time_signature" in scan.slots:
        scan.slots.setdefault("question", "meter")  # "is this in 4/4"


_DELIVER_VERBS = frozenset({"send", "put", "load", "drop", "import"})
_DELIVER_PLACES = frozenset({"daw", "dawg", "core", "project", "session", "timeline"})


def send_to_core(scan: Scan) -> None:
    """True where the text asks for the clip in DAWG-CORE: "... and send it to the DAW", "put it in my project",
    "import it" (the request's send_to_core; "send it to the DAW" was made and kept)."""
    for i, word in enumerate(scan.words):
        if word not in _DELIVER_VERBS or scan.used[i] or any(scan.word(k) in _NEGATIONS for k in range(i - 2, i)):
            continue
        ahead = scan.words[i + 1 : i + 12]  # "send a bassline in A minor to the DAW": the place comes after the clip
        if any(t.is_punct for t in scan.tokens[i + 1 : i + 12]):
            ahead = ahead[: next(k for k, t in enumerate(scan.tokens[i + 1 : i + 12]) if t.is_punct)]
        if word == "import" or set(ahead) & _DELIVER_PLACES:
            scan.set("send_to_core", True, i, i + 1)
            return


def _said_key(slots: dict[str, Any]) -> str:
    return f"{slots['key']} {slots['scale']}" if slots.get("scale") else str(slots["key"])


def repeated(scan: Scan) -> None:
    """A key, tempo, meter or length said twice with different values -> conflicts[slot], for the caller to ask
    which: "bass in D minor and also in E major", "drums at 120, actually make it 90", "drums in 4/4 in 3/4"
    took the first and dropped the second without a word. The readers run again over the words no slot used."""

    def probe(*rules: Callable[[Scan], None]) -> Scan:
        again = Scan(scan.tokens)
        again.used = list(scan.used)
        for rule in rules:
            rule(again)
        return again

    if "key" in scan.slots:
        second = probe(keys_in_context, keys_anywhere).slots
        first = scan.slots
        scales = (first.get("scale"), second.get("scale"))
        if "key" in second and (second["key"] != first["key"] or (None not in scales and scales[0] != scales[1])):
            scan.conflicts["key"] = (_said_key(first), _said_key(second))
        elif second.get("key") == first["key"] and scales[0] is None and scales[1] is not None:
            scan.slots["scale"] = scales[1]  # "in C, C major": the same key, its scale said the second time
    if "tempo" in scan.slots:
        numbers = probe(explicit_tempo, bare_tempo).slots.get("tempo")
        words = probe(tempo_words).slots.get("tempo") if "tempo" in scan.worded else None
        for said in (numbers, words):
            if said is not None and said != scan.slots["tempo"]:
                scan.conflicts["tempo"] = (f"{scan.slots['tempo']:g} BPM", f"{said:g} BPM")
                break
    for slot, rule, unit in (("time_signature", time_signature, ""), ("bars", bars, " bars")):
        again = probe(rule).slots.get(slot)
        if slot in scan.slots and again is not None and again != scan.slots[slot]:
            scan.conflicts[slot] = (f"{scan.slots[slot]}{unit}", f"{again}{unit}")


def music_slots(scan: Scan) -> None:
    """Every musical parameter, in the order described in the module docstring."""
    seed(scan)
    amounts(scan)
    time_signature(scan)
    explicit_tempo(scan)
    unread_tempo(scan)
    bars(scan)
    unread_bars(scan)
    chords_after_context(scan)
    keys_in_context(scan)
    chord_runs(scan)
    keys_anywhere(scan)
    scale_alone(scan)
    unread_key(scan)
    mood_scale(scan)
    genre_words(scan)
    style(scan)
    unread_style(scan)
    density(scan)
    times_count(scan)
    variations(scan)
    send_to_core(scan)
    tempo_words(scan)
    bare_tempo(scan)
    repeated(scan)
