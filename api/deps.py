"""Dependencies that hand routes the engine's long-lived objects."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.params import RequestInput, read_input
from api.state import EngineState


def get_engine(request: Request) -> EngineState:
    engine: EngineState = request.app.state.engine
    return engine


EngineDep = Annotated[EngineState, Depends(get_engine)]


async def get_input(request: Request, engine: EngineDep) -> RequestInput:
    return await read_input(request, max_upload_bytes=engine.settings.max_upload_bytes)


InputDep = Annotated[RequestInput, Depends(get_input)]
