"""HTTP middleware: upload size guard and request counting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from api.errors import error_response
from api.openapi_schema import build_off_loop
from api.state import EngineState

MB = 1024 * 1024  # the settings' megabyte (DAWG_AI_MAX_UPLOAD_MB, DAWG_AI_MAX_REQUEST_MB)


def install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def _guard_and_count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        engine: EngineState = request.app.state.engine
        limit = engine.settings.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + 64 * 1024:  # room for form boundaries
            response: Response = error_response(
                413,
                "payload_too_large",
                f"the request body is {int(declared) / MB:.1f} MB; the limit is {limit / MB:g} MB "
                "(setting DAWG_AI_MAX_REQUEST_MB)",
            )
        else:
            if request.url.path == request.app.openapi_url:  # FastAPI's own route builds it on the event loop
                await build_off_loop(request.app)
            response = await call_next(request)
        route = request.scope.get("route")
        engine.stats.record(getattr(route, "path", "(unmatched)"), response.status_code)
        return response
