"""Text -> tokens for the command parser: what a person typed or Jarvis transcribed, cleaned and split.

Each token keeps the text as written (case matters for keys and chords: "Am" is A minor, "am" is a
verb) and its lower-case form. Hyphens split words ("8-bar", "b-flat", "hip-hop", "C-G-Am-F"),
contractions are opened ("what's" -> "what is", "don't" -> "do not"), a number glued to a unit is
split ("96bpm" -> "96 bpm"), and punctuation that separates phrases (, . ; : ! ?) is kept as its own
token so that slots do not run across it. Everything else (emoji, control characters, symbols) is
a separator. Work is bounded: only the first :data:`MAX_PARSE_CHARS` characters are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PARSE_CHARS = 1000
"""Characters read from a text; the endpoint refuses longer texts, the parser only bounds its work."""

PUNCT = frozenset({",", ".", ";", ":", "!", "?", '"', "|", "/", "%"})
"""Tokens that separate phrases; "|", a "/" written alone and "%" are also a chord chart's bar line, beat slash and
repeat sign ("Dm7 / G7 / | C / / / | %")."""

# One linear pass each; none of these can backtrack catastrophically (no nested quantifiers).
# A numeral with a sign or a decimal point is one word ("-20", "120.5", "87.5bpm"): split at the "." or the
# "-", "at 120.5 bpm" was a tempo of 5 and "-5 variations" five. A "-" joined to a word before it stays a
# hyphen ("8-bar", "2-4"), and a "." not followed by a digit ends a sentence ("at 96. Eight bars").
# A numeral written with thousands separators is one number too ("1,000 bpm" was "1", "," and "000").
_THOUSANDS = r"(?<![\w.,])-?\d{1,3}(?:,\d{3})+(?![\d,])[^\W\d_]*"
_THOUSANDS_RE = re.compile(_THOUSANDS)
_NUMERAL = _THOUSANDS + r"|(?<![\w.])-?\d+\.\d+[^\W\d_]*|(?<![\w.-])-\d+[^\W\d_]*"
_TOKEN_RE = re.compile(_NUMERAL + r"|[^\W_]+(?:['#/+°ø][^\W_]*)*[#+°]?|[,.;:!?\"|&#@=/%]")
_BPM_RE = re.compile(r"\bb\.\s?p\.\s?m\b\.?", re.IGNORECASE)
_GLUED_UNIT_RE = re.compile(r"(-?\d+(?:\.\d+)?)([a-z]+)")
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_DIGIT_LOOKALIKES = frozenset({"o", "oo", "l", "i"})
"""Letters typed for digits ("12O", "1l0"): such a word is kept whole, a number nobody can read, not split into
a number and a unit ("12O bpm" was a tempo of 12)."""
_TRANSLATE = str.maketrans(
    {
        "♭": "b",
        "♯": "#",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "_": " ",
    }
)
_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "let's": ("let", "us"),
    "gimme": ("give", "me"),
    "gonna": ("going", "to"),
    "wanna": ("want", "to"),
    "lemme": ("let", "me"),
}


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written, case kept
    low: str  # lower case
    hyphen_before: bool = False  # written joined to the previous word by a hyphen ("hi-hats")
    gap: str = " "
    """What was written between the previous token and this one: spaces, or separators such as the "/" of
    "../x" ("" when glued to it). :func:`as_written` rebuilds a name from it."""

    @property
    def is_punct(self) -> bool:
        return self.low in PUNCT


def _word_tokens(raw: str) -> list[str]:
    """One regex match -> the words it stands for (contractions opened, glued units split)."""
    word = raw.strip("'/")
    if not word:
        return []
    low = word.lower()
    if low in _CONTRACTIONS:
        return list(_CONTRACTIONS[low])
    if "'" in word:
        stem, _, tail = word.partition("'")
        tail_low = tail.lower()
        if tail_low == "s":
            return [stem, "is"]
        if tail_low == "t" and stem.lower().endswith("n"):
            return [stem[:-1], "not"]
        if tail_low in ("re", "ve", "ll", "d", "m"):
            return [stem]
        return [word.replace("'", "")]  # rock'n'roll
    glued = _GLUED_UNIT_RE.fullmatch(low)
    if glued and glued.group(2) not in _ORDINAL_SUFFIXES | _DIGIT_LOOKALIKES:
        return [glued.group(1), glued.group(2)]  # 96bpm, 8bars, 4x
    if word.startswith("#") and word[1:].isdigit():
        return [word[1:]]  # track #3
    return [word]


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (at most its first MAX_PARSE_CHARS characters)."""
    clean = text[:MAX_PARSE_CHARS].translate(_TRANSLATE)
    clean = _BPM_RE.sub(" bpm ", clean)
    tokens: list[Token] = []
    previous_end = -1
    gap_start = 0  # a dropped "#" stays in the next token's gap
    for match in _TOKEN_RE.finditer(clean):
        raw = match.group(0)
        hyphen = previous_end >= 0 and clean[previous_end : match.start()] == "-"
        previous_end = match.end()
        if raw == "#":
            continue
        gap, gap_start = clean[gap_start : match.start()], match.end()
        if raw == "&":
            tokens.append(Token("and", "and", gap=gap))
            continue
        if raw in ("/", "%"):  # alone: a chart's beat slash or repeat sign (in a word, "C/E", it is the word's)
            tokens.append(Token(raw, raw, gap=gap))
            continue
        if _THOUSANDS_RE.fullmatch(raw):
            raw = raw.replace(",", "")
        for k, word in enumerate(_word_tokens(raw)):
            # A word split in two ("what's", "96bpm") is two words as written.
            tokens.append(Token(word, word.lower(), hyphen and k == 0, gap if k == 0 else " "))
    return tokens


def glued(token: Token) -> bool:
    """True when ``token`` was written against the one before it, no space between ("../x", "Drive,")."""
    return not any(char.isspace() for char in token.gap)


def as_written(tokens: Sequence[Token]) -> str:
    """Tokens back to the text they were written as, separators between them kept ("../x", "AC/DC"), and the
    separators glued to the first one ("/etc" of "project /etc"): a name as the person typed it."""
    if not tokens:
        return ""
    lead = re.split(r"\s", tokens[0].gap)[-1]  # what was written against the first token
    text = lead + tokens[0].text + "".join(token.gap + token.text for token in tokens[1:])
    return " ".join(text.split())


def join_as_written(tokens: Sequence[Token]) -> str:
    """Tokens back to text: spaces between words, hyphens where they were written ("Lo-Fi Jam")."""
    text = ""
    for k, token in enumerate(tokens):
        text += ("-" if token.hyphen_before else " ") + token.text if k else token.text
    return text
