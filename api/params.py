"""Parameters from the query string, a form body or a JSON body, with one meaning and one validation.

curl sends ``?key=C&bars=8``; DAWG-CORE's JUCE client (``ParameterHandling::inPostData``) moves
the same parameters into an ``application/x-www-form-urlencoded`` body; other clients send JSON.
:func:`read_params` merges them (the body wins over the query string) and validates them
against one pydantic model, so each route sees the same typed object whatever the caller sent.
Uploads (multipart) come back separately, by field name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request
from pydantic import BaseModel, ValidationError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile  # fastapi's UploadFile subclasses this one
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from api.schemas import ErrorBody
from utils.errors import MB, EngineError, InvalidParameter, PayloadTooLarge, file_too_large
from utils.scratch import scratch_space

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
logger = logging.getLogger(__name__)

COPY_CHUNK_BYTES = 1 << 20
"""Bytes copied per read when an upload is streamed to its temporary file (1 MiB)."""
FORM_OVERHEAD_BYTES = 64 * 1024
"""Room for multipart boundaries and form fields on top of the files' own bytes."""
JSON_ON_LOOP_BYTES = 64 * 1024  # bodies under this are parsed where they arrive (microseconds)
MAX_JSON_BYTES = 16 * 1024 * 1024
"""A JSON body is parameters (a base64 MIDI primer at most, 4 MB as MIDI): read up to this, declared
length or not (a chunked body of 315 MB was read whole before it was refused)."""
FORM_FIELD_BYTES = 1 << 20
"""Longest form field that is not a file (1 MiB, Starlette's default made explicit: a base64 primer in a
form holds 768 KB of MIDI; a larger one goes as the 'primer' file part); longer: 413 as soon as the parser
passes it, not after the whole field is read."""
TOO_MANY_DIGITS = "a number in the JSON has thousands of digits; no parameter is that long"
"""What a JSON integer longer than Python converts (4300 digits) is answered with, instead of a 500."""
NOT_UNICODE = (
    "holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape without its other half), which is not text; "
    "send the string as UTF-8 or escape both halves of the pair"
)
"""What a JSON string that decodes to a lone surrogate is answered with: valid JSON, but no text the engine
can read, encode or echo (it raised UnicodeEncodeError, a 500, wherever a message quoted it)."""
FORM_MAX_FIELDS = 64  # the largest parameter model has 21 fields: 64 fields of 1 MiB bound a form's text
FORM_MAX_FILES = 64


class UnsupportedBody(EngineError):
    status_code = 415
    code = "unsupported_media_type"


class Repeated(list[str]):
    """The values of a text field that came more than once in one query string or form (``-F parts=drums -F
    parts=bass``): a list for a field that takes one (``parts``, ``chords``), a 422 for any other
    (:func:`validate_params`); the last one silently won before."""


def repeated_refused(name: str, values: Repeated) -> InvalidParameter:
    """The 422 for a field that takes one value and came ``len(values)`` times."""
    return InvalidParameter(name, f"{len(values)} values came under this name; it takes one")


