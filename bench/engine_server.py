"""The engine as a real server process for benches: ``python main.py`` on a free port with its own
status file and projects folder, and a wait until /health says ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DOWN_CORE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens, so DAWG-CORE is down


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def engine_env(
    port: int, tmp: Path | str, *, core_url: str = DOWN_CORE_URL, magenta: bool = False, **settings: str
) -> dict[str, str]:
    """The environment of an engine on ``port`` whose files live in ``tmp``; ``settings`` are more
    DAWG_AI_ variables by their lower-case names (``jobs_concurrency="2"``)."""
    env = dict(
        os.environ,
        DAWG_AI_PORT=str(port),
        DAWG_AI_STATUS_FILE=f"{tmp}/status.json",
        DAWG_AI_PROJECTS_DIR=f"{tmp}/projects",
        DAWG_AI_CORE_URL=core_url,
        DAWG_AI_LOAD_MAGENTA="true" if magenta else "false",
        DAWG_AI_LOG_LEVEL="warning",
    )
    env.update({f"DAWG_AI_{name.upper()}": value for name, value in settings.items()})
    return env


def start_engine(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``python main.py`` with ``env`` (see :func:`engine_env`), its output discarded."""
    return subprocess.Popen(
        [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_ready(client: httpx.Client, timeout: float = 120) -> None:
    """Until /health answers ready (models loaded, code warmed up); RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get("/health", timeout=1).json().get("ready"):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become ready")
