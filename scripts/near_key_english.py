#!/usr/bin/env python3
"""Writes ai/commands/near_key_english.txt: the English words within reach of a command key word.

The command speller (ai/commands/spelling.py) never reads an English word as a key word ("bash" is one edit
from "bass", "mixer" from "mixes"): this lists every word of Debian's medium American English dictionary
(package wamerican, /usr/share/dict/words) that is within the speller's reach of a key word and that the
parser does not know already. Rerun it after a key word is added (tests/ai/commands/test_spelling.py checks
the file against the dictionary where the dictionary is installed):

    apt-get install wamerican
    .venv/bin/python scripts/near_key_english.py [--words /usr/share/dict/words]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.commands.parse import speller  # noqa: E402
from ai.commands.spelling import NEAR_KEY_ENGLISH_FILE, SHORT_WORD  # noqa: E402

DICTIONARY = Path("/usr/share/dict/words")
HEADER = (
    "# English words within reach of a command key word: never read as one (ai/commands/spelling.py).\n"
    "# Made by scripts/near_key_english.py from Debian's wamerican dictionary; do not edit by hand.\n"
)


def near_key_english(dictionary: Path) -> list[str]:
    """The dictionary's words that a typed key word could be taken for, sorted."""
    words = {line.strip().lower() for line in dictionary.read_text(encoding="utf-8", errors="ignore").splitlines()}
    spell = speller()
    found = set()
    for word in words:
        if len(word) < SHORT_WORD or not word.isascii() or not word.isalpha() or word in spell.known:
            continue
        if spell.candidates(word):
            found.add(word)
    return sorted(found)


def render(dictionary: Path) -> str:
    return HEADER + "".join(word + "\n" for word in near_key_english(dictionary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=Path, default=DICTIONARY, help="the dictionary, one word a line")
    args = parser.parse_args()
    NEAR_KEY_ENGLISH_FILE.write_text(render(args.words), encoding="utf-8")
    print(f"wrote {NEAR_KEY_ENGLISH_FILE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
