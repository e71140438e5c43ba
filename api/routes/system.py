"""Service description, health, status and models."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from ai.analysis.beat_net import describe_shipped_beat_net
from ai.analysis.drums_only import describe_model as describe_drums_only
from ai.analysis.rhythm import describe_shipped_level_model
from ai.audio.voice import describe_voice_model
from ai.generation.base import PARTS
from ai.generation.dynamics import describe_dynamics
from ai.generation.melody_harmony import describe_model as describe_melody_harmony
from ai.generation.microtiming import describe_timing
from ai.mixing.role_model import describe_role_model
from ai.transcription.transcribe import describe_transcription_models
from api.deps import NO_PARAMETERS_RESPONSES, TAKES_NO_PARAMETERS, EngineDep
from api.schemas import HealthResponse, ModelsResponse, ServiceResponse, StatusResponse
from api.startup import live_endpoints, status_snapshot

router = APIRouter(tags=["system"], dependencies=TAKES_NO_PARAMETERS, responses=NO_PARAMETERS_RESPONSES)


@router.get("/", response_model=ServiceResponse, summary="What this service is and what it serves")
async def root(request: Request, engine: EngineDep) -> ServiceResponse:
    return ServiceResponse(
        service="DAWG AI Engine",
        version=request.app.version,
        docs="/docs",
        ui="/ui",
        endpoints=await asyncio.to_thread(live_endpoints, request.app),  # the OpenAPI schema: ~1 s to build
        ready=not engine.warming_up,
    )


@router.get("/health", response_model=HealthResponse, summary="Liveness; answers at once, even while warming up")
async def health(request: Request, engine: EngineDep) -> HealthResponse:
    return HealthResponse(
        version=request.app.version,
        uptime_seconds=round(engine.uptime_s, 3),
        ready=not engine.warming_up,
        warming_up=sorted(engine.warming_up),
    )


@router.head(
    "/health", response_model=HealthResponse, summary="Liveness as GET /health, headers only (monitors' probe)"
)
async def health_head(request: Request, engine: EngineDep) -> HealthResponse:
    return await health(request, engine)


@router.get("/api/v1/status", response_model=StatusResponse, summary="What the status file holds, computed now")
async def status(request: Request, engine: EngineDep) -> StatusResponse:
    snapshot = await status_snapshot(request.app, engine)
    return StatusResponse(**snapshot, status_file=str(engine.settings.status_file))


@router.get(
    "/api/v1/models", response_model=ModelsResponse, summary="Generation backends and analysis models, loaded or failed"
)
async def models(engine: EngineDep) -> ModelsResponse:
    default_for: dict[str, str | None] = {}
    for part in PARTS:
        found = engine.registry.for_part(part, "magenta") or engine.registry.for_part(part, "theory")
        default_for[part] = found[0].name if found else None
    return ModelsResponse(
        models=engine.registry.describe(),
        loading="magenta" in engine.warming_up,
        default_for=default_for,
        analysis=[describe_shipped_level_model(), describe_shipped_beat_net(), describe_drums_only()],
        mixing=[describe_role_model(), describe_voice_model()],
        transcription=describe_transcription_models(),
        generation=[describe_dynamics(engine.settings.models_dir), describe_timing(), describe_melody_harmony()],
    )
