"""What a request asks of an accompaniment: the parts, the harmony source and the other options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ai.generation.accompaniment.preview import PREVIEW_LEVEL_DB
from utils.errors import InvalidParameter

ACCOMPANIMENT_PARTS = ("drums", "bass", "pad")
PART_ALIASES = {"drums": "drums", "drum": "drums", "beat": "drums", "bass": "bass", "bassline": "bass",
                "pad": "pad", "chords": "pad", "keys": "pad"}  # fmt: skip


HARMONY_SOURCES = ("auto", "recording", "melody")
"""Where the bar chords come from: ``recording`` the chords heard in it
(:func:`~ai.generation.bar_harmony.heard_chords`), ``melody`` chords chosen to harmonise its melody (:func:`~ai.generation.melody_harmony.harmonise`: for a melody
alone, whose chroma names no chord), ``auto`` the second where the recording is a melody alone
(:func:`~ai.generation.melody_harmony.is_melody`), else the first. The answer's source may also be ``given`` (the
request's chords, or the request's key's progression) or ``default`` (a recording with no key, nothing given:
:data:`NO_KEY_DEFAULT` and its progression): see :func:`_given_progression`."""


@dataclass(frozen=True)
class AccompanimentOptions:
    parts: tuple[str, ...] = ("drums", "bass")
    style: str | None = None
    temperature: float = 1.0
    seed: int = 0
    density: float = 0.5
    swing: float = 0.0
    humanize: float = 0.0
    microtiming: float = 0.0
    model: str | None = None
    preview: str | None = None  # None, "wav" or "flac"
    level_db: float = PREVIEW_LEVEL_DB
    harmony: str = "auto"  # one of HARMONY_SOURCES
    key: str | None = None  # the parts' key instead of the one heard ("F minor")
    chords: str | None = None  # one chord per bar, repeating, instead of the ones heard ("Fm Db Ab Eb")


def parse_parts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """'drums,bass' / 'drums bass pad' / a list -> the parts in the engine's order; raises InvalidParameter."""
    if value is None:
        return ("drums", "bass")
    words = (
        value.replace(",", " ").split()
        if isinstance(value, str)
        else [w for v in value for w in v.replace(",", " ").split()]
    )
    parts = set()
    for word in words:
        part = PART_ALIASES.get(word.strip().lower())
        if part is None:
            raise InvalidParameter("parts", f"'{word}' is not a part; use drums, bass and/or pad (chords)")
        parts.add(part)
    if not parts:
        raise InvalidParameter("parts", "no part named: use drums, bass and/or pad (chords), e.g. parts=drums,bass")
    return tuple(p for p in ACCOMPANIMENT_PARTS if p in parts)


def parse_harmony(value: str | None) -> str:
    """'auto' / 'recording' / 'melody' (any case; None: auto) -> one of HARMONY_SOURCES; raises InvalidParameter."""
    word = (value or "auto").strip().lower()
    if word not in HARMONY_SOURCES:
        raise InvalidParameter(
            "harmony",
            f"'{value}' is not a harmony source; use auto (default), recording (the chords heard in it) or melody "
            "(chords that harmonise a melody alone)",
        )
    return word
