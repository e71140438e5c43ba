"""The fixed held-out rule: whole MMA styles and whole tunes are held out by a hash of their name.

A style (an MMA library file such as ``bossanova``) or a tune (a music21 corpus path plus its
number in the file) is held out when ``sha1("dawg-heldout:" + name) mod 100 < percent``. The rule
depends on nothing but the name, so every run, machine and engineer gets the same split.
"""

from __future__ import annotations

import hashlib

HELDOUT_SALT = "dawg-heldout:"
STYLE_HELDOUT_PERCENT = 12  # of MMA styles (library files)
TUNE_HELDOUT_PERCENT = 5  # of folk tunes and chorales


def hash_percent(name: str) -> int:
    """Stable bucket 0..99 of ``name``."""
    digest = hashlib.sha1((HELDOUT_SALT + name).encode("utf-8")).hexdigest()
    return int(digest, 16) % 100


def is_heldout_style(style: str) -> bool:
    """True when the MMA style (library file stem, lower case) is in the held-out split."""
    return hash_percent("mma/" + style.lower()) < STYLE_HELDOUT_PERCENT


def is_heldout_tune(tune_id: str) -> bool:
    """True when the tune (``"<corpus path>#<number>"``) is in the held-out split."""
    return hash_percent("tune/" + tune_id) < TUNE_HELDOUT_PERCENT
