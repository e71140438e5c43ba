"""HTTP middleware: upload size guard, request counting, and the answer to a request a shutdown cancels.

Plain ASGI, not Starlette's ``BaseHTTPMiddleware`` (``@app.middleware("http")``): behind that, a route's
``request.is_disconnected()`` never saw its client hang up, so a synchronous request's work could not
be stopped when nobody was left to read its answer (api/client_watch.py).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import SHUTTING_DOWN, error_response
from api.openapi_schema import build_off_loop
from api.state import EngineState

logger = logging.getLogger(__name__)

MB = 1024 * 1024  # the settings' megabyte (DAWG_AI_MAX_UPLOAD_MB, DAWG_AI_MAX_REQUEST_MB)


class GuardAndCount:
    """A body declared larger than the request limit is refused (413) before it is read; /openapi.json is
    built off the event loop; every answer is counted by route template and status class; a request cancelled
    while the engine stops is answered 503 ``shutting_down`` when its answer has not started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app: FastAPI = scope["app"]
        engine: EngineState = app.state.engine
        limit = engine.settings.max_request_bytes
        declared = _header(scope, b"content-length")
        status: list[int] = []

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            if declared.isdigit() and int(declared) > limit + 64 * 1024:  # room for form boundaries
                too_large = error_response(
                    413,
                    "payload_too_large",
                    f"the request body is {int(declared) / MB:.1f} MB; the limit is {limit / MB:g} MB "
                    "(setting DAWG_AI_MAX_REQUEST_MB)",
                )
                await too_large(scope, receive, counted_send)
                return
            if scope["path"] == app.openapi_url:  # FastAPI's own route builds it on the event loop
                await build_off_loop(app)
            await self.app(scope, receive, counted_send)
        except asyncio.CancelledError:
            if status or not engine.stopping.is_set():
                raise
            # A forced shutdown (a second Ctrl+C) ends the event loop, which cancels the requests still running:
            # uvicorn answered those with a plain-text 500 and logged the cancellation as a traceback. The
            # cancellation is taken here, and the request ends with an answer its client can read.
            logger.warning("%s %s: %s", scope["method"], scope["path"], SHUTTING_DOWN)
            await error_response(503, "shutting_down", SHUTTING_DOWN)(scope, receive, counted_send)
        finally:
            if status:  # an error no handler answered is counted by nobody, as before (the server's 500)
                route = scope.get("route")
                engine.stats.record(getattr(route, "path", "(unmatched)"), status[0])


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def install_middleware(app: FastAPI) -> None:
    app.add_middleware(GuardAndCount)
