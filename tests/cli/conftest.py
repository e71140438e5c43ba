"""The in-process engine's settings for every command-line test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ports import free_port


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The in-process engine's settings: fast (no Magenta, no warm-up), its own files, DAWG-CORE down."""
    env = {
        "DAWG_AI_LOAD_MAGENTA": "false",
        "DAWG_AI_WARMUP": "false",
        "DAWG_AI_STATUS_FILE": str(tmp_path / "status" / "cli_status.json"),
        "DAWG_AI_PROJECTS_DIR": str(tmp_path / "projects"),
        "DAWG_AI_CORE_URL": "http://127.0.0.1:9",
        "DAWG_AI_PORT": str(free_port()),
        "DAWG_AI_WORKERS": "2",
        "COLUMNS": "200",  # rich's tables: wide enough not to fold the names the tests look for
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path
