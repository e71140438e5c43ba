"""Every path, port, URL, limit and interval of the engine, read from ``DAWG_AI_*`` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "DAWG_AI_"


class Settings(BaseSettings):
    """Engine settings. Each field is read from ``DAWG_AI_<FIELD NAME IN CAPITALS>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(9000, ge=1, le=65535, description="Port the HTTP server listens on.")
    log_level: str = Field("info", description="Logging level (debug, info, warning, error).")

    core_url: str = Field("http://localhost:8080", description="Base URL of DAWG-CORE's REST API.")
    core_connect_timeout_s: float = Field(0.5, gt=0, description="TCP connect timeout to DAWG-CORE.")
    core_timeout_s: float = Field(2.0, gt=0, description="Read/write timeout of one call to DAWG-CORE.")
    core_deadline_s: float = Field(
        2.5, gt=0, lt=3, description="Overall limit of one call to DAWG-CORE, retries included."
    )
    core_retries: int = Field(1, ge=0, le=5, description="Extra tries for idempotent (GET) calls to DAWG-CORE.")

    projects_dir: Path = Field(
        Path.home() / "Music" / "DAWG" / "Projects", description="DAWG-CORE's projects directory."
    )
    models_dir: Path = Field(
        REPO_ROOT / "models",
        description="Folder of Magenta generator bundles (.mag) and the velocity tables; the analysis, mixing "
        "and drum models are read from it when it holds them, else from <repo>/models.",
    )
    status_file: Path = Field(
        Path.home() / "Development" / "status" / "DAWG-AI_status.json",
        description="Status JSON file rewritten on schedule.",
    )
    status_interval_s: float = Field(300.0, gt=0, description="Seconds between status file rewrites.")
    write_status_file: bool = Field(
        True,
        description="Write the status file at start-up, every status_interval_s and when the engine stops (off for "
        "one-shot commands).",
    )

    max_upload_mb: float = Field(
        512.0,
        gt=0,
        description="Largest accepted file in an upload, in megabytes (a 3-minute 24-bit 96 kHz stereo stem is ~100 MB).",
    )
    max_request_mb: float = Field(
        1024.0,
        gt=0,
        description="Largest accepted request body (all uploaded files together), in megabytes: "
        "an 8-stem, 3-minute, 24-bit session is ~250 MB at 48 kHz.",
    )
    upload_dir: Path | None = Field(
        None,
        description="Folder for uploads on their way to the decoder, and for a mixing request's decoded stems "
        "and rendered mix (default: the system's temporary folder).",
    )
    max_audio_duration_s: float = Field(
        1800.0, gt=0, description="Longest audio accepted for analysis, in seconds (longer: 413)."
    )
    workers: int = Field(4, ge=1, le=64, description="Threads for decoding and analysis.")
    quick_workers: int = Field(
        2,
        ge=1,
        le=64,
        description="Threads for MIDI generation, apart from the analyses' so that a clip never waits behind them.",
    )
    warmup: bool = Field(True, description="Compile and load heavy code paths at start-up.")
    model_load_wait_s: float = Field(
        30.0, ge=0, description="How long a generation request waits for bundles still loading at start-up."
    )
    load_magenta: bool = Field(True, description="Load Magenta bundles from models_dir at start-up.")
    mcp: bool = Field(
        True, description="Serve the MCP tools at /mcp (off for one-shot commands: saves ~0.5 s of start-up)."
    )

    jobs_max_queued: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Jobs (async=true requests) that may wait at once; one more is answered 503 with Retry-After.",
    )
    jobs_concurrency: int = Field(
        1,
        ge=1,
        le=16,
        description="Jobs that run at once. 1: one job's work already keeps two cores busy (the analysis' side "
        "pool, the per-stem pool, numba kernels that release the GIL), so a second only splits them and "
        "doubles peak memory; synchronous requests still run beside it.",
    )
    jobs_keep_s: float = Field(
        3600.0, gt=0, description="Seconds a finished job and its result are kept for GET /api/v1/jobs/{id}."
    )

    data_dir: Path = Field(
        Path.home() / ".local" / "share" / "dawg-ai",
        description="The engine's own data (the library database, library.sqlite).",
    )
    library_roots: list[Path] = Field(
        default_factory=list,
        description="Folders whose audio files the library may scan (JSON list); nothing outside them is read.",
    )
    library_db_url: str | None = Field(
        None, description="SQLAlchemy URL of the library database (default: SQLite at <data_dir>/library.sqlite)."
    )
    library_scan_mode: str = Field(
        "dask",
        pattern="^(dask|sequential)$",
        description="dask: a library scan analyses files on Dask workers; sequential: one after another in-process.",
    )
    dask_scheduler: str | None = Field(
        None,
        description="Address of a Dask scheduler (tcp://host:8786) for library scans; "
        "default an in-process LocalCluster sized to the machine.",
    )
    dask_workers: int | None = Field(
        None, ge=1, le=256, description="Workers of the LocalCluster for library scans (default: the machine's cores)."
    )
    dask_processes: bool = Field(
        True,
        description="LocalCluster workers as processes (one thread each; about 330 MB each); false: threads in the "
        "engine's process (no extra memory, but no faster than a sequential scan: the analysis holds the GIL).",
    )

    cors_origins: list[str] = Field(
        default_factory=list,
        description="Extra web origins allowed to call the engine (JSON list); pages on localhost always are.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Extra names the engine answers for in the Host header (JSON list); localhost, "
        "127.0.0.1 and [::1] always are.",
    )

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * 1024 * 1024)

    @property
    def library_url(self) -> str:
        """The library database's URL: the setting, else SQLite in data_dir."""
        return self.library_db_url or f"sqlite:///{self.data_dir.expanduser() / 'library.sqlite'}"
