"""Typed commands with typos: a conservative correction of the command's key words, before the parse.

People type into the web page's command box and curl: "genrate a basline", "gimme drumz", "transcibe this".
The words are a keystroke from words the parser reads, and were refused. A word is read as a key word (an
action verb, a part noun, a slot word, a mood word of a scale, a number word: :func:`ai.commands.parse.key_words`)
only when all of these hold:

* it is letters only and at least :data:`MIN_LETTERS` long (no numbers, no chord or key symbols), or of
  :data:`SHORT_WORD` letters that are a key word's with two neighbours swapped ("sda": "sad"), is no note
  name, and is neither inside quotes nor in a name ("called ...", "project ...");
* the parser does not know it, and it is no English word: :data:`NEAR_KEY_ENGLISH` lists every word of a
  medium American English dictionary within reach of a key word ("bash", "meal", "mixer"), made by
  scripts/near_key_english.py;
* the key words within reach (one edit: an insertion, a deletion, a substitution or two neighbours swapped;
  two edits for a word of :data:`LONG_WORD` or more letters) all mean one thing to the parser ("drumz" is one
  edit from "drums" and "drum", "eigth" from "eight" and "eighth", 8 both; "baes" from "bass" and "bars",
  "ninty" from "ninety" and "ninth": no correction). The nearest of them is read,
  one of the word's own length first ("drumz": "drums"), the shorter next; a plural read for a word that
  does not end like one is its singular ("beatse" is one edit from "beats": "beat").

A word of fewer letters, unknown, joined with the word after it may be read as one key word ("bas line":
"bassline"). Every correction is returned (typed -> read) for the answer to say what it read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from ai.commands.music_words import read_chord, read_key_token, read_note
from ai.commands.tokens import Token

MIN_LETTERS = 4
SHORT_WORD = 3
"""A word of this many letters (fewer than MIN_LETTERS) is read only as a key word of the same letters with two
neighbours swapped ("sda": "sad", "oen": "one"): any other edit of three letters is too often another word."""
LONG_WORD = 8
"""Words of this many letters or more are corrected across two edits ("transcirbe", "accompanyment")."""
NEAR_KEY_ENGLISH_FILE = Path(__file__).with_name("near_key_english.txt")
_LETTERS_RE = re.compile(r"[a-z]+")
_QUOTED_RE = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")
"""Words inside quotes are as written; a single quote opens only where no letter is before it ("don't")."""
_NAME_LEADS = frozenset({"called", "named", "titled", "project"})
"""Words after which a name runs to the end of the phrase: a track's or a project's, never corrected."""
_PLURAL_ENDINGS = ("s", "z")


def edit_limit(word: str) -> int:
    """How many edits a typed ``word`` may be from the key word it is read as."""
    return 2 if len(word) >= LONG_WORD else 1


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits from ``a`` to ``b`` (insertions, deletions, substitutions, neighbours swapped: optimal string
    alignment), or ``limit + 1`` as soon as it is known to be more than ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _deletions(word: str, most: int) -> set[str]:
    """``word`` and every string made from it by deleting up to ``most`` letters."""
    found = {word}
    layer = {word}
    for _ in range(most):
        layer = {text[:k] + text[k + 1 :] for text in layer for k in range(len(text))}
        found |= layer
    return found


@cache
def near_key_english() -> frozenset[str]:
    """The English words within reach of a key word (one a line; '#' lines are comments): never corrected."""
    lines = NEAR_KEY_ENGLISH_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Speller:
    """Reads typed words as key words.

    ``keys``: key word -> what it means to the parser (words of one meaning share it: "drum" and "drums");
    ``known``: every word the parser reads, never corrected."""

    keys: Mapping[str, str]
    known: frozenset[str]

    def candidates(self, word: str) -> list[tuple[int, str]]:
        """(edits, key word) for every key word within reach of ``word``."""
        if len(word) < MIN_LETTERS:
            swapped = {word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1)} - {word}
            return [(1, key) for key in sorted(swapped) if key in self.keys]
        limit = edit_limit(word)
        index = self._index
        near = {key for variant in _deletions(word, limit) for key in index.get(variant, ())}
        found = []
        for key in sorted(near):
            edits = edit_distance(word, key, limit)
            if edits <= limit:
                found.append((edits, key))
        return found

    @cached_property
    def _index(self) -> dict[str, frozenset[str]]:
        """Each string made by deleting up to two letters of a key word -> those key words. Two words within n
        edits share such a string made with n deletions or fewer from each, so a typed word looks up its own
        deletions and the edits are counted for the few key words found, not for every one."""
        index: dict[str, set[str]] = {}
        for key in self.keys:
            for variant in _deletions(key, 2):
                index.setdefault(variant, set()).add(key)
        return {variant: frozenset(found) for variant, found in index.items()}

    def read_as(self, word: str) -> str | None:
        """The key word a typed lower-case ``word`` is read as, or None (see the module's rules)."""
        if (
            len(word) < SHORT_WORD
            or not _LETTERS_RE.fullmatch(word)
            or word in self.known
            or word in near_key_english()
        ):
            return None
        found = self.candidates(word)
        if not found or len({self.keys[key] for _, key in found}) != 1:
            return None
        _, key = min(found, key=lambda item: (item[0], len(item[1]) != len(word), len(item[1]), item[1]))
        return self._singular(key) if not word.endswith(_PLURAL_ENDINGS) else key

    def _singular(self, key: str) -> str:
        """'melodies' -> 'melody' where both mean one thing; else ``key``."""
        for ending, replacement in (("ies", "y"), ("es", ""), ("s", "")):
            if key.endswith(ending):
                singular = key[: -len(ending)] + replacement
                if self.keys.get(singular) == self.keys[key]:
                    return singular
        return key

    def correct(self, text: str, tokens: Sequence[Token]) -> tuple[list[Token], dict[str, str]]:
        """``tokens`` (of ``text``) with their typed key words corrected, and the corrections (as typed -> read)."""
        quoted = {word.lower() for span in _QUOTED_RE.findall(text) for word in re.findall(r"\w+", span)}
        out: list[Token] = []
        corrections: dict[str, str] = {}
        in_name = False
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.is_punct:
                in_name = False
            fixed = None if in_name or token.low in quoted else self.read_as(token.low)
            if fixed is not None and not self._is_music(tokens, i):
                out.append(_replaced(token, fixed))
                corrections[token.text] = fixed
                in_name = fixed in _NAME_LEADS  # "analyse projcet Drumz": the name after it is as typed
                i += 1
                continue
            joined = None if in_name else self._joined(tokens, i, quoted)
            if joined is not None:
                out.append(_replaced(token, joined))  # in the first word's place: its gap and its hyphen
                corrections[f"{token.text} {tokens[i + 1].text}"] = joined
                i += 2
                continue
            out.append(token)
            in_name = in_name or token.low in _NAME_LEADS
            i += 1
        return out, corrections

    def _joined(self, tokens: Sequence[Token], i: int, quoted: set[str]) -> str | None:
        """'bas line' -> 'bassline': a short unknown word (2 or 3 letters) that with the next word, itself no key
        word, is one typed key word ("u make" is "make" already)."""
        if i + 1 >= len(tokens):
            return None
        first, second = tokens[i], tokens[i + 1]
        if (
            not 2 <= len(first.low) < MIN_LETTERS
            or second.low in self.keys
            or not _LETTERS_RE.fullmatch(first.low)
            or not _LETTERS_RE.fullmatch(second.low)
            or first.low in self.known
            or {first.low, second.low} & quoted
            or self._is_music(tokens, i)
            or self._is_music(tokens, i + 1)
        ):
            return None
        return self.read_as(first.low + second.low)

    @staticmethod
    def _is_music(tokens: Sequence[Token], i: int) -> bool:
        """A note, a key or a chord symbol as written ("Ebm", "Cmaj", "Fis"): never a typo."""
        return (
            read_key_token(tokens[i]) is not None
            or read_chord(tokens, [t.low for t in tokens], i, lower_symbols=True) is not None
            or read_note(tokens, i) is not None
        )


def _replaced(token: Token, word: str) -> Token:
    """The token ``word`` in the place of ``token``, capitalised as it was written."""
    text = word.capitalize() if token.text[:1].isupper() else word
    return Token(text, word, token.hyphen_before, token.gap)


def words_in(*namespaces: Mapping[str, object]) -> frozenset[str]:
    """Every lower-case word held in the sets, tuples and tables of ``namespaces`` (modules' globals): the
    words the parser reads, gathered from its own tables so that a word added there is never corrected."""
    found: set[str] = set()

    def walk(value: object, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(value, str):
            found.update(word for word in re.split(r"[\s_\-]+", value.lower()) if _LETTERS_RE.fullmatch(word))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(value, tuple | list | set | frozenset):
            for item in value:
                walk(item, depth + 1)

    for namespace in namespaces:
        for name, value in namespace.items():
            constant = name.isupper() or (name.startswith("_") and not name.startswith("__"))
            if constant and not isinstance(value, str):  # tables, not functions, modules or docstrings
                walk(value, 0)
    return frozenset(found)
