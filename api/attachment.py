"""The Content-Disposition of a file answer whose name comes from the caller (an upload's name, a project id)."""

from __future__ import annotations

from urllib.parse import quote


def ascii_filename(name: str) -> str:
    """``name`` with every character but ASCII letters, digits, ``-``, ``_`` and ``.`` made ``_``: safe
    inside the quoted ``filename=`` of a header, which HTTP sends as latin-1 (``str.isalnum`` alone lets
    "曲" through, and the answer then fails as it is sent)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


def file_stem(text: str, limit: int = 80) -> str:
    """A caller's name (an upload's, a project id) as a download's file stem: the characters a file name cannot
    hold (path separators, quotes, control characters, Windows' reserved ``<>:|?*``) made ``_``, at most ``limit``
    characters. Letters of any script, spaces and emoji stay: :func:`attachment` gives them to ``filename*`` and
    an ASCII fallback to ``filename`` ("Snäre 🥁" was "Sn%C3%A4re___" in both). Leading dots go: an upload named
    ".wav" or ".." gave ".wav_pitched.mid" and ".._pitched.mid", which a Mac or Linux saves as a hidden file."""
    kept = "".join("_" if c in '/\\"<>:|?*' or ord(c) < 32 or ord(c) == 127 else c for c in text).strip()
    return kept.lstrip(". ")[:limit]


def attachment(filename: str) -> str:
    """``attachment; filename="..."`` for ``filename``, with RFC 6266's ``filename*`` carrying the
    UTF-8 name when the ASCII one had to change it (browsers and ``curl -J`` prefer it)."""
    fallback = ascii_filename(filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
