"""Parameters and answers of the library routes (scan, search)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ai.music_keys import normalise_key
from api.schemas.common import CallerParams
from api.schemas.generation import GenerationParams
from utils.errors import InvalidParameter


class LibraryScanParams(CallerParams):
    folder: str = Field(
        min_length=1,
        max_length=4096,
        description="The folder to scan: inside a library root (DAWG_AI_LIBRARY_ROOTS), absolute or relative "
        "to the first root.",
    )


class LibraryScanResult(BaseModel):
    folder: str = Field(description="The folder scanned (resolved).")
    files: int = Field(description="Audio files found under it.")
    analysed: int = Field(description="Files analysed now (new or changed).")
    skipped: int = Field(description="Files whose size and mtime match their stored row: not read.")
    unchanged: int = Field(description="Files whose size or mtime changed but whose content (sha256) did not.")
    failed: int = Field(description="Files that could not be analysed (stored with the reason).")
    removed: int = Field(description="Stored rows of files no longer in the folder, deleted.")
    vanished: int = Field(
        0, description="Files deleted while the scan ran (listed, gone before they were read): no row is kept."
    )
    covered: int = Field(
        0,
        description="Files another scan running at the same time was already analysing (a subfolder's scan): "
        "that scan stores them; one cancelled before it reached them leaves them for the next scan.",
    )
    unreadable_names: int = Field(
        0,
        description="Audio files whose name is not UTF-8 (a sample pack unzipped from an old Windows archive): "
        "no row can hold their path, so they are left out and logged; renamed, they are scanned. Not in `files`.",
    )


class LibrarySearchParams(CallerParams):
    key: str | None = Field(None, max_length=32, description="A key ('A minor', 'Am', 'F#') or a Camelot code ('8A').")
    compatible: bool = Field(
        True, description="With key: also its relative and its neighbours on the circle of fifths (Camelot +-1)."
    )
    tempo: float | None = Field(None, gt=0, le=1000, description="Target tempo (BPM) rows are ordered by.")
    tempo_min: float | None = Field(None, ge=0, le=1000, description="Lowest tempo (BPM).")
    tempo_max: float | None = Field(None, gt=0, le=1000, description="Highest tempo (BPM).")
    half_double: bool = Field(True, description="Tempos also match at half and double time.")
    loudness_min: float | None = Field(None, ge=-200, le=20, description="Quietest integrated loudness (LUFS).")
    loudness_max: float | None = Field(None, ge=-200, le=20, description="Loudest integrated loudness (LUFS).")
    duration_min: float | None = Field(None, ge=0, description="Shortest duration (s).")
    duration_max: float | None = Field(None, ge=0, description="Longest duration (s).")
    meter: str | None = Field(None, max_length=8, description="Time signature, e.g. 4/4 or 6/8.")
    q: str | None = Field(None, max_length=200, description="Text the file's path contains (case-insensitive).")
    project_id: str | None = Field(
        None, description="Fits this project: its manifest's tempo (and meter) are the targets unless given."
    )
    include_errors: bool = Field(False, description="Also list files that could not be analysed.")
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    page_size: int = Field(50, ge=1, le=500, description="Rows per page.")

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_key(value)
        except ValueError as exc:
            raise InvalidParameter("key", str(exc)) from exc

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, value: str | None) -> str | None:
        # The forms generation takes ('4/4', '6 / 8'): 'banana' is a 422, not a search that finds nothing.
        return None if value is None else GenerationParams._meter(value.replace(" ", ""))

    @field_validator("q")
    @classmethod
    def _path_text(cls, value: str | None) -> str | None:
        # No path holds NUL: SQLite's LIKE stopped at it (q='\x00' matched every file), PostgreSQL refuses it.
        if value is not None and "\x00" in value:
            raise InvalidParameter("q", "may not contain NUL (no file path holds one)")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> LibrarySearchParams:
        for low, high in (
            ("tempo_min", "tempo_max"),
            ("loudness_min", "loudness_max"),
            ("duration_min", "duration_max"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                raise InvalidParameter(low, f"is above {high}")
        return self


class LibraryFileOut(BaseModel):
    id: int
    path: str
    root: str
    size: int
    mtime: float
    sha256: str | None
    status: Literal["ok", "error"]
    error: str | None = Field(description="Why the file could not be analysed (status error).")
    duration: float | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    tempo: float | None
    meter: str | None
    key: str | None
    key_confidence: float | None
    camelot: str | None
    loudness_lufs: float | None
    beats: int | None
    chords: list[str] | None = Field(description="Chord labels, the longest-held first.")
    analysed_at: datetime
    on_disk: bool = Field(
        True,
        description="Whether the file is still there now: false for a file deleted since its folder was "
        "scanned (its row goes at the next scan of the folder).",
    )
    key_match: Literal["exact", "relative", "neighbour"] | None = None
    tempo_factor: float | None = Field(None, description="1, 2 or 0.5: the tempo multiple nearest the target.")

    @field_validator("chords", mode="before")
    @classmethod
    def _chords_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class LibraryClip(BaseModel):
    """What the uploaded clip's analysis found: the targets of POST /api/v1/library/search."""

    filename: str | None
    duration: float
    tempo: float | None = Field(description="Quarter-note tempo (BPM); None without a pulse.")
    key: str | None = Field(description="None without pitched content.")
    key_confidence: float
    camelot: str | None
    meter: str | None


class LibrarySearchResponse(BaseModel):
    total: int = Field(description="Rows matching, over all pages.")
    page: int
    page_size: int
    pages: int
    key: str | None = Field(description="The key searched for, canonical.")
    camelot: str | None
    compatible_keys: list[str] | None = Field(description="The keys matched (with compatible=true).")
    tempo: float | None = Field(description="The target tempo rows are ordered by.")
    meter: str | None = Field(None, description="The meter filtered on (a project's, or as given).")
    items: list[LibraryFileOut] = Field(description="Closest first: key, then tempo distance, then path.")
    clip: LibraryClip | None = Field(None, description="The uploaded clip's analysis (POST only).")
