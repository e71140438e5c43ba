"""Fixtures for HTTP tests: the app built from test settings (temporary directories, a core stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from main import create_app
from tests.support.core_standin import run_core_standin
from utils.settings import Settings


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "projects_dir": tmp / "projects",
        "status_file": tmp / "status" / "DAWG-AI_status.json",
        "data_dir": tmp / "data",  # the library database: never the user's own
        "core_url": "http://127.0.0.1:9",  # discard port: nothing listens
        "warmup": False,
        "load_magenta": False,
        "workers": 2,
        # A stand-in core accepts at once on an idle machine; on a loaded one (CI beside other jobs) the
        # 0.5 s default read a busy accept as "unreachable". The timeouts' own tests set theirs.
        "core_connect_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def engine_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False, base_url="http://localhost") as client:
        yield client


@pytest.fixture(scope="module")
def core() -> Iterator[Any]:
    """A DAWG-CORE stand-in that accepts MIDI imports."""
    with run_core_standin(mode="import_ok") as standin:
        yield standin


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, core: Any) -> Iterator[TestClient]:
    """The engine without Magenta (theory backend), talking to a live core stand-in."""
    tmp = tmp_path_factory.mktemp("engine")
    with engine_client(make_settings(tmp, core_url=core.url)) as test_client:
        yield test_client
