"""Dependencies that hand routes the engine's long-lived objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from api.params import RequestInput, read_input
from api.state import EngineState


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
