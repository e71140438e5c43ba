"""The engine's capabilities as MCP tools, each one call of its REST API.

A tool builds the request the REST endpoint documents and sends it through an ``httpx.AsyncClient``:
to the engine's own app in process (``httpx.ASGITransport``) or to a running engine over HTTP. So a
tool call passes the same route, validation and errors as the endpoint and answers what the
endpoint answers for the same parameters: its JSON is the tool's structured content (after a
one-line summary for the model to read), and an error body (``{"error", "detail", ...}`` with a 4xx
or 5xx) is a tool error carrying that body and status. Parameters carry the descriptions and numeric
bounds of the endpoints' parameter models (api/schemas/) so that the tool schemas say what /docs
says; the bounds are advertised, and enforced by the endpoint alone, with its wording.

Local files (audio to analyse, stems, a MIDI primer) are named by path: the tool reads them and
uploads them as the endpoint's multipart fields; a missing or unreadable path is a tool error.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import json
import logging
import mimetypes
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import annotated_types
import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata, func_metadata
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from ai.generation.drum_patterns import DRUM_STYLES
from api.base64_text import decode_base64_text
from api.generation_input import PART_ALIASES
from api.local_client import form_fields, json_values
from api.missing_upload import detail_for
from api.params import invalid_from_validation, unknown_parameter
from api.schemas import (
    AccompanimentParams,
    AccompanimentResponse,
    AnalysisResponse,
    AutoLevelResponse,
    CommandParams,
    CommandResponse,
    GenerationParams,
    GenerationResponse,
    MixingParams,
    MixingResponse,
    ProjectAnalysisResponse,
    ProjectParams,
    TranscriptionParams,
    TranscriptionResponse,
    TransportResponse,
)
from utils.errors import InvalidParameter

SERVER_NAME = "dawg-ai"
INSTRUCTIONS = (
    "The DAWG AI Engine: audio analysis (tempo, key, chords, loudness), MIDI generation (drums, bass lines, "
    "melodies; pass a seed to get the same clip again), mixing advice and levels from stems, DAWG-CORE project "
    "analysis and transport, and plain-text commands. Files are local paths on the machine that runs this "
    "server; generated MIDI comes back as base64 (midi_base64) and can be sent to DAWG-CORE with send_to_core."
)


UPLOAD_ARGUMENTS: dict[str, tuple[str, str]] = {
    "file": ("audio_path", "give the recording's local path as audio_path"),
    "audio": ("audio_path", "give the recording's local path as audio_path"),
    "primer": ("primer_path", "give the MIDI clip's local path as primer_path (or primer, base64)"),
    "files": ("stems", "give the stems' local paths as stems"),
    "master": ("master_path", "give the finished mix's local path as master_path"),
    "reference": ("reference_path", "give the reference track's local path as reference_path"),
}
"""A missing upload, or one the command does not read (api.missing_upload), in the words of these tools: the
argument that sends it, never the multipart field ('files', 'audio') an MCP client does not send."""


_WRITTEN: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("mcp_tool_arguments", default=None)
"""The arguments of the tool call being run, as the caller wrote them (set by :meth:`EngineMCPServer.call_tool`)."""


def as_written(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each float that the caller wrote as a whole number sent as that number: a tool's float
    parameter turned a tempo of 999 into 999.0, and the endpoint's refusal said "(got 999.0)" where REST, sent
    999, says "(got 999)"."""
    written = _WRITTEN.get() or {}
    sent = dict(values)
    for name, value in values.items():
        raw = written.get(name)
        if isinstance(value, float) and isinstance(raw, int) and not isinstance(raw, bool) and raw == value:
            sent[name] = raw
    return sent


class ToolRefusal(ToolError):
    """A tool's own refusal (an argument it cannot use, an engine it cannot reach), answered in the shape of the
    engine's errors: ``{"error", "detail", "status"}`` and the text "error (HTTP status): detail", as an
    endpoint's refusal reaches the client (:meth:`EngineMCPServer.call_tool`); a plain ToolError read
    "Error executing tool ...: ..." with no code and no structured content."""

    def __init__(self, detail: str, *, error: str = InvalidParameter.code, status: int = InvalidParameter.status_code):
        super().__init__(detail)
        self.error = error
        self.detail = detail
        self.status = status


