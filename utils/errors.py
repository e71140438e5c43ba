"""One error model for the whole engine.

Every error a caller can cause or meet is an :class:`EngineError` with an HTTP status and a
machine-readable code; the API renders it as ``{"error": code, "detail": message}``. Library
exceptions are converted where they happen (``raise ... from exc``).
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    status_code = 500
    code = "engine_error"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        """Fields the error body carries beside error and detail (what a command was understood as)."""


class InvalidParameter(EngineError):
    """A parameter is missing, out of range or not understood."""

    status_code = 422
    code = "invalid_parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter


class UnsupportedMediaType(EngineError):
    """The upload is not a kind of file the engine reads (not audio, not MIDI)."""

    status_code = 415
    code = "unsupported_media_type"


class UndecodableAudio(EngineError):
    """The upload looks like audio but cannot be decoded (truncated, corrupt, empty, NaN)."""

    status_code = 422
    code = "undecodable_audio"


class PayloadTooLarge(EngineError):
    status_code = 413
    code = "payload_too_large"


MB = 1024 * 1024  # the settings' megabyte (DAWG_AI_MAX_UPLOAD_MB, DAWG_AI_MAX_REQUEST_MB)


def file_too_large(
    name: str, max_upload_bytes: int, why: str = "per file (setting DAWG_AI_MAX_UPLOAD_MB)"
) -> PayloadTooLarge:
    """One file over the per-file limit: an upload, or a local file the command line analyses in process."""
    return PayloadTooLarge(f"{name}: larger than the limit of {max_upload_bytes / MB:g} MB {why}")


class ScratchSpaceUnavailable(EngineError):
    """The engine cannot write its temporary files (uploads on their way to the decoder, decoded stems, a
    rendered mix): the disk is full, the folder cannot be made or is read-only. The machine's trouble, not
    the request's: 507 Insufficient Storage, saying which folder and why (utils/scratch.py)."""

    status_code = 507
    code = "scratch_space_unavailable"


class NotFound(EngineError):
    status_code = 404
    code = "not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"

    def __init__(self, detail: str, *, said: str | None = None, known: list[str] | None = None) -> None:
        super().__init__(detail)
        self.said = said
        """The name a person said, when the project was looked up by it (a text command)."""
        self.known = known or []
        """The names of the projects there are, for a voice to offer instead."""


class InvalidProjectId(EngineError):
    """A project id that is empty or tries to leave the projects directory."""

    status_code = 400
    code = "invalid_project_id"


class NoAudioFound(EngineError):
    """A request that needs audio (stems, a mix) found none."""

    status_code = 422
    code = "no_audio"


class ModelUnavailable(EngineError):
    """A generation model that was asked for by name is not loaded."""

    status_code = 503
    code = "model_unavailable"


class CoreError(EngineError):
    """Base of DAWG-CORE failures."""

    status_code = 503
    code = "core_error"


class CoreUnreachable(CoreError):
    """DAWG-CORE is not running, refused the connection or timed out."""

    status_code = 503
    code = "core_unreachable"


class CoreBadResponse(CoreError):
    """DAWG-CORE answered, but with an error body or something that is not the contract."""

    status_code = 502
    code = "core_bad_response"


class RendererUnavailable(EngineError):
    """The audio renderer (the FluidSynth program or its soundfont) is missing or failed."""

    status_code = 503
    code = "renderer_unavailable"


class CommandNotUnderstood(EngineError):
    """A text command the parser cannot map to one action (unknown or ambiguous)."""

    status_code = 422
    code = "command_not_understood"


class CommandNotAvailable(EngineError):
    """A command that was understood but that no party (engine or DAWG-CORE) carries out yet."""

    status_code = 501
    code = "command_not_available"
