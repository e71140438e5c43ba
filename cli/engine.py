"""The engine a command talks to, and its answers: one client per invocation (api/local_client.py), in
process (the app and its lifespan, with what a one-shot command does not need turned off) or a running
engine (``--url``); an error answer becomes :class:`EngineError` with the engine's own words."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx

from utils.settings import Settings

T = TypeVar("T")

BLAS_THREADS_VARIABLE = "OPENBLAS_NUM_THREADS"
DEFAULT_SWITCH_INTERVAL_S = sys.getswitchinterval()  # CPython's (5 ms), read before any engine starts
WHOLE_UPLOAD_MAX_BYTES = 64 * 1024 * 1024  # read whole up to this (a 6-minute 48 kHz 24-bit stereo WAV)
EXIT_CLIENT_ERROR = 2  # the request was refused (4xx): the caller's to fix
EXIT_ENGINE_ERROR = 1  # the engine failed (5xx), or no engine answered


class EngineError(Exception):
    """An answer that is not a success, as one line, and the exit code it means."""

    def __init__(self, message: str, exit_code: int, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.body = body or {}


@dataclass(frozen=True)
class Options:
    """The global options: where the engine is, and how answers are printed."""

    url: str | None = None
    json: bool = False
    timeout_s: float = 600.0


def cli_settings(*, load_magenta: bool) -> Settings:
    """The ``DAWG_AI_*`` settings for an engine that lives for one command: no warm-up (the command's own
    request pays only what it uses), no status file (it describes the service; the command is not one), no
    MCP endpoint, Magenta only where the command can use it (and the settings allow it). What is off costs
    start-up time that a command on a folder of files would pay on top of their analyses."""
    settings = Settings()
    return settings.model_copy(
        update={
            "warmup": False,
            "write_status_file": False,
            "mcp": False,
            "load_magenta": settings.load_magenta and load_magenta,
        }
    )


def one_blas_thread() -> None:
    """One BLAS thread for an engine in this process, unless the environment says otherwise (effective while
    numpy is not loaded yet): the analysis calls BLAS on small matrices from worker threads, and a second
    OpenBLAS thread spin-waits; on a busy 2-core machine 100 analyses took 23-25 s of CPU with two, 6.5 s
    with one (bench/cli_analyze.py)."""
    os.environ.setdefault(BLAS_THREADS_VARIABLE, "1")


def with_engine(
    options: Options,
    work: Callable[[httpx.AsyncClient], Awaitable[T]],
    *,
    load_magenta: bool,
    check: Callable[[], object] | None = None,
) -> T:
    """Run ``work`` with a client of the engine: the one at ``options.url``, or one started here for it.
    ``check``: the engine's own checks of the request, run before an engine starts here, so that a request
    it refuses is answered at once (its error as the engine words it), not after the start-up and its
    Magenta load (seconds)."""
    from api.local_client import engine_client  # FastAPI and the app: only for a command that calls them

    settings = None
    if not options.url:
        one_blas_thread()
        if check is not None:
            refused_here(check)
        settings = cli_settings(load_magenta=load_magenta)

    async def session() -> T | EngineError:
        async with engine_client(settings, url=options.url, timeout_s=options.timeout_s) as client:
            # The service hands the GIL over every 1 ms so /health answers beside busy workers; one command
            # has no other client to answer, and the switches cost its analysis time: back to the default.
            sys.setswitchinterval(DEFAULT_SWITCH_INTERVAL_S)
            try:
                return await work(client)
            except EngineError as exc:  # returned, not raised through the lifespan's task groups
                return exc

    outcome = asyncio.run(session())
    if isinstance(outcome, EngineError):
        raise outcome
    return outcome


def refused_here(check: Callable[[], object]) -> None:
    """Run ``check``; the engine error it raises becomes the answer the engine would give for it."""
    from utils.errors import EngineError as Refusal

    try:
        check()
    except Refusal as exc:
        raise answer_of({"error": exc.code, "detail": exc.detail, **exc.extra}, exc.status_code) from None


@dataclass(frozen=True)
class Upload:
    """A local file sent as the multipart field ``field`` (the name the endpoint sees is the file's)."""

    field: str
    path: Path


def _opened(upload: Upload, stack: ExitStack) -> tuple[str, tuple[str, bytes | IO[bytes], str]]:
    """The file as httpx sends it: its bytes when small (one body chunk: streamed in 64 KB pieces, every
    piece crosses the ASGI layers, ~25 ms of event-loop work for a 3 MB file), else the open file."""
    content_type = mimetypes.guess_type(upload.path.name)[0] or "application/octet-stream"
    try:
        if upload.path.stat().st_size <= WHOLE_UPLOAD_MAX_BYTES:
            return upload.field, (upload.path.name, upload.path.read_bytes(), content_type)
        handle = stack.enter_context(upload.path.open("rb"))
    except OSError as exc:
        raise EngineError(f"cannot read '{upload.path}' ({exc.strerror or exc})", EXIT_CLIENT_ERROR) from exc
    return upload.field, (upload.path.name, handle, content_type)


async def request(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    values: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
) -> httpx.Response:
    """``values`` as a JSON body, or as form fields beside ``uploads`` (multipart), as curl and DAWG-CORE send
    them. The success answer, or :class:`EngineError` with the engine's error body."""
    values = sent_values(values, form=bool(uploads))
    with ExitStack() as stack:
        files = [_opened(upload, stack) for upload in uploads]
        try:
            if files:
                response = await client.request(method, path, data=values, files=files)
            elif values:
                response = await client.request(method, path, json=values)
            else:
                response = await client.request(method, path)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"the engine at {client.base_url} did not answer {method} {path}: {exc!r}", EXIT_ENGINE_ERROR
            ) from exc
    if response.is_error:
        raise error_of(response)
    return response


def sent_values(values: dict[str, Any] | None, *, form: bool) -> dict[str, Any]:
    """The values given (not None) as :func:`request` sends them: form fields (beside uploads), else JSON."""
    from api.local_client import form_fields, json_values

    given = {name: value for name, value in (values or {}).items() if value is not None}
    return form_fields(given) if form else json_values(given)


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    values: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
) -> dict[str, Any]:
    response = await request(client, method, path, values, uploads)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise EngineError(f"{method} {path}: the engine answered something other than a JSON object", 1)
    return body


def error_of(response: httpx.Response) -> EngineError:
    """The engine's ``{"error", "detail"}`` body (or whatever else answered) as one line."""
    code = EXIT_CLIENT_ERROR if response.status_code < 500 else EXIT_ENGINE_ERROR
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        return answer_of(body, response.status_code)
    text = " ".join(response.text.split())[:300]
    return EngineError(f"HTTP {response.status_code}: {text}", code, {"status": response.status_code})


def answer_of(body: dict[str, Any], status: int) -> EngineError:
    """An ``{"error", "detail"}`` body answered with ``status``, as one line and its exit code."""
    detail = body["detail"] if isinstance(body["detail"], str) else str(body["detail"])
    message = f"{body.get('error', 'error')} (HTTP {status}): {detail}"
    code = EXIT_CLIENT_ERROR if status < 500 else EXIT_ENGINE_ERROR
    return EngineError(" ".join(message.split()), code, {**body, "status": status})
