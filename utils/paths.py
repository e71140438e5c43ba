"""Resolving paths that users' folders may hold: links that lead round in a loop."""

from __future__ import annotations

import errno
from pathlib import Path


def resolve_path(path: Path, *, strict: bool = False) -> Path:
    """``path.resolve(strict=strict)``, with a loop of symbolic links raised as OSError (ELOOP).

    Python 3.11 raises RuntimeError for a loop (3.13 raises OSError): a folder of stems or a library
    holding one ``ln -s a b; ln -s b a`` must be skipped like any unreadable entry, not end the request
    in a 500.
    """
    try:
        return path.resolve(strict=strict)
    except RuntimeError as exc:
        raise OSError(errno.ELOOP, f"its symbolic links lead round in a loop: {path}") from exc
