"""Base64 text as callers send it: ``base64 idea.mid`` and Python's ``base64.encodebytes`` wrap lines at 76
characters (RFC 2045), a browser's FileReader gives a data URL (``data:audio/midi;base64,...``), and a form body
sent without percent-encoding (``curl -d primer=$(base64 -w0 idea.mid)``) turns every '+' into a space. All were
refused as "not valid base64"; anything else that is not base64 still is."""

from __future__ import annotations

import base64
import re

_DATA_URL = re.compile(r"data:[^,;]*(?:;[^,;]*)*;base64,", re.IGNORECASE)
_LINE_BREAKS = re.compile(rb"[\t\r\n]+")


def decode_base64_text(text: str) -> bytes:
    """The bytes of ``text``: strict base64 once a data URL's header and the line breaks are taken out and
    spaces read as the '+' a form body turned into them (base64 has no spaces). binascii.Error (a ValueError)
    for anything else."""
    text = text.strip("\t\r\n")  # not spaces: at either end they are '+'
    header = _DATA_URL.match(text)
    body = text[header.end() :] if header else text
    return base64.b64decode(_LINE_BREAKS.sub(b"", body.encode("ascii")).replace(b" ", b"+"), validate=True)