def refused(argument: str, reason: str) -> ToolRefusal:
    """invalid_parameter for the tool argument ``argument``, worded as an endpoint's 422: "argument: reason"."""
    return ToolRefusal(f"{argument}: {reason}")


@dataclass(frozen=True)
class Upload:
    """One multipart file: the endpoint's field name, the file name it sees, the bytes or a path, and the tool
    argument it came from (what an error names)."""

    field: str
    filename: str
    source: bytes | Path
    argument: str


class EngineCaller:
    """POSTs tool calls to the engine's REST API through a client opened for the server's lifetime."""

    def __init__(self, make_client: Callable[[], httpx.AsyncClient]) -> None:
        self._make_client = make_client
        self._client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        client = self._make_client()
        self._client = client
        try:
            yield
        finally:
            self._client = None
            await client.aclose()

    async def post(
        self,
        path: str,
        values: dict[str, Any],
        uploads: Sequence[Upload] = (),
        *,
        summarise: Callable[[dict[str, Any]], str],
    ) -> CallToolResult:
        """POST ``values`` (a JSON body, or form fields beside ``uploads`` in a multipart body) to ``path``."""
        client = self._client
        if client is None:
            raise ToolRefusal(
                "the engine is not running (the MCP server is starting or shutting down)",
                error="engine_unavailable",
                status=503,
            )
        values = as_written({name: value for name, value in values.items() if value is not None})
        with ExitStack() as opened:
            files = [(upload.field, _multipart_file(upload, opened)) for upload in uploads]
            try:
                if files:
                    response = await client.post(path, data=form_fields(values), files=files)
                else:
                    response = await client.post(path, json=json_values(values))
            except httpx.HTTPError as exc:
                raise ToolRefusal(
                    f"the engine at {client.base_url} did not answer POST {path}: {exc!r}",
                    error="engine_unreachable",
                    status=503,
                ) from exc
        return _tool_result(response, summarise)


def _multipart_file(upload: Upload, opened: ExitStack) -> tuple[str, bytes | IO[bytes], str]:
    """(file name, content, type) as httpx sends a file; a path is opened here (and streamed), closed by ``opened``."""
    content_type = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    if isinstance(upload.source, bytes):
        return upload.filename, upload.source, content_type
    try:
        return upload.filename, opened.enter_context(upload.source.open("rb")), content_type
    except OSError as exc:
        raise refused(upload.argument, f"cannot read '{upload.source}' ({exc.strerror or exc})") from exc


def _error_result(body: dict[str, Any], status: int) -> CallToolResult:
    """A tool error carrying an engine error body (``{"error", "detail", ...}``) and its HTTP status."""
    text = f"{body.get('error', 'error')} (HTTP {status}): {body['detail']}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content={**body, "status": status}, is_error=True
    )


def _tool_result(response: httpx.Response, summarise: Callable[[dict[str, Any]], str]) -> CallToolResult:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_error:
        if isinstance(body, dict) and "detail" in body:
            detail = detail_for(body, UPLOAD_ARGUMENTS) or body["detail"]  # our argument, not the multipart field
            return _error_result({**body, "detail": detail}, response.status_code)
        else:
            text = f"HTTP {response.status_code}: {response.text[:500]}"
            error = {
                "error": f"http_{response.status_code}",
                "detail": response.text[:500],
                "status": response.status_code,
            }
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=error, is_error=True)
    if not isinstance(body, dict):
        raise ToolRefusal(
            f"the engine answered {response.request.url.path} with something other than a JSON object",
            error="engine_bad_response",
            status=502,
        )
    return CallToolResult(
        content=[TextContent(type="text", text=summarise(body)), TextContent(type="text", text=json.dumps(body))],
        structured_content=body,
    )


# ---------------------------------------------------------------- parameters


def described(model: type[BaseModel], name: str, note: str = "") -> Any:
    """The Field of a tool parameter that is the REST parameter ``name`` of ``model``: its description
    (plus ``note``) and its numeric bounds, shown in the JSON schema; the endpoint validates them."""
    info = model.model_fields[name]
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["minimum"] = item.ge
        elif isinstance(item, annotated_types.Le):
            bounds["maximum"] = item.le
        elif isinstance(item, annotated_types.Gt):
            bounds["exclusiveMinimum"] = item.gt
        elif isinstance(item, annotated_types.Lt):
            bounds["exclusiveMaximum"] = item.lt
    description = " ".join(part for part in (info.description, note) if part)
    return Field(description=description, json_schema_extra=bounds or None)


