"""Shared fixtures: the app built from test settings (temporary directories, a core stand-in)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from main import create_app  # noqa: E402
from tests.support.core_standin import run_core_standin  # noqa: E402
from utils.settings import Settings  # noqa: E402

ClientFactory = Callable[..., Any]


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "projects_dir": tmp / "projects",
        "status_file": tmp / "status" / "DAWG-AI_status.json",
        "core_url": "http://127.0.0.1:9",  # discard port: nothing listens
        "warmup": False,
        "load_magenta": False,
        "workers": 2,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def engine_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
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
