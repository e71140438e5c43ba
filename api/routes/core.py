"""DAWG-CORE through the engine: its live status and its transport (play, stop).

The core may be down or answer errors with HTTP 200 (shared/reference/dawg-core.md): the core
client turns that into 503 core_unreachable or 502 core_bad_response, never into made-up state.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from api.deps import NO_PARAMETERS_RESPONSES, TAKES_NO_PARAMETERS, EngineDep
from api.schemas import CoreStatusResponse, ErrorBody, TransportResponse
from api.state import EngineState

# No parameters: a play with ?x=1 was forwarded as if the engine had read it.
router = APIRouter(
    prefix="/api/v1/core", tags=["core"], dependencies=TAKES_NO_PARAMETERS, responses=NO_PARAMETERS_RESPONSES
)
CORE_ERRORS: dict[int | str, dict[str, Any]] = {
    502: {
        "model": ErrorBody,
        "description": "core_bad_response / core_refused: DAWG-CORE answered, but not as its API",
    },
    503: {"model": ErrorBody, "description": "core_unreachable: DAWG-CORE did not answer in time (is it running?)"},
}
TransportAction = Literal["play", "stop"]


@router.get(
    "/status",
    response_model=CoreStatusResponse,
    summary="Live DAWG-CORE health and project status",
    responses=CORE_ERRORS,
)
async def core_status(engine: EngineDep) -> CoreStatusResponse:
    # Concurrently, so that a slow core costs one deadline, not two.
    health, project = await asyncio.gather(engine.core.health(), engine.core.project_status())
    return CoreStatusResponse(core_url=engine.settings.core_url, health=health, project=project.to_dict())


async def transport_work(engine: EngineState, action: TransportAction) -> TransportResponse:
    """Forward play or stop to DAWG-CORE (the route and the text commands run this)."""
    answer = await (engine.core.play() if action == "play" else engine.core.stop())
    return TransportResponse(
        action=action, status=str(answer["status"]), core_url=engine.settings.core_url, core=answer
    )


@router.post(
    "/transport/{action}",
    response_model=TransportResponse,
    responses=CORE_ERRORS,
    summary="Start (play) or stop DAWG-CORE's transport",
    description="Forwards to DAWG-CORE's POST /api/v1/transport/play or /stop and answers with the core's own "
    "status ('playing', 'stopped'). Not retried: a play that timed out may still have started.",
)
async def transport(
    action: Annotated[TransportAction, Path(description="play or stop.")], engine: EngineDep
) -> TransportResponse:
    return await transport_work(engine, action)
