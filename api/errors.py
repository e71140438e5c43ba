"""One error body, ``{"error": code, "detail": message}``, for every failure the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from api.params import invalid_from_validation
from utils.errors import EngineError

logger = logging.getLogger(__name__)

STARLETTE_BAD_MULTIPART = "Invalid multipart data."
BAD_MULTIPART = (
    "the body could not be read as multipart/form-data: cut off, a boundary other than the Content-Type's, "
    "or a part's headers too long (a file name of thousands of characters); send each file as a part "
    "with a short name, e.g. curl -F file=@song.wav"
)
"""Starlette's answer to a body python-multipart cannot parse, and what the engine says instead."""
CLIENT_GONE = "the client disconnected before it had sent the whole request; nothing was processed"
"""The answer to a request whose client went away mid-body (a cancelled upload): nobody reads it, but it is
an ordinary event, logged on one line, not an internal error with its traceback."""
SHUTTING_DOWN = "the engine is shutting down and stopped this request before answering it; send it again later"
"""The answer to a request still running when a forced shutdown (a second Ctrl+C) cancels it (api/middleware.py)."""
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request"}


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at the request's path: Starlette's Allow names only the first route that
    matched the path (GET of /health, not its HEAD twin, a route of its own)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].fullmatch(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def error_response(status_code: int, code: str, detail: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"error": code, "detail": detail, **(extra or {})})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EngineError)
    async def _engine_error(request: Request, exc: EngineError) -> JSONResponse:
        if exc.status_code >= 500:
            logger.warning(
                "%s %s -> %d %s: %s", request.method, request.url.path, exc.status_code, exc.code, exc.detail
            )
        return error_response(exc.status_code, exc.code, exc.detail, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("parameters",), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        return error_response(422, "invalid_parameter", f"{'.'.join(loc) or 'parameters'}: {first.get('msg')}")

    @app.exception_handler(ClientDisconnect)
    async def _client_disconnected(request: Request, exc: ClientDisconnect) -> JSONResponse:
        logger.info("%s %s: %s", request.method, request.url.path, CLIENT_GONE)
        return error_response(499, "client_disconnected", CLIENT_GONE)  # as api/client_watch.py: nobody reads it

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}; see /docs for the API"
        elif exc.status_code == 405 and headers.get("Allow"):  # `curl URL` without -X POST: say which method
            headers["Allow"] = _allowed_methods(request) or headers["Allow"]
            detail = f"{request.method} is not served at {request.url.path}; it takes {headers['Allow']}"
        elif exc.status_code == 400 and detail == STARLETTE_BAD_MULTIPART:
            detail = BAD_MULTIPART
        response = error_response(exc.status_code, code, detail)
        response.headers.update(headers)  # a 405's Allow (RFC 9110 requires it): it was dropped
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error in %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error in the AI engine; see its log")


__all__ = ["error_response", "install_error_handlers", "invalid_from_validation"]
