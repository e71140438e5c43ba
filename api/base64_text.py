"""Base64 text as callers send it: ``base64 idea.mid`` and Python's ``base64.encodebytes`` wrap lines at 76
characters (RFC 2045), and a browser's FileReader gives a data URL (``data:audio/midi;base64,...``). Both were
refused as "not valid base64"; anything else that is not base64 still is."""

from __future__ import annotations

import base64
import re

_DATA_URL = re.compile(r"data:[^,;]*(?:;[^,;]*)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(rb"[ \t\r\n]+")


def decode_base64_text(text: str) -> bytes:
    """The bytes of ``text``: strict base64 once a data URL's header and line breaks (or other spaces) are
    taken out. binascii.Error (a ValueError) for anything else."""
    header = _DATA_URL.match(text.lstrip())
    body = text.lstrip()[header.end() :] if header else text
    return base64.b64decode(_WHITESPACE.sub(b"", body.encode("ascii")), validate=True)