G = GenerationParams
M = MixingParams
T = TranscriptionParams
A = AccompanimentParams
Style = Annotated[str | None, described(G, "genre", f"One of: {', '.join(DRUM_STYLES)} (or an alias such as funky).")]
Key = Annotated[str | None, described(G, "key")]
Scale = Annotated[str | None, described(G, "scale")]
Chords = Annotated[str | list[str] | None, described(G, "chords")]
Tempo = Annotated[float | None, described(G, "tempo")]
Bars = Annotated[int, described(G, "bars")]
Meter = Annotated[str | None, described(G, "time_signature")]
Temperature = Annotated[float, described(G, "temperature")]
Seed = Annotated[int | None, described(G, "seed")]
Variations = Annotated[int, described(G, "variations")]
Density = Annotated[float, described(G, "density")]
Swing = Annotated[float, described(G, "swing")]
Humanize = Annotated[float, described(G, "humanize")]
Microtiming = Annotated[float, described(G, "microtiming")]
Chromatic = Annotated[bool, described(G, "chromatic")]
Model = Annotated[str | None, described(G, "model")]
Primer = Annotated[str | None, described(G, "primer", "Or give primer_path.")]
PrimerPath = Annotated[str | None, Field(description="A local MIDI file to continue (instead of primer).")]
IncludePrimer = Annotated[bool | None, described(G, "include_primer")]
SendToCore = Annotated[bool, described(G, "send_to_core")]
Stems = Annotated[
    list[str] | None,
    Field(
        description="Local audio files, one per track; the track name is the file name without extension "
        f"({SUPPORTED_FORMATS_TEXT}). Or give project_id."
    ),
]
MixProject = Annotated[str | None, described(M, "project_id")]
MixTarget = Annotated[str | float | None, described(M, "target")]  # -14 as a number too, as assistants send it
Roles = Annotated[str | dict[str, str] | None, described(M, "roles")]
MixTempo = Annotated[float | None, described(M, "tempo")]


def _path(text: str, argument: str) -> Path:
    where = "give a path on the machine that runs this MCP server"
    try:
        path = Path(text).expanduser()
        found = path.is_file()
    except RuntimeError as exc:  # '~someone' whose home directory is unknown
        raise refused(argument, f"no file at {text[:200]!r} ({exc}; {where})") from exc
    except OSError as exc:  # a name longer than the file system takes (ENAMETOOLONG), a folder not searchable
        raise refused(argument, f"cannot look at {text[:200]!r} ({exc.strerror or exc}; {where})") from exc
    # The server's folder is wherever the assistant started it: say which folder a relative path was read from.
    if not path.is_absolute() and not text.startswith("~"):
        path = Path.cwd() / path
        where = f"a relative path is read from this MCP server's folder, {Path.cwd()}: {where}, best an absolute one"
    if not found:
        raise refused(argument, f"no file at '{path}' ({where})")
    return path


def _upload(field: str, path_text: str, argument: str) -> Upload:
    """The local file ``path_text`` (the tool argument ``argument``) as the endpoint's upload ``field``."""
    path = _path(path_text, argument)
    return Upload(field, path.name, path, argument)


def _stem_uploads(stems: list[str] | None) -> list[Upload]:
    """The stems' uploads. An explicit empty list is a mistake, not "no stems said": it mixed the project whose
    stems were written last, which the caller had not asked for."""
    if stems is not None and not stems:
        raise refused(
            "stems",
            "the list is empty: give the stems' local paths, one per track, or project_id for a project's stems "
            "(leave stems out for the project whose stems were written last)",
        )
    return [_upload("files", stem, "stems") for stem in stems or []]


def _primer_base64(primer: str | None, primer_path: str | None) -> str | None:
    if primer is not None and primer_path is not None:
        raise refused("primer_path", "give primer (base64) or primer_path, not both")
    if primer_path is None:
        return primer
    path = _path(primer_path, "primer_path")
    try:
        return base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError as exc:
        raise refused("primer_path", f"cannot read '{path}' ({exc.strerror or exc})") from exc


# ---------------------------------------------------------------- summaries (the text before the JSON)


def _number(value: Any, unit: str = "", digits: int = 1) -> str:
    return f"{value:.{digits}f}{unit}" if isinstance(value, int | float) else "?"


