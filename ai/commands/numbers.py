"""Numbers as people say them: digits, number words and musicians' tempo shorthand.

``read_number`` reads one number starting at a word: "96", "120.5", "-20", "ninety six" (hyphens are split by the
tokenizer), "a hundred and twenty", "one hundred twenty", "hundred and twenty" (a speech recogniser's, the "a"
dropped), "two thousand and five", "third" / "3rd", "minus
twenty" (a sign said is kept: the endpoint refuses a negative tempo or count, rather than being sent its
absolute value). With ``musician=True``
(where a tempo is expected) it also reads the shorthand musicians use for tempos from 100 to 299:
"one twenty" (120), "one twenty eight" (128), "one oh five" (105), "one fifteen" (115).
``read_quantity`` adds the spoken quantities before a unit: "a couple (of)" 2, "a few" 3, "a" /
"an" / "a single" 1, "a dozen" 12 and "a" before a number ("an 8-bar").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}
NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | {"hundred", "thousand"}
Number = int | float
"""A number said: an int, or a float where it was written with a decimal point ("120.5")."""
_NUMERAL_RE = re.compile(r"(-?)(\d+)(\.\d+)?")
_SIGN_WORDS = frozenset({"minus", "negative"})
_ZERO_WORDS = frozenset({"oh", "o", "zero"})
_MAX_DIGITS = 6  # "999999": anything longer is not a count or a tempo


def _below_hundred(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """'ninety six', 'twenty', 'seven', '15' at i -> (value, end)."""
    if i >= len(words):
        return None
    word = words[i]
    if word in TENS:
        value = TENS[word]
        if i + 1 < len(words) and words[i + 1] in UNITS and 1 <= UNITS[words[i + 1]] <= 9:
            return value + UNITS[words[i + 1]], i + 2
        return value, i + 1
    if word in UNITS:
        return UNITS[word], i + 1
    return None


def _ordinal(word: str) -> int | None:
    if word in ORDINALS:
        return ORDINALS[word]
    if len(word) > 2 and word[-2:] in ("st", "nd", "rd", "th") and word[:-2].isdigit() and len(word) <= 6:
        return int(word[:-2])
    return None


def is_numeral(word: str) -> bool:
    """Whether ``word`` is a number in digits ("96", "-20", "120.5"), of any length."""
    return word.isascii() and _NUMERAL_RE.fullmatch(word) is not None


def _numeral(word: str) -> Number | None:
    """'96' -> 96, '-20' -> -20, '120.5' -> 120.5; None for other words and for more than _MAX_DIGITS digits
    before the point (no count or tempo is that long)."""
    match = _NUMERAL_RE.fullmatch(word) if word.isascii() else None
    if match is None or len(match.group(2)) > _MAX_DIGITS:
        return None
    sign, whole, fraction = match.groups()
    value: Number = float(word) if fraction else int(whole)
    return -value if sign else value


def read_number(words: Sequence[str], i: int, *, musician: bool = False) -> tuple[Number, int] | None:
    """The number that starts at ``words[i]`` (lower-case words) -> (value, index after it), or None."""
    if i >= len(words):
        return None
    word = words[i]
    if is_numeral(word):
        value = _numeral(word)
        return (value, i + 1) if value is not None else None
    if word in _SIGN_WORDS:
        signed = read_number(words, i + 1, musician=musician)
        return (-signed[0], signed[1]) if signed is not None and not words[i + 1].startswith("-") else None
    ordinal = _ordinal(word)
    if ordinal is not None:
        return ordinal, i + 1
    # "two thousand", "a thousand and fifty", "one thousand two hundred": read whole, so that no part of
    # the number is taken for another (the "two hundred" of "one thousand two hundred" is no tempo)
    thousands = (1, i + 1) if word in ("a", "an") else _below_thousand(words, i)
    if thousands is not None and thousands[1] < len(words) and words[thousands[1]] == "thousand":
        j = thousands[1] + 1
        rest = _below_thousand(words, j + 1 if j < len(words) and words[j] == "and" else j)
        return (thousands[0] * 1000 + rest[0], rest[1]) if rest is not None else (thousands[0] * 1000, j)
    spoken = _hundreds(words, i)
    if spoken is not None:
        return spoken
    if word == "hundred":  # "hundred and twenty": a recogniser drops the "a" (it read "twenty", a 20 BPM beat)
        return _after_hundred(words, 100, i + 1)
    if musician and word in ("one", "two") and i + 1 < len(words):
        hundreds = UNITS[word] * 100
        nxt = words[i + 1]
        if nxt in _ZERO_WORDS and i + 2 < len(words) and words[i + 2] in UNITS and 1 <= UNITS[words[i + 2]] <= 9:
            return hundreds + UNITS[words[i + 2]], i + 3  # one oh five
        if nxt in TENS or (nxt in UNITS and UNITS[nxt] >= 10):
            rest = _below_hundred(words, i + 1)
            if rest is not None:
                return hundreds + rest[0], rest[1]  # one twenty (eight), one fifteen
    return _below_hundred(words, i)


def _hundreds(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """'a hundred (and) twenty', 'one hundred twenty', 'two hundred' at i -> (value, end)."""
    if i + 1 >= len(words) or words[i + 1] != "hundred":
        return None
    if words[i] in ("a", "an", "one"):
        return _after_hundred(words, 100, i + 2)
    if words[i] in UNITS and 1 <= UNITS[words[i]] <= 9:
        return _after_hundred(words, UNITS[words[i]] * 100, i + 2)
    return None


def _below_thousand(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """'nine hundred (and) ninety nine', 'forty', 'seven' at i -> (value, end)."""
    if i >= len(words):
        return None
    return _hundreds(words, i) or _below_hundred(words, i)


def _after_hundred(words: Sequence[str], value: int, j: int) -> tuple[int, int]:
    k = j + 1 if j < len(words) and words[j] == "and" else j
    rest = _below_hundred(words, k)
    if rest is not None:
        return value + rest[0], rest[1]
    return value, j


def read_quantity(words: Sequence[str], i: int) -> tuple[Number, int] | None:
    """A count before a unit ("eight", "a couple of", "a few", "a", "an 8") -> (value, end), or None.

    "a" alone is 1 ("a bar"); the caller checks that a unit follows.
    """
    if i >= len(words):
        return None
    word = words[i]
    j = i + 1 if word in ("a", "an") else i
    if j < len(words):
        head = words[j]
        if head == "couple":
            return 2, j + 2 if j + 1 < len(words) and words[j + 1] == "of" else j + 1
        if head == "few":
            return 3, j + 1
        if head == "dozen":
            return 12, j + 1
        if head == "single":
            return 1, j + 1
        if j > i and head in ("hundred", "thousand"):
            return read_number(words, i)
        number = read_number(words, j)
        if number is not None:
            return number
    if j > i:
        return 1, j
    return None
