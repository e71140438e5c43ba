"""Spanish, French, German and Italian part words, read as the English words the parser reads.

Note names and scale words of these languages were read already (solfège "ré mineur", German "Fis-moll":
:mod:`ai.commands.music_words`), the parts were not: "un bajo en la menor", "batería a 120" and "una melodía en do
mayor" were refused ("Which part: drums, bass or melody?"). A word of :data:`FOREIGN_WORDS`, accents optional
("bateria", "melodia"), is read as its English word wherever the parser reads that one ("acordes" as "chords":
"acordes Am F C G", "accompany this, just acordes"); its text stays as written, so a name keeps it ("mute the
Bajo"). The words are no English words (English "accord" is left out: French "accord" is one chord); German
"Bass" and the "piano" of Spanish, French and Italian are the English words already.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from ai.commands.tokens import Token

FOREIGN_WORDS: dict[str, str] = {
    # Spanish
    "bajo": "bass",
    "bajos": "basses",
    "bateria": "drums",
    "melodia": "melody",
    "melodias": "melodies",
    "acorde": "chord",
    "acordes": "chords",
    "compas": "bar",
    "compases": "bars",
    "en": "in",  # Spanish and French: "un bajo en A", "une basse en ré mineur"
    "sobre": "over",  # "un bajo sobre Am F C G" (its "sombre" was read for a typo)
    # French
    "basse": "bass",
    "batterie": "drums",
    "melodie": "melody",  # German too; Italian plural
    "accords": "chords",
    "mesure": "bar",
    "mesures": "bars",
    "sur": "over",
    # German
    "schlagzeug": "drums",
    "melodien": "melodies",
    "akkord": "chord",
    "akkorde": "chords",
    "klavier": "piano",
    "takt": "bar",
    "takte": "bars",
    "uber": "over",  # über
    # Italian
    "basso": "bass",
    "bassi": "basses",
    "batteria": "drums",
    "accordo": "chord",
    "accordi": "chords",
    "battuta": "bar",
    "battute": "bars",
    "sopra": "over",
}
"""Foreign word, without its accents -> the English word read in its place."""


def without_accents(word: str) -> str:
    """'batería' -> 'bateria', 'mélodie' -> 'melodie': the letters without their combining marks."""
    return "".join(char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))


def read_foreign(tokens: Sequence[Token]) -> list[Token]:
    """``tokens`` with each word of :data:`FOREIGN_WORDS` read as its English word (its text as written)."""
    out = []
    for token in tokens:
        english = FOREIGN_WORDS.get(without_accents(token.low)) if token.low.isalpha() else None
        out.append(Token(token.text, english, token.hyphen_before, token.gap) if english else token)
    return out


FOREIGN_KEPT = frozenset({"eine", "ohne", "fait", "sombra"})
"""Words of these languages a keystroke from a key word, known to the parser so that the speller leaves them as
written: "eine Melodie" is no "nine" melodies, "ohne Schlagzeug" no "one" drum beat, "fait" no "fast"."""