def _generation_summary(body: dict[str, Any]) -> str:
    style = f"{body.get('style')}" + (f" ({body['genre']})" if body.get("genre") else "")
    clips = len(body.get("variations") or [])
    in_key = f" in {body['key']} {body.get('scale')}" if body.get("key") else ""  # drums have none
    text = (
        f"{style}: {body.get('bars')} bars of {body.get('time_signature')} at {_number(body.get('tempo'), ' BPM')}"
        f"{in_key}, {len(body.get('notes') or [])} notes, model {body.get('model')}, "
        f"seed {body.get('seed')}"
    )
    if clips > 1:
        text += f", {clips} variations"
    if body.get("delivered") is not None:
        text += (
            ", sent to DAWG-CORE"
            if body["delivered"]
            else f", not delivered to DAWG-CORE ({body.get('delivery_reason')})"
        )
    return text + ". The MIDI file is midi_base64 (base64)."


def _tempo_words(body: dict[str, Any]) -> str:
    """ "tempo 120.0 BPM, 4/4", or what the analysis has none of (its notes say why): a "?" read as a value."""
    if not isinstance(body.get("tempo"), int | float):
        return "no tempo or meter"
    return f"tempo {_number(body.get('tempo'), ' BPM')}, {body.get('time_signature') or 'no meter'}"


def _analysis_summary(body: dict[str, Any]) -> str:
    loudness = body.get("loudness_lufs")
    return (
        f"{body.get('filename')}: {_number(body.get('duration'), ' s')}, {_tempo_words(body)}, "
        f"{'key ' + body['key'] if body.get('key') else 'no key'}, "
        f"{_number(loudness, ' LUFS') + ' integrated' if isinstance(loudness, int | float) else 'no loudness'}, "
        f"{len(body.get('chords') or [])} chord spans" + ("; notes say why" if body.get("notes") else "") + "."
    )


def _transcription_summary(body: dict[str, Any]) -> str:
    return (
        f"{len(body.get('notes') or [])} {body.get('instrument', '')} notes by {body.get('model')}, "
        f"{_tempo_words(body)}; the .mid is midi_base64."
        + (f" {body['instrument_note']}." if body.get("instrument_note") else "")
        + (f" {body['notes_note']}." if body.get("notes_note") else "")
    )


def _accompaniment_summary(body: dict[str, Any]) -> str:
    return f"{', '.join(body.get('parts') or [])} for the recording (seed {body.get('seed')}); the .mid is midi_base64."


def _mixing_summary(body: dict[str, Any]) -> str:
    if body.get("status") == "no_audio":
        return str(body.get("message"))
    suggestions = body.get("suggestions") or []
    note = str(body.get("message") or "")  # which project the engine took, when none was named
    chosen = f" {note[:1].upper()}{note[1:]}." if note else ""
    return (
        f"Mix quality {_number(body.get('mix_quality_score'), '/100', 0)}: {body.get('quality_summary') or ''} "
        f"({len(suggestions)} suggestions).{chosen}"
    )


def _levels_summary(body: dict[str, Any]) -> str:
    if body.get("status") == "no_audio":
        return str(body.get("message"))
    levels = body.get("levels") or {}
    moves = ", ".join(
        f"{name} {_number(level.get('gain_db'), ' dB')} pan {_number(level.get('pan'), '', 2)}"
        for name, level in levels.items()
        if isinstance(level, dict)
    )
    return f"Levels for {len(levels)} tracks: {moves}."


def _project_summary(body: dict[str, Any]) -> str:
    tracks = body.get("tracks") or []
    stems = sum(1 for track in tracks if isinstance(track, dict) and track.get("stem"))
    core = "connected" if (body.get("core") or {}).get("connected") else "not connected"
    return (
        f"Project {body.get('name')} ({body.get('project_id')}): {len(tracks)} tracks, {stems} rendered stems, "
        f"{len(body.get('findings') or [])} findings, {len(body.get('suggestions') or [])} suggestions; "
        f"DAWG-CORE {core}."
    )


def _command_summary(body: dict[str, Any]) -> str:
    return str(body.get("speech") or f"{body.get('action')}: {body.get('status')}.")


def _transport_summary(body: dict[str, Any]) -> str:
    return f"DAWG-CORE {body.get('action')}: {body.get('status')}."


# ---------------------------------------------------------------- the tools