def text_values(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Text fields by name: a value, or :class:`Repeated` values where the name came more than once."""
    found: dict[str, Any] = {}
    for name, value in items:
        if name not in found:
            found[name] = value
        elif isinstance(found[name], Repeated):
            found[name].append(value)
        else:
            found[name] = Repeated([found[name], value])
    return found


@dataclass
class RequestInput:
    """Merged scalar parameters and uploaded files of one request."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[UploadFile]] = field(default_factory=dict)

    def file(self, name: str) -> UploadFile | None:
        found = self.files.get(name)
        return found[0] if found else None

    async def aclose(self) -> None:
        """Close every upload (python-multipart's spooled temporary files go with them)."""
        for uploads in self.files.values():
            for upload in uploads:
                await upload.close()


async def read_input(request: Request, *, max_upload_bytes: int, max_request_bytes: int | None = None) -> RequestInput:
    """Collect the query string and the body (JSON, form or multipart) of ``request``.

    An empty body (any content type) is no parameters. Multipart files stay where
    python-multipart spooled them (memory up to 1 MB, then a temporary file); each is refused
    over ``max_upload_bytes`` and, with ``max_request_bytes``, the request is refused when its
    declared length (before it is read) or its files together are over it (413). The caller
    closes the uploads (:meth:`RequestInput.aclose`).
    """
    found = RequestInput(values=text_values(request.query_params.multi_items()))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "").strip()
    if declared == "0":
        return found
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):  # a gzipped JSON body read as it came was "not valid JSON"
        raise UnsupportedBody(
            f"a request body with Content-Encoding '{encoding[:40]}' is not read; send it uncompressed "
            "(audio and MIDI files are compressed formats already)"
        )
    untyped = content_type in ("", "text/plain")
    if untyped and not (await _read_capped(request, MAX_JSON_BYTES, "a body without a content type")).strip():
        return found
    if max_request_bytes is not None and declared.isdigit() and int(declared) > max_request_bytes + FORM_OVERHEAD_BYTES:
        raise PayloadTooLarge(
            f"the request is {int(declared) / MB:.1f} MB; the limit is {max_request_bytes / MB:g} MB "
            "(setting DAWG_AI_MAX_REQUEST_MB)"
        )
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await _read_capped(request, MAX_JSON_BYTES, "a JSON body")
        if raw.strip():
            found.values.update(await _sized_work(len(raw), _json_body_parameters, raw))
        return found
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await _read_form(request, content_type, max_request_bytes)
        total = 0
        texts: list[tuple[str, str]] = []
        try:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    size = value.size or 0
                    if size > max_upload_bytes:
                        raise PayloadTooLarge(
                            f"{value.filename or name}: the upload is {size / MB:.1f} MB; the limit is "
                            f"{max_upload_bytes / MB:g} MB per file (setting DAWG_AI_MAX_UPLOAD_MB)"
                        )
                    total += size
                    if max_request_bytes is not None and total > max_request_bytes:
                        raise PayloadTooLarge(
                            f"the uploaded files come to more than {max_request_bytes / MB:g} MB, the limit per "
                            "request (setting DAWG_AI_MAX_REQUEST_MB)"
                        )
                    found.files.setdefault(name, []).append(value)
                elif content_type == "application/x-www-form-urlencoded":
                    texts.append((_utf8_sent_raw(name), _utf8_sent_raw(value)))
                else:
                    texts.append((name, value))
        except PayloadTooLarge:
            await form.close()
            raise
        found.values.update(text_values(texts))  # the body wins over the query string
        if content_type == "application/x-www-form-urlencoded" and any(
            n.lstrip().startswith("{") for n in found.values
        ):
            size = sum(len(name) for name in found.values)
            found.values = await _sized_work(size, _json_sent_as_form, found.values, dict(request.query_params))
        return found
    raise UnsupportedBody(
        f"a request body of type '{content_type}' is not understood; send parameters as a query "
        "string, a form (application/x-www-form-urlencoded or multipart/form-data) or a JSON object"
    )


