"""Parameters and answers of the DAWG-CORE project routes (list, analyse)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import CallerParams
from api.schemas.mixing import ROLES_DESCRIPTION, RolesParam, TargetParam


class ProjectParams(CallerParams):
    project_id: str | None = Field(
        None,
        description="The project's id as in its DAWG-CORE manifest. Without it, the project worked on last is "
        "taken (its manifest or stems written last; the answer's message names it).",
    )
    target: TargetParam = Field(None, description="Loudness target for findings (see mixing).")
    roles: RolesParam = Field(None, description=ROLES_DESCRIPTION)


class ProjectSummaryOut(BaseModel):
    project_id: str
    name: str
    tempo: float
    time_signature: str
    tracks: list[str]
    stems: list[str] = Field(description="Tracks with a rendered stem in <projects dir>/<project_id>/stems/.")


class UnreadManifestOut(BaseModel):
    file: str = Field(description="The file, relative to the projects directory.")
    reason: str = Field(description="Why it gives no project: 'tempo 'fast' is not a positive number', ...")


class ProjectListResponse(BaseModel):
    projects_dir: str
    projects: list[ProjectSummaryOut] = Field(description="Every valid manifest, by project id.")
    message: str | None = Field(
        None, description="Why there are none when the projects folder is missing, a file or unreadable; else null."
    )
    unread: list[UnreadManifestOut] = Field(
        default_factory=list,
        description="Files that start like a manifest but give no project (JSON that does not parse, a field "
        "DAWG-CORE writes missing or malformed, a project_id another manifest has), with the reason.",
    )


CLIPPING_FIELDS = (  # a track measurement's clipping figures (ai.mixing.measure.TrackMeasurement)
    "clipped_samples counts clipped samples per channel sample over the channels the stem has (a stereo "
    "stem's two channels apart, a mono stem's samples once), clipped_share is it over the stem's channel "
    "samples (channels x frames); a value held longer than 50 ms (DC) is no clipping."
)


class ProjectTrackOut(BaseModel):
    name: str
    role: str
    stem: str | None = Field(description="Path of the rendered stem, if present.")
    measurements: dict[str, Any] | None = Field(
        None,
        description=f"The track's measurements from the mixing analysis, as /mixing/suggest lists them: {CLIPPING_FIELDS}",
    )


class ProjectAnalysisResponse(BaseModel):
    project_id: str
    name: str
    tempo: float
    time_signature: str
    manifest: str
    stems_dir: str
    tracks: list[ProjectTrackOut]
    core: dict[str, Any] = Field(description="Live DAWG-CORE status, or why it is not available.")
    findings: list[dict[str, Any]]
    suggestions: list[dict[str, Any]] = Field(default_factory=list)
    message: str | None = Field(
        None,
        description="Set when the request named no project (which project this is and why it was taken) or "
        "when a stem could not be decoded (each stem left out, and why; the others are analysed).",
    )
