"""A command that needs a file nobody sent, said in the words of the surface that called it.

The HTTP answer names the multipart field ("upload it as the multipart field 'file'"), but the MCP
tool takes ``audio_path`` and the command line ``--file``. So the error body carries the upload's
field and what it is for (``"upload": "file", "purpose": "to answer about a recording"``), and each
surface words the detail with its own mapping from field names to its arguments
(:func:`detail_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
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


def detail_for(body: Mapping[str, Any], arguments: Mapping[str, tuple[str, str]]) -> str | None:
    """The detail of a missing-upload error ``body`` in another surface's words, or None for any other error.

    ``arguments`` maps an upload field to that surface's (argument name, how to give it):
    ``{"file": ("audio_path", "give the recording's local path as audio_path")}``."""
    field, purpose = body.get("upload"), body.get("purpose")
    if not isinstance(field, str) or not isinstance(purpose, str) or field not in arguments:
        return None
    name, how = arguments[field]
    return f"{name}: {purpose}, {how}"
