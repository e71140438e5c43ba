"""Words for messages and speech that read right: the article a word takes as it is said."""

from __future__ import annotations

_SAID_WITH_A_VOWEL = ("fx", "mp3", "hour")
"""Words that start with a consonant letter but a vowel sound ("an FX part", "an MP3")."""


def with_article(words: str) -> str:
    """``words`` after "a" or "an" as said: "an electronic drum groove", "an overheads part", "an fx part",
    "a funk bass line"."""
    said_with_a_vowel = words[:1].lower() in "aeiou" or words.lower().startswith(_SAID_WITH_A_VOWEL)
    return ("an " if said_with_a_vowel else "a ") + words


__all__ = ["with_article"]