async def _sized_work(size: int, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` where the body arrived for a small body, in a thread for a large one: decoding and checking
    10 MB of JSON holds the event loop ~13 ms and more."""
    return work(*args) if size < JSON_ON_LOOP_BYTES else await asyncio.to_thread(work, *args)


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members (``json.loads``' object_pairs_hook), each name once: Python's parser keeps the last of
    a repeated name silently, where a form field sent twice is a 422 (:func:`repeated_refused`); a JSON body says the
    same (InvalidParameter is no ValueError: it passes through ``json.loads`` and the callers' handlers)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        name, count = Counter(name for name, _ in pairs).most_common(1)[0]
        raise InvalidParameter(
            name, f"{count} values came under this name in the JSON body; it takes one (a list goes in one JSON array)"
        )
    return found


def _json_body_parameters(raw: bytes) -> dict[str, Any]:
    """The parameters of a JSON body (null: none); InvalidParameter (422) for one that is not an object of text."""
    try:
        body = json.loads(raw, object_pairs_hook=_object_once)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameter("body", f"the JSON body is not valid JSON ({exc})") from exc
    except ValueError as exc:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        raise InvalidParameter("body", TOO_MANY_DIGITS) from exc
    except RecursionError as exc:  # thousands of nested arrays or objects
        raise InvalidParameter("body", "the JSON body is nested too deeply to be parameters") from exc
    return {} if body is None else _json_parameters(body)  # a client that serialises "no parameters" as null


def _json_parameters(body: Any) -> dict[str, Any]:
    """A decoded JSON body as parameters: an object whose strings are text; InvalidParameter (422) otherwise."""
    if not isinstance(body, dict):
        raise InvalidParameter("body", "the JSON body must be an object of parameters")
    unpaired = _unpaired_surrogate(body)
    if unpaired is not None:
        raise InvalidParameter(unpaired, NOT_UNICODE)
    return body


JSON_AS_FORM = (
    "the body is a JSON object sent as a form (Content-Type application/x-www-form-urlencoded, what curl -d "
    "sends by default): send it with Content-Type: application/json, or send name=value pairs"
)


def _json_sent_as_form(fields: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """The parameters of a JSON object that came as a form body (``curl -d '{"key": "A"}'`` without a JSON
    content type): the form parser read the whole object as one field's name with an empty value, which was
    then dropped as "not given", so the request ran on defaults. Read as JSON when the object is that one
    field; otherwise (an '&' or '=' in it split it) a 422 that says how to send it."""
    body = {name: value for name, value in fields.items() if name not in query}
    if len(body) == 1:
        ((name, value),) = body.items()
        if value == "":
            try:
                decoded = json.loads(name, object_pairs_hook=_object_once)
            except (ValueError, RecursionError):
                decoded = None
            if isinstance(decoded, dict):
                return {**query, **_json_parameters(decoded)}
    raise InvalidParameter("body", JSON_AS_FORM)


def _unpaired_surrogate(body: dict[str, Any]) -> str | None:
    """The top-level name of the first parameter of a JSON body whose name or value (or any string nested
    in it) holds an unpaired surrogate, a name that holds one as ``ascii()`` writes it; None when there is none."""
    for name, value in body.items():
        pending: list[Any] = [name, value]
        while pending:
            item = pending.pop()
            if isinstance(item, str) and _unpaired(item):
                return ascii(name)[1:-1] if _unpaired(name) else name
            if isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
    return None


def _unpaired(text: str) -> bool:
    """Whether ``text`` holds a surrogate code point (only an unpaired one survives JSON decoding)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def validate_params(model: type[M], values: dict[str, Any]) -> M:
    """Validate ``values`` against ``model``; the first problem becomes a 422 naming the parameter. A name
    that came more than once (:class:`Repeated`) is a list where the model's field takes one, else a 422."""
    # Form and query values arrive as strings: an empty string means "not given", except where the model
    # says an empty value means nothing (``parts=``: no part) and refuses it itself. A JSON null is not given
    # either: '{"bars": null}' was 422 "Input should be a valid integer" where '{"tempo": null}' ran.
    keep_empty: frozenset[str] = getattr(model, "EMPTY_REFUSED", frozenset())
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, Repeated):
            if name in fields and not _takes_list(fields[name].annotation):
                raise repeated_refused(name, value)
            value = [item for item in value if item.strip()] or ""
        if isinstance(value, str) and value.strip() == "" and name not in keep_empty:
            continue
        cleaned[name] = value
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        raise invalid_from_validation(exc, model) from exc


def _takes_list(annotation: Any) -> bool:
    """Whether a field of this type annotation accepts a list (``str | list[str]``)."""
    return get_origin(annotation) is list or any(_takes_list(arg) for arg in get_args(annotation))


MAX_ECHO_CHARS = 80  # of a refused value, quoted back in the error
UPLOAD_FIELDS = frozenset({"file", "files", "audio", "primer", "master", "reference"})
"""The engine's file fields: one that arrives among the text parameters was sent as a text field."""


def _utf8_sent_raw(text: str) -> str:
    """A form field as its sender wrote it when it sent UTF-8 without percent-encoding it (``curl -d "text=melody
    in F♯ minor"``): Starlette reads an urlencoded body's raw bytes as Latin-1, and the text was 'melody in Fâ\x99¯
    minor' (a melody in C major, no word of the key). Text whose Latin-1 bytes are no UTF-8 is kept as read: a
    Latin-1 body, or percent-escapes, which are UTF-8 already."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


async def _capped_stream(request: Request, limit: int, what: str, allowed: str = "") -> AsyncGenerator[bytes, None]:
    """The body's chunks as they arrive, refused (413) as soon as they pass ``limit`` bytes,
    whether or not the client declared its length; ``allowed`` says what the limit is, when not just
    ``limit`` in MB."""
    allowed = allowed or f"{limit / MB:g} MB"
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"{what} of {int(declared) / MB:.1f} MB; at most {allowed}")
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{what} of more than {limit / MB:g} MB; at most {allowed}")
        yield chunk


async def _read_capped(request: Request, limit: int, what: str) -> bytes:
    """The whole body, within ``limit`` bytes (see :func:`_capped_stream`)."""
    async with aclosing(_capped_stream(request, limit, what)) as stream:
        return b"".join([chunk async for chunk in stream])


async def _read_form(request: Request, content_type: str, max_request_bytes: int | None) -> FormData:
    """A form body parsed as it streams in, with Starlette's parsers, within the engine's limits.

    The body is capped like any other (a chunked multipart upload was spooled to disk whole before its
    size was checked); a field that is not a file is capped at FORM_FIELD_BYTES (413), so a 50 MB
    'chords' field is refused after its first megabyte instead of being read.
    """
    files = max_request_bytes if max_request_bytes is not None else MAX_JSON_BYTES
    allowed = f"{files / MB:g} MB of files per request (setting DAWG_AI_MAX_REQUEST_MB)"
    parser: FormParser | MultiPartParser
    capped = _capped_stream(request, files + FORM_OVERHEAD_BYTES, "a form body", allowed)
    end = _ClosingDelimiter(request.headers.get("content-type", ""))
    async with aclosing(end.watch(capped) if content_type == "multipart/form-data" else capped) as stream:
        if content_type == "multipart/form-data":
            parser = MultiPartParser(
                request.headers,
                stream,
                max_files=FORM_MAX_FILES,
                max_fields=FORM_MAX_FIELDS,
                max_part_size=FORM_FIELD_BYTES,
            )
        else:
            parser = FormParser(request.headers, stream, max_fields=FORM_MAX_FIELDS, max_part_size=FORM_FIELD_BYTES)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            # Starlette says "Part/Field exceeded maximum size" for a text field over max_part_size.
            if "exceeded maximum size" in exc.message:
                raise PayloadTooLarge(
                    f"a form field is longer than {FORM_FIELD_BYTES / MB:g} MB: parameters are short text; "
                    "send audio or MIDI as a file part of a multipart form"
                ) from exc
            raise HTTPException(400, detail=exc.message) from exc  # malformed: answered as Starlette does
    if content_type == "multipart/form-data" and end.received and not end.seen:
        await form.close()
        raise HTTPException(400, detail=MULTIPART_CUT_OFF)
    return form


MULTIPART_CUT_OFF = (
    "the multipart body ends before its closing boundary: the upload was cut off (or the client wrote no "
    "closing '--boundary--' line); nothing was processed, send the request again"
)


class _ClosingDelimiter:
    """Watches a multipart body for its closing delimiter (``--boundary--``).

    python-multipart drops a part that the body's end cuts through without a word, so a cut-off
    upload read as a form with no file: "upload the audio as the field 'file'" (422), or, for the
    mixing route, 200 "no audio found". A body that has bytes but never closes is refused instead.
    """

    def __init__(self, content_type: str) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary", b"")
        self.delimiter = b"--" + boundary + b"--"
        self.received = 0
        self.seen = False

    async def watch(self, chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
        # The delimiter may straddle two chunks: search the previous chunk's tail with each new one.
        tail = b""
        async with aclosing(chunks):
            async for chunk in chunks:
                self.received += len(chunk)
                if not self.seen and len(self.delimiter) > 4:
                    window = tail + chunk
                    self.seen = self.delimiter in window
                    tail = window[-(len(self.delimiter) - 1) :]
                yield chunk


_UNION_BRANCH_WORDS = {
    "str": "a string",
    "list[str]": "a list of strings",
    "int": "a whole number",
    "float": "a number",
}
"""How a 422 names the types a parameter of several accepts (pydantic's tag of each branch of its union)."""
# pydantic's tag of another branch: "dict[str,str]", "function-after[...]"
_TYPE_TAG = re.compile(r"[a-z][a-z-]*\[.*\]")


def _union_refusal(errors: list[Any]) -> tuple[str, str] | None:
    """(parameter, message) when the first error is one branch of a union the value fits none of: pydantic
    locates each branch's error under the branch's tag, and the 422 named 'apply.str' or 'chords.str', a
    parameter no caller sends, with only the first branch's words ("should be a valid string")."""
    loc = errors[0]["loc"]
    if len(loc) < 2 or not isinstance(loc[0], str) or not isinstance(loc[1], str):
        return None
    tags = list(dict.fromkeys(str(e["loc"][1]) for e in errors if len(e["loc"]) >= 2 and e["loc"][0] == loc[0]))
    if len(tags) < 2 or not all(tag in _UNION_BRANCH_WORDS or _TYPE_TAG.fullmatch(tag) for tag in tags):
        return None  # keys of a mapping, not the branches of a union
    return loc[0], "should be " + " or ".join(_UNION_BRANCH_WORDS.get(tag, tag) for tag in tags)


def invalid_from_validation(exc: ValidationError, model: type[BaseModel] | None = None) -> InvalidParameter:
    errors = exc.errors(include_url=False)
    first = errors[0]
    name = ".".join(str(part) for part in first["loc"]) or "parameters"
    union = _union_refusal(errors)
    if first["type"] == "extra_forbidden":
        known = ", ".join(sorted(model.model_fields)) if model else ""
        if not any(str(part) for part in first["loc"]):  # '=x' or a bare '=' in a form body
            return InvalidParameter(
                "parameters", f"a field with no name (an '=' with nothing before it); known: {known}"
            )
        if name in UPLOAD_FIELDS:  # curl -F 'file=<song.wav', or a part sent without its filename
            return InvalidParameter(
                name,
                f"came as a text field, not a file: send files as file parts of a multipart form "
                f"(curl -F '{name}=@song.wav'); known parameters: {known}",
            )
        return unknown_parameter(name, model.model_fields if model else ())
    message = first["msg"]
    if first["type"] == "missing":  # pydantic's "Field required"; a form's 'folder=' is not given either
        message = "required, and not given (an empty value counts as none)"
    if first["type"] == "finite_number":  # pydantic's words for NaN and the infinities
        message = "not a number" if _is_nan(first.get("input")) else "not a finite number"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if union is not None:
        name, message = union
    given = first.get("input")
    if isinstance(given, str | int | float | bool) and first["type"] != "missing":
        shown = repr(given)
        if len(shown) > MAX_ECHO_CHARS:  # a megabyte of input is not echoed back
            shown = shown[:MAX_ECHO_CHARS] + f"... ({len(shown)} characters)"
        message += f" (got {shown})"
    return InvalidParameter(name, message)


def refuse_unread_files(inp: RequestInput, *, single: Iterable[str] = (), many: Iterable[str] = ()) -> None:
    """A file part that the route would not read is a 422 naming it, never dropped.

    ``single``: names that take one file (the first alias present is read: 'file' or 'audio'); ``many``:
    names that take several. A mistyped field (``curl -F stems=@Kick.wav`` on mixing) was ignored and
    the answer was about the latest project's stems; a second file under a one-file name, or under both
    of its aliases, was ignored too.
    """
    one, several = tuple(single), tuple(many)
    reads = ", ".join(sorted({*one, *several}))
    for name, uploads in inp.files.items():
        if name not in one and name not in several:
            raise InvalidParameter(
                name[:80], f"this route reads no file under this name; it reads files as: {reads or 'none'}"
            )
        if name in one and len(uploads) > 1:
            raise InvalidParameter(name, f"{len(uploads)} files came under this name; it takes one")
    given = [name for name in one if inp.files.get(name)]
    if {"file", "audio"} <= set(given):  # two names for the one recording
        raise InvalidParameter("file", "a file came as 'file' and another as 'audio': send the one recording once")


def unknown_parameter(name: str, known: Iterable[str]) -> InvalidParameter:
    """The 422 for a parameter the route (or MCP tool) does not take, listing those it does."""
    return InvalidParameter(name, f"unknown parameter; known parameters: {', '.join(sorted(known))}")


def _is_nan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


async def read_upload(
    upload: UploadFile, *, max_upload_bytes: int, why: str = "setting DAWG_AI_MAX_UPLOAD_MB"
) -> bytes:
    """The bytes of one small upload (a MIDI primer), refusing more than ``max_upload_bytes``;
    ``why`` says where the limit comes from. Audio goes through :func:`copy_upload` instead."""
    data = await upload.read(max_upload_bytes + 1)
    if len(data) > max_upload_bytes:
        raise file_too_large(upload.filename or "upload", max_upload_bytes, f"({why})")
    return data


def copy_upload(upload: UploadFile, *, max_upload_bytes: int, directory: Path | None = None) -> Path:
    """Stream one upload into a named temporary file, COPY_CHUNK_BYTES at a time, refusing (413) more
    than ``max_upload_bytes`` as it goes; returns its path. Blocking: run it in a worker thread.
    The caller deletes the file (it is deleted here when the copy fails).

    The file keeps the upload's extension when it has a plain one (the decoder reads the content;
    the extension only helps tools that look at the name).
    """
    suffix = PurePath(upload.filename or "").suffix.lower()
    if not (1 < len(suffix) <= 6 and suffix[1:].isalnum()):
        suffix = ""
    with (
        scratch_space(directory),
        tempfile.NamedTemporaryFile(prefix="dawg-upload-", suffix=suffix, dir=directory, delete=False) as handle,
    ):
        path = Path(handle.name)
        try:
            source = upload.file
            source.seek(0)
            copied = 0
            while chunk := source.read(COPY_CHUNK_BYTES):
                copied += len(chunk)
                if copied > max_upload_bytes:
                    raise file_too_large(upload.filename or "upload", max_upload_bytes)
                handle.write(chunk)
        except BaseException:
            handle.close()
            remove_quietly(path)
            raise
    return path


async def remove_off_loop(*paths: Path) -> None:
    """:func:`remove_quietly` for each path in a worker thread, finished even when the caller is cancelled:
    the kernel took 50-70 ms to free a long upload's or stem's blocks, on the event loop."""
    if paths:
        await asyncio.shield(asyncio.to_thread(_remove_all, paths))


def _remove_all(paths: tuple[Path, ...]) -> None:
    for path in paths:
        remove_quietly(path)


def remove_quietly(path: Path) -> None:
    """Delete a temporary file; a file already gone is fine, any other failure is logged."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        logger.warning("could not delete the temporary upload %s", path, exc_info=True)


BAD_BODY = (
    "bad_request: a multipart body that cannot be read (cut off before its closing boundary, a boundary other "
    "than the Content-Type's)"
)


def body_errors(bad_request: str = "") -> dict[int | str, dict[str, Any]]:
    """``responses=`` of the errors :func:`read_input` answers, for a route that reads it; ``bad_request``:
    the route's own other cause of a 400 (a project id that leaves the projects directory)."""
    return {
        400: {"model": ErrorBody, "description": f"{BAD_BODY}; {bad_request}." if bad_request else f"{BAD_BODY}."},
        413: {
            "model": ErrorBody,
            "description": "payload_too_large: the request, an upload or a form field (1 MB) over its limit; an "
            "uploaded recording longer than the duration limit.",
        },
        415: {
            "model": ErrorBody,
            "description": "unsupported_media_type: a body type the engine does not read, a compressed body "
            "(Content-Encoding), or an upload that is not audio (or MIDI where the route reads MIDI).",
        },
    }


def openapi_params(
    model: type[BaseModel],
    *,
    files: dict[str, str] | None = None,
    required_file: str | None = None,
    body: bool = True,
) -> dict[str, Any]:
    """OpenAPI text for a route whose parameters are read by :func:`read_input`.

    Each field of ``model`` is listed as a query parameter and as a property of the JSON, form and
    multipart bodies; ``files`` adds upload fields (name -> description) to the multipart body.
    ``required_file``: the upload the route cannot work without; the body is then required and
    multipart only, since a JSON or form body cannot carry it. ``body=False``: the query string only
    (a GET, whose body clients do not send).
    """
    schema = model.model_json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": name in required and not files,
            "description": prop.get("description", ""),
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        for name, prop in properties.items()
    ]
    if not body:
        return {"parameters": parameters}
    body_schema = {"type": "object", "properties": properties}
    multipart: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    for name, description in (files or {}).items():
        multipart["properties"][name] = {"type": "string", "format": "binary", "description": description}
    if required_file is not None:
        multipart["required"] = [required_file]
    content: dict[str, Any] = {"multipart/form-data": {"schema": multipart}}
    if required_file is None:
        content["application/json"] = {"schema": body_schema}
        content["application/x-www-form-urlencoded"] = {"schema": body_schema}
    return {
        "parameters": parameters,
        "requestBody": {"required": required_file is not None, "content": content},
    }
