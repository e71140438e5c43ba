"""Stopping the engine: ``python main.py`` stopped by a signal, and what it leaves behind (the status file)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.support.engine_process import ROOT, engine_environment, served_engine

STATUS_INTERVAL_S = "3600"  # one write at start-up (and one when start-up ends): none of the tests' own


def wait_for_file(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)


def test_sigterm_leaves_a_status_file_that_says_stopped(tmp_path: Path) -> None:
    """After a graceful SIGTERM the file said "serving" with every endpoint ready, though nothing answered."""
    status_file = tmp_path / "status.json"
    with served_engine(tmp_path, status_interval_s=STATUS_INTERVAL_S):
        wait_for_file(status_file)
        assert json.loads(status_file.read_text())["api_endpoints_ready"]
    content = json.loads(status_file.read_text())  # served_engine's SIGTERM has ended the process
    assert content["phase"] == "stopped"
    assert content["api_endpoints_ready"] == []
    assert not any(model["loaded"] for model in content["ai_models"])


def test_an_engine_that_cannot_bind_its_port_leaves_the_status_file_alone(tmp_path: Path) -> None:
    """A second engine started on the port of a running one fails to bind and stops: the running one's file
    keeps saying "serving", not the second one's "stopped"."""
    status_file = tmp_path / "status.json"
    with served_engine(tmp_path, status_interval_s=STATUS_INTERVAL_S) as port:
        wait_for_file(status_file)
        running = json.loads(status_file.read_text())
        second = subprocess.run(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env=engine_environment(tmp_path, port, status_interval_s=STATUS_INTERVAL_S),
            stderr=subprocess.PIPE,
            timeout=120,
        )
        assert second.returncode != 0 and b"address already in use" in second.stderr
        after = json.loads(status_file.read_text())
        assert (after["phase"], after["started_at"]) == ("serving", running["started_at"])
