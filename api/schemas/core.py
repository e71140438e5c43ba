"""The answers of the DAWG-CORE routes (its status, transport)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class TransportResponse(BaseModel):
    action: Literal["play", "stop"]
    status: str = Field(description="DAWG-CORE's own answer: 'playing' or 'stopped'.")
    core_url: str
    core: dict[str, Any] = Field(description="DAWG-CORE's whole answer.")


class CoreStatusResponse(BaseModel):
    """GET /api/v1/core/status: DAWG-CORE's own answers, as it gave them."""

    core_url: str = Field(description="Where DAWG-CORE is reached (DAWG_AI_CORE_URL).")
    health: dict[str, Any] = Field(description="DAWG-CORE's GET /api/v1/health, as it answered.")
    project: dict[str, Any] = Field(
        description="DAWG-CORE's project status (GET /api/v1/project/status), as it answered."
    )