class EngineMCPServer(MCPServer[Any]):
    """An MCPServer whose tools refuse bad and unknown arguments in the engine's words.

    The SDK validates a tool's arguments with a pydantic model of its signature: a wrong type came back as
    pydantic's own text with a link to errors.pydantic.dev, and an argument the tool does not take
    ("bogus", "primer_base64") was dropped without a word. Here each call's arguments are checked first,
    with the SDK's own validation of the tool's signature (the same model, the same coercions), plus a
    check for names the tool does not take; a problem answers the tool error an endpoint's 422 would
    (``invalid_parameter``, "name: reason", as api.params words it), and nothing is sent to the engine.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._arguments: dict[str, FuncMetadata] = {}
        super().__init__(*args, **kwargs)

    def add_tool(self, fn: Callable[..., Any], name: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().add_tool(fn, name, *args, **kwargs)
        self._arguments[name or fn.__name__] = func_metadata(fn)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        metadata = self._arguments.get(name)
        if metadata is not None:
            wrong = argument_error(metadata, arguments)
            if wrong is not None:
                return _error_result({"error": wrong.code, "detail": wrong.detail}, wrong.status_code)
        written = _WRITTEN.set(dict(arguments))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:  # the SDK wraps what a tool raised: a tool's own refusal reads as the engine's
            refusal = exc.__cause__
            if isinstance(refusal, ToolRefusal):
                return _error_result({"error": refusal.error, "detail": refusal.detail}, refusal.status)
            raise
        finally:
            _WRITTEN.reset(written)


def argument_error(metadata: FuncMetadata, arguments: dict[str, Any]) -> InvalidParameter | None:
    """What is wrong with ``arguments`` for the tool of ``metadata`` (an argument it does not take, or the
    first that fails its type or bounds), in the words of an endpoint's 422; None when they are right."""
    fields = metadata.arg_model.model_fields
    known = [info.alias or field for field, info in fields.items()]
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        return unknown_parameter(unknown[0], known)
    try:
        metadata.validate_arguments(arguments)
    except ValidationError as exc:
        return invalid_from_validation(exc, metadata.arg_model)
    return None


