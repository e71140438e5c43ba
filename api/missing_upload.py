"""A command that needs a file nobody sent, or got a file its action does not read, said in the words of the
surface that called it.

The HTTP answer names the multipart field ("upload it as the multipart field 'file'"), but the MCP
tool takes ``audio_path`` and the command line ``--file``. So the error body carries the upload's
field and what it is for (``"upload": "file", "purpose": "to answer about a recording"``), or the fields the
action reads (``"upload": "files", "reads": ["file", "audio"]``), and each surface words the detail with its own
mapping from field names to its arguments (:func:`detail_for`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from utils.errors import InvalidParameter

HTTP_UPLOADS: dict[str, str] = {
    "file": "upload it as the multipart field 'file'",
    "primer": "upload it as the multipart field 'primer'",
}
"""How an HTTP caller sends each upload a command may need."""


def missing_upload(field: str, purpose: str) -> InvalidParameter:
    """422 invalid_parameter for the upload ``field``; ``purpose`` says why ("to continue a clip")."""
    error = InvalidParameter(field, f"{purpose}, {HTTP_UPLOADS[field]}")
    error.extra = {"upload": field, "purpose": purpose}
    return error


def unread_upload(field: str, action: str, reads: Sequence[str]) -> InvalidParameter:
    """422 invalid_parameter for the upload ``field`` that the understood ``action`` does not read (it reads the
    fields ``reads``): a file is never dropped without a word."""
    error = InvalidParameter(field[:80], _unread(action, reads))
    error.extra = {"action": action, "upload": field[:80], "reads": list(reads)}
    return error


def _unread(action: str, reads: Sequence[str]) -> str:
    return (
        f"the command was understood as '{action}', which does not read this file (it reads: "
        f"{_either(reads) or 'no file'}); leave the file out, or say what to do with it"
    )


def _either(names: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 2 else " or ".join(names)


def detail_for(body: Mapping[str, Any], arguments: Mapping[str, tuple[str, str]]) -> str | None:
    """The detail of a missing-upload or unread-upload error ``body`` in another surface's words, or None for any
    other error (and for a field the surface has no argument for).

    ``arguments`` maps an upload field to that surface's (argument name, how to give it):
    ``{"file": ("audio_path", "give the recording's local path as audio_path")}``."""
    field, purpose, reads = body.get("upload"), body.get("purpose"), body.get("reads")
    if not isinstance(field, str) or field not in arguments:
        return None
    name, how = arguments[field]
    if isinstance(purpose, str):
        return f"{name}: {purpose}, {how}"
    if isinstance(reads, list) and isinstance(body.get("action"), str):
        # The fields it reads as this surface's arguments, once each ('file or audio' is one argument here).
        said = list(dict.fromkeys(arguments[read][0] for read in reads if read in arguments))
        return f"{name}: {_unread(body['action'], said)}"
    return None
