"""Keys as a DJ mixes them: canonical names, Camelot codes and harmonically compatible keys.

Canonical key names are the ones the analysis answers: ``"G major"``, ``"Eb minor"``, the tonic spelt
with the smaller key signature (``"Db major"``, ``"G# minor"``; ``ai.note_spelling``). Libraries scanned
before that spelling hold ``"C# major"`` and ``"Ab minor"``: ``spellings`` gives every name of a key.

The Camelot wheel numbers the circle of fifths 1..12 with ``B`` for major and ``A`` for minor (``8B`` =
C major, ``8A`` = A minor); keys a step apart on the wheel, or the relative key on the same number, mix
without a clash.
"""

from __future__ import annotations

from ai import note_spelling
from ai.music_theory import parse_key

_MAJOR_CAMELOT_C = 8  # C major is 8B; each fifth up adds one (mod 12)
_MINOR_CAMELOT_A = 8  # A minor is 8A


def key_name(tonic: int, minor: bool) -> str:
    mode = "minor" if minor else "major"
    return f"{note_spelling.tonic_name(tonic % 12, mode)} {mode}"


def spellings(name: str) -> list[str]:
    """Every name of the key with one accidental at most, the canonical first: 'Db major' -> ['Db major',
    'C# major']; 'G major' -> ['G major']. Raises ValueError for text that is no key."""
    canonical = normalise_key(name)
    tonic = _split(canonical)[0]
    mode = canonical.split()[1]
    if len(note_spelling.PLAIN_NAMES[tonic]) == 1:  # a white key: E minor, not also Fb minor
        return [canonical]
    others = [f"{t} {mode}" for t in note_spelling.tonic_names(tonic)]
    return list(dict.fromkeys([canonical, *others]))


def normalise_key(text: str) -> str:
    """'Am', 'A minor', 'a-minor', 'F#', 'Gb major', '8A' -> the canonical name ('A minor').

    Only major and minor keys have a place on the wheel: other modes are read by their family
    (dorian as minor, lydian as major). Raises ValueError for text that is no key."""
    stripped = text.strip()
    if stripped[:-1].isdigit() and stripped[-1:].upper() in ("A", "B"):
        return from_camelot(stripped)
    key = parse_key(stripped)
    return key_name(key.tonic, key.is_minor)


def _split(name: str) -> tuple[int, bool]:
    key = parse_key(name)
    return key.tonic, key.is_minor


def camelot(name: str) -> str:
    """Camelot code of a canonical key name: 'C major' -> '8B', 'A minor' -> '8A'."""
    tonic, minor = _split(normalise_key(name))
    if minor:
        number = (_MINOR_CAMELOT_A - 1 + 7 * (tonic - 9)) % 12 + 1
        return f"{number}A"
    number = (_MAJOR_CAMELOT_C - 1 + 7 * tonic) % 12 + 1
    return f"{number}B"


def from_camelot(code: str) -> str:
    """'8B' -> 'C major', '8A' -> 'A minor'. Raises ValueError for anything else."""
    text = code.strip().upper()
    if len(text) < 2 or not text[:-1].isdigit() or text[-1] not in ("A", "B") or not 1 <= int(text[:-1]) <= 12:
        raise ValueError(f"'{code}' is not a Camelot code (1A..12A, 1B..12B)")
    steps = int(text[:-1]) - 8  # fifths away from C major / A minor
    if text[-1] == "B":
        return key_name(7 * steps, False)
    return key_name(9 + 7 * steps, True)


def relative(name: str) -> str:
    """The relative major or minor (same signature): 'A minor' <-> 'C major'."""
    tonic, minor = _split(normalise_key(name))
    return key_name(tonic + 3, False) if minor else key_name(tonic + 9, True)


def compatible_keys(name: str) -> list[str]:
    """The key, its relative, and its neighbours a fifth up and down on the wheel (same mode):
    the keys a Camelot mix allows, closest first ('C major' -> C major, A minor, G major,
    F major). Canonical names."""
    key = normalise_key(name)
    code = camelot(key)
    number, letter = int(code[:-1]), code[-1]
    up = f"{number % 12 + 1}{letter}"
    down = f"{(number - 2) % 12 + 1}{letter}"
    return list(dict.fromkeys([key, relative(key), from_camelot(up), from_camelot(down)]))


__all__ = ["camelot", "compatible_keys", "from_camelot", "key_name", "normalise_key", "relative", "spellings"]