def build_mcp_server(
    caller: EngineCaller,
    *,
    version: str,
    lifespan: Callable[[MCPServer[Any]], AbstractAsyncContextManager[Any]] | None = None,
) -> MCPServer[Any]:
    """The MCP server with every tool, calling the engine through ``caller`` (opened by whoever serves it)."""
    # MCPServer() calls logging.basicConfig (a rich handler on the root logger) unless the root logger has a
    # handler already: logging is the engine's to set up (main.py, uvicorn, the stdio entry point), so a
    # placeholder handler stands there while the server is built.
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        server: MCPServer[Any] = EngineMCPServer(
            SERVER_NAME,
            title="DAWG AI Engine",
            version=version,
            instructions=INSTRUCTIONS,
            lifespan=lifespan,
        )
    finally:
        root.removeHandler(placeholder)
    reads = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    makes = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)

    async def generate(path: str, arguments: dict[str, Any]) -> CallToolResult:
        # The tool's own arguments (locals() also holds the closure's names), as the endpoint's JSON body.
        values = {name: value for name, value in arguments.items() if name in GenerationParams.model_fields}
        values["primer"] = _primer_base64(values.get("primer"), arguments.get("primer_path"))
        return await caller.post(path, values, summarise=_generation_summary)

    @server.tool(title="Generate drums", annotations=makes)
    async def generate_drums(
        style: Style = None,
        tempo: Tempo = None,
        bars: Bars = 4,
        time_signature: Meter = None,
        temperature: Temperature = 1.0,
        seed: Seed = None,
        variations: Variations = 1,
        density: Density = 0.5,
        swing: Swing = 0.0,
        humanize: Humanize = 0.0,
        microtiming: Microtiming = 0.0,
        model: Model = None,
        primer: Primer = None,
        primer_path: PrimerPath = None,
        include_primer: IncludePrimer = None,
        send_to_core: SendToCore = False,
    ) -> Annotated[CallToolResult, GenerationResponse]:
        """A drum groove as MIDI (POST /api/v1/generate/midi with style = the drum style): notes, a base64
        .mid file, the seed used (send it back for the same clip) and every parameter used."""
        if style is not None and PART_ALIASES.get(style.strip().lower(), "drums") != "drums":
            raise refused("style", f"'{style}' is another part; use generate_bassline or generate_melody")
        return await generate("/api/v1/generate/midi", dict(locals()))

    @server.tool(title="Generate a bass line", annotations=makes)
    async def generate_bassline(
        key: Key = None,
        scale: Scale = None,
        chords: Chords = None,
        style: Style = None,
        tempo: Tempo = None,
        bars: Bars = 4,
        time_signature: Meter = None,
        temperature: Temperature = 1.0,
        seed: Seed = None,
        variations: Variations = 1,
        density: Density = 0.5,
        swing: Swing = 0.0,
        humanize: Humanize = 0.0,
        chromatic: Chromatic = False,
        model: Model = None,
        primer: Primer = None,
        primer_path: PrimerPath = None,
        include_primer: IncludePrimer = None,
        send_to_core: SendToCore = False,
    ) -> Annotated[CallToolResult, GenerationResponse]:
        """A bass line that follows the chords, as MIDI (POST /api/v1/generate/bassline): notes, a base64 .mid
        file, the seed used (send it back for the same clip) and every parameter used."""
        return await generate("/api/v1/generate/bassline", dict(locals()))

    @server.tool(title="Generate a melody", annotations=makes)
    async def generate_melody(
        key: Key = None,
        scale: Scale = None,
        chords: Chords = None,
        style: Style = None,
        tempo: Tempo = None,
        bars: Bars = 4,
        time_signature: Meter = None,
        temperature: Temperature = 1.0,
        seed: Seed = None,
        variations: Variations = 1,
        density: Density = 0.5,
        swing: Swing = 0.0,
        humanize: Humanize = 0.0,
        chromatic: Chromatic = False,
        model: Model = None,
        primer: Primer = None,
        primer_path: PrimerPath = None,
        include_primer: IncludePrimer = None,
        send_to_core: SendToCore = False,
    ) -> Annotated[CallToolResult, GenerationResponse]:
        """A melody in the key over the chords, as MIDI (POST /api/v1/generate/melody): notes, a base64 .mid
        file, the seed used (send it back for the same clip) and every parameter used."""
        return await generate("/api/v1/generate/melody", dict(locals()))

    @server.tool(title="Analyse audio", annotations=reads)
    async def analyze_audio(
        path: Annotated[str | None, Field(description=f"A local audio file ({SUPPORTED_FORMATS_TEXT}).")] = None,
        audio_base64: Annotated[
            str | None, Field(description="The audio file itself, base64-encoded (instead of path); small files.")
        ] = None,
        filename: Annotated[
            str | None, Field(description="With audio_base64: the file's name (its extension helps the decoder).")
        ] = None,
    ) -> Annotated[CallToolResult, AnalysisResponse]:
        """Tempo, beats, downbeats, meter, key, chords, tuning, loudness (integrated LUFS, true peak, range) and
        spectral features of an audio file (POST /api/v1/analyze/audio). Unmeasurable values are null."""
        if (path is None) == (audio_base64 is None):
            raise refused("path", "give path (a local audio file) or audio_base64 (with filename), one of the two")
        if path is not None:
            upload = _upload("file", path, "path")
        else:
            assert audio_base64 is not None
            try:
                data = decode_base64_text(audio_base64)
            except (binascii.Error, ValueError) as exc:
                raise refused("audio_base64", "not valid base64") from exc
            upload = Upload("file", filename or "audio", data, "audio_base64")
        return await caller.post("/api/v1/analyze/audio", {}, [upload], summarise=_analysis_summary)

    @server.tool(title="Transcribe audio to MIDI", annotations=reads)
    async def transcribe(
        path: Annotated[str, Field(description=f"A local audio file ({SUPPORTED_FORMATS_TEXT}).")],
        instrument: Annotated[Literal["pitched", "melody", "drums", "auto"], described(T, "instrument")] = "pitched",
        quantize: Annotated[str | None, described(T, "quantize")] = None,
        note_decoding: Annotated[Literal["onset-peaks", "basic-pitch"], described(T, "note_decoding")] = T.model_fields[
            "note_decoding"
        ].default,
        onset_threshold: Annotated[float, described(T, "onset_threshold")] = T.model_fields["onset_threshold"].default,
        frame_threshold: Annotated[float, described(T, "frame_threshold")] = T.model_fields["frame_threshold"].default,
        minimum_note_length_ms: Annotated[float, described(T, "minimum_note_length_ms")] = T.model_fields[
            "minimum_note_length_ms"
        ].default,
        minimum_frequency: Annotated[float | None, described(T, "minimum_frequency")] = None,
        maximum_frequency: Annotated[float | None, described(T, "maximum_frequency")] = None,
        pitch_bends: Annotated[bool, described(T, "pitch_bends")] = True,
    ) -> Annotated[CallToolResult, TranscriptionResponse]:
        """Notes of a recording as MIDI (POST /api/v1/transcribe): pitched notes with velocities and pitch bends,
        or drum hits as GM drum notes, on the recording's own beat grid (a tempo at every beat)."""
        values = {name: value for name, value in locals().items() if name in T.model_fields}
        return await caller.post(
            "/api/v1/transcribe", values, [_upload("file", path, "path")], summarise=_transcription_summary
        )

    @server.tool(title="Accompany a recording", annotations=makes)
    async def accompany(
        path: Annotated[str, Field(description=f"A local audio file ({SUPPORTED_FORMATS_TEXT}).")],
        parts: Annotated[str | list[str], described(A, "parts")] = A.model_fields["parts"].default,
        style: Annotated[str | None, described(A, "style")] = None,
        seed: Annotated[int | None, described(A, "seed")] = None,
        temperature: Annotated[float, described(A, "temperature")] = 1.0,
        density: Annotated[float, described(A, "density")] = 0.5,
        model: Annotated[str | None, described(A, "model")] = None,
        key: Annotated[str | None, described(A, "key")] = None,
        chords: Annotated[str | None, described(A, "chords")] = None,
        harmony: Annotated[Literal["auto", "recording", "melody"], described(A, "harmony")] = "auto",
        swing: Annotated[float, described(A, "swing")] = 0.0,
        humanize: Annotated[float, described(A, "humanize")] = 0.0,
        microtiming: Annotated[float, described(A, "microtiming")] = 0.0,
    ) -> Annotated[CallToolResult, AccompanimentResponse]:
        """Drums, bass (and a pad) that follow a recording's own beats, meter, key and chords, as one MIDI file
        whose tempo map lines up with the audio (POST /api/v1/generate/accompaniment)."""
        # Every REST parameter but format (a tool answers JSON, whose midi_base64 is the .mid file) and the preview
        # (megabytes of base64 audio: 3.4 MB for 31 s, text an assistant's context cannot take).
        values = {name: value for name, value in locals().items() if name in A.model_fields}
        if isinstance(parts, list):  # ["drums", "bass"], as generate_bassline takes its chords
            values["parts"] = ",".join(parts)
        return await caller.post(
            "/api/v1/generate/accompaniment", values, [_upload("file", path, "path")], summarise=_accompaniment_summary
        )

    async def mix(
        path: str,
        stems: list[str] | None,
        values: dict[str, Any],
        extra: Sequence[tuple[str, str | None]] = (),
        *,
        summarise: Callable[[dict[str, Any]], str],
    ) -> CallToolResult:
        uploads = _stem_uploads(stems)
        uploads += [_upload(field, text, f"{field}_path") for field, text in extra if text is not None]
        return await caller.post(path, values, uploads, summarise=summarise)

    @server.tool(title="Mixing advice", annotations=reads)
    async def mixing_suggest(
        stems: Stems = None,
        project_id: MixProject = None,
        target: MixTarget = None,
        roles: Roles = None,
        tempo: MixTempo = None,
        master_path: Annotated[str | None, Field(description="A local finished mix, for mastering advice.")] = None,
        reference_path: Annotated[
            str | None, Field(description="A local reference track to compare the mix with.")
        ] = None,
    ) -> Annotated[CallToolResult, MixingResponse]:
        """Mixing (or, with master_path alone, mastering) advice with concrete moves and numbers, from the tracks'
        audio (POST /api/v1/mixing/suggest): levels, masking, low end, tone, dynamics, space, a quality score."""
        values = {"project_id": project_id, "target": target, "roles": roles, "tempo": tempo}
        extra = [("master", master_path), ("reference", reference_path)]
        return await mix("/api/v1/mixing/suggest", stems, values, extra, summarise=_mixing_summary)

    @server.tool(title="Automatic levels", annotations=reads)
    async def auto_level(
        stems: Stems = None,
        project_id: MixProject = None,
        target: MixTarget = None,
        roles: Roles = None,
        tempo: MixTempo = None,
    ) -> Annotated[CallToolResult, AutoLevelResponse]:
        """Gain (dB) and pan per track for a balance by role with headroom (POST /api/v1/mixing/auto_level)."""
        values = {"project_id": project_id, "target": target, "roles": roles, "tempo": tempo}
        return await mix("/api/v1/mixing/auto_level", stems, values, summarise=_levels_summary)

    @server.tool(title="Analyse a DAWG-CORE project", annotations=reads)
    async def analyze_project(
        project_id: Annotated[str | None, described(ProjectParams, "project_id")] = None,
        target: Annotated[str | None, described(ProjectParams, "target")] = None,
        roles: Annotated[str | dict[str, str] | None, described(ProjectParams, "roles")] = None,
    ) -> Annotated[CallToolResult, ProjectAnalysisResponse]:
        """A DAWG-CORE project's manifest, track roles, rendered stems (measured), live core status and findings
        (POST /api/v1/analyze/project). Stems live in <projects dir>/<project_id>/stems/<track name>.wav."""
        values = {"project_id": project_id, "target": target, "roles": roles}
        return await caller.post("/api/v1/analyze/project", values, summarise=_project_summary)

    @server.tool(title="Text command", annotations=makes)
    async def command(
        text: Annotated[str, described(CommandParams, "text")],
        audio_path: Annotated[
            str | None, Field(description="A local recording that a question is about ('what key is this').")
        ] = None,
        stems: Annotated[list[str] | None, Field(description="Local stems for mixing commands, one per track.")] = None,
        master_path: Annotated[
            str | None, Field(description="A local finished mix, for mastering commands ('master it louder').")
        ] = None,
        reference_path: Annotated[
            str | None, Field(description="A local reference track for mixing commands ('mix it like this').")
        ] = None,
        project_id: Annotated[str | None, described(CommandParams, "project_id")] = None,
        seed: Annotated[int | None, described(CommandParams, "seed")] = None,
        model: Annotated[str | None, described(CommandParams, "model")] = None,
        send_to_core: Annotated[
            bool | None, described(CommandParams, "send_to_core", "Left out: as the text says ('send it to the DAW').")
        ] = None,
        primer: Annotated[str | None, described(CommandParams, "primer", "Or give primer_path.")] = None,
        primer_path: PrimerPath = None,
        dry_run: Annotated[bool, described(CommandParams, "dry_run")] = False,
    ) -> Annotated[CallToolResult, CommandResponse]:
        """Run what a person said or typed ('a funky bassline in D minor, 8 bars at 96', 'what key is this',
        'balance my levels', 'play') through POST /api/v1/command: the action, the parameters understood, a
        sentence to say and the action's own result. A text it does not understand is an error that lists the
        closest commands."""
        # An empty list here is "no stems" (assistants fill optional lists with []): the text says what to read,
        # and a mixing text without stems takes the project it names or the latest one, and says which.
        uploads = _stem_uploads(stems or None)
        if audio_path is not None:
            uploads.append(_upload("file", audio_path, "audio_path"))
        if master_path is not None:
            uploads.append(_upload("master", master_path, "master_path"))
        if reference_path is not None:
            uploads.append(_upload("reference", reference_path, "reference_path"))
        values = {
            "text": text,
            "project_id": project_id,
            "seed": seed,
            "model": model,
            "send_to_core": send_to_core,
            "primer": primer,
            "dry_run": dry_run,
        }
        if primer_path is not None:
            if primer is not None:
                raise refused("primer_path", "give primer (base64) or primer_path, not both")
            uploads.append(_upload("primer", primer_path, "primer_path"))
        return await caller.post("/api/v1/command", values, uploads, summarise=_command_summary)

    @server.tool(title="DAWG-CORE transport", annotations=makes)
    async def transport(
        action: Annotated[
            str,
            # The schema lists the two choices; the tool reads them in any case ("Stop"), as the REST routes do.
            Field(description="play: start playback; stop: stop it.", json_schema_extra={"enum": ["play", "stop"]}),
        ],
    ) -> Annotated[CallToolResult, TransportResponse]:
        """Start or stop DAWG-CORE's playback (POST /api/v1/core/transport/{action}); answers DAWG-CORE's own
        status. An error when DAWG-CORE is not running."""
        said = action.strip().lower()  # "Stop", as the REST routes read their choices
        if said not in ("play", "stop"):
            raise refused("action", f"'{action[:40]}' is not play or stop")
        return await caller.post(f"/api/v1/core/transport/{said}", {}, summarise=_transport_summary)

    return server
