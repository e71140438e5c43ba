"""The answers of the service's own routes (/, health, status, models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class HealthResponse(BaseModel):
    status: Literal["healthy"] = "healthy"
    version: str
    uptime_seconds: float
    ready: bool = Field(description="False while models load and code warms up after start.")
    warming_up: list[str]


class ServiceResponse(BaseModel):
    """GET /: what this service is and what it serves."""

    service: str = Field(description="'DAWG AI Engine'.")
    version: str
    docs: str = Field(description="Where the OpenAPI page is: /docs.")
    ui: str = Field(description="Where the browser page is: /ui.")
    endpoints: list[str] = Field(description="Every route served, as 'METHOD /path'.")
    ready: bool = Field(description="False while models load and code warms up after start.")


class StatusResponse(BaseModel):
    """GET /api/v1/status: the status file's document (DAWG-CORE's section 4), computed now, and where it is written."""

    instance: str = Field(description="'DAWG-AI'.")
    last_update: str = Field(description="When this document was built, UTC, ISO 8601 with a Z.")
    started_at: str = Field(description="When the engine started, UTC, ISO 8601 with a Z.")
    phase: Literal["starting", "warming up", "serving", "stopped"]
    current_task: str
    completed_tasks: list[str]
    api_endpoints_ready: list[str] = Field(description="Every route served, as 'METHOD /path'.")
    ai_models: list[dict[str, Any]] = Field(
        description="The generation backends: name, loaded, family, parts, and the error of one that failed."
    )
    dawg_core_connected: bool
    next_steps: list[str] = Field(description="What would make the engine whole: a core to start, a model to fix.")
    uptime_seconds: float
    request_counts: dict[str, Any] = Field(description="Requests handled: total, by_route, by_status.")
    status_file: str = Field(description="The file this document is written to every few minutes.")


class ModelsResponse(BaseModel):
    models: list[dict[str, Any]]
    loading: bool
    default_for: dict[str, str | None] = Field(description="Backend chosen for each part when model=auto.")
    analysis: list[dict[str, Any]] = Field(
        description="Models the analysis uses (the metrical-level model): loaded, or the reason it is not."
    )
    mixing: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "Models the mixing advice uses (the role classifier, the voice-activity network): loaded or available, "
            "or the reason it is not."
        ),
    )
    transcription: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Models /api/v1/transcribe uses (pitched, drums): there, loaded (on first use), or why not.",
    )
    generation: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Models every generation backend uses (the learned drum and bass velocities): loaded, "
        "or the reason it is not.",
    )
