"""Dependencies that hand routes the engine's long-lived objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request

from api.params import RequestInput, read_input
from api.schemas import ErrorBody
from api.state import EngineState
from utils.errors import InvalidParameter


def get_engine(request: Request) -> EngineState:
    engine: EngineState = request.app.state.engine
    return engine


EngineDep = Annotated[EngineState, Depends(get_engine)]


async def get_input(request: Request, engine: EngineDep) -> AsyncIterator[RequestInput]:
    """The request's parameters and uploads, within the per-file and per-request limits; the
    uploads' spooled files are closed when the request is done."""
    settings = engine.settings
    inp = await read_input(
        request, max_upload_bytes=settings.max_upload_bytes, max_request_bytes=settings.max_request_bytes
    )
    try:
        yield inp
    finally:
        await inp.aclose()


InputDep = Annotated[RequestInput, Depends(get_input)]


async def no_parameters(request: Request) -> None:
    """For routes that take no parameters (the jobs', /health, /, the models and projects lists, /ui, the
    core's): a query parameter is refused (422 naming it), as the routes with parameters refuse names they
    do not know; ``GET /api/v1/jobs?state=running`` answered every job, as if the filter had been applied,
    and ``POST /api/v1/core/transport/play?x=1`` was forwarded to the core. Async: /health stays off the
    thread pool."""
    for name in request.query_params:
        raise InvalidParameter(name[:80], "unknown parameter; this route takes no parameters")


TAKES_NO_PARAMETERS = [Depends(no_parameters)]
"""``dependencies=`` of a route or router that takes no parameters."""
NO_PARAMETERS_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "invalid_parameter: a query parameter; this route takes none."}
}
"""``responses=`` of such a route, so /docs lists its 422."""
