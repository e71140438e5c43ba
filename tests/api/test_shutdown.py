"""Stopping the engine: its server stopped with jobs at work and clients watching them, ``python main.py`` stopped
by a signal, and what it leaves behind (the status file)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import api.routes.analysis as analysis_route
from api.serving import engine_server
from main import create_app
from tests.api.conftest import make_settings
from tests.api.test_jobs import SlowAnalysis, song_file
from tests.support.engine_process import ROOT, engine_environment, served_engine, wait_until_serving
from tests.support.ports import free_port

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


def read_events(url: str, into: list[tuple[str, dict[str, Any]]]) -> None:
    """Every (event, data) of the event stream at ``url``, appended to ``into`` until the stream ends."""
    name = ""
    with httpx.stream("GET", url, timeout=60) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append((name, json.loads(line.removeprefix("data: "))))


def test_stopping_the_server_cancels_the_jobs_and_ends_their_event_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One client watching a job's events made a SIGTERM wait for every queued job to run (31 s for 7): the
    server waits for open connections to close before the lifespan's shutdown, which cancelled the jobs."""
    slow = SlowAnalysis(steps=3000, delay=0.02)  # a minute, unless cancelled
    monkeypatch.setattr(analysis_route, "analyze_summary", slow)
    app = create_app(make_settings(tmp_path, jobs_concurrency=1))
    server = engine_server(app, host="127.0.0.1", port=free_port(), log_level="warning")
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert serving.is_alive() and time.monotonic() < deadline, "the engine did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.config.port}"
    streams: dict[str, list[tuple[str, dict[str, Any]]]] = {"running": [], "queued": []}
    readers: list[threading.Thread] = []
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            running = client.post("/api/v1/analyze/audio", data={"async": "true"}, files=song_file()).json()
            queued = [client.post("/api/v1/generate/melody", json={"async": True, "bars": 1}).json() for _ in range(3)]
            while client.get(running["status_url"]).json()["stage"] != "slow step":  # the work itself reports
                assert time.monotonic() < deadline, "the analysis did not start"
                time.sleep(0.02)
        for name, job in (("running", running), ("queued", queued[-1])):
            readers.append(threading.Thread(target=read_events, args=(base + job["events_url"], streams[name])))
            readers[-1].start()
        while not all(streams.values()):  # both streams are open: they have sent their first event
            assert time.monotonic() < deadline, "the event streams did not start"
            time.sleep(0.02)

        server.should_exit = True  # what SIGTERM does (uvicorn's handle_exit)
        for reader in readers:
            reader.join(timeout=30)
        serving.join(timeout=30)
        assert not any(reader.is_alive() for reader in readers), "an event stream did not end"
        assert not serving.is_alive(), "the server did not stop"
    finally:
        server.force_exit = True  # a failed test leaves no server waiting
    for name, events in streams.items():
        assert events[-1][0] == "done", name
        assert events[-1][1]["state"] == "cancelled", (name, events[-1][1])
    assert streams["queued"][-1][1]["stage"] == "cancelled before it started"
    assert slow.stopped.wait(10), "the running analysis went on in its thread"


def wait_for_line(log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"no {text!r} in the log: {log.read_text(errors='replace')}"
        time.sleep(0.05)


def test_a_forced_shutdown_answers_the_request_in_flight_503_and_does_not_exit_0(tmp_path: Path) -> None:
    """A second Ctrl+C while a request ran: the client got uvicorn's plain-text 500, the log two CancelledError
    tracebacks, and the process exited 0."""
    port = free_port()
    log = tmp_path / "engine.log"
    with log.open("wb") as log_file:
        engine = subprocess.Popen(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env=engine_environment(tmp_path, port, log_level="info", status_interval_s=STATUS_INTERVAL_S),
            stderr=log_file,
            stdout=log_file,
        )
    try:
        wait_until_serving(engine, port)
        wait_for_file(tmp_path / "status.json")
        with socket.create_connection(("127.0.0.1", port), timeout=60) as request:
            # An upload half sent: its request runs (reading the body) until the shutdown cancels it. The server
            # answers "100 Continue" once the route reads the body: then the request is surely in flight.
            request.sendall(
                b"POST /api/v1/analyze/audio HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
                b"Content-Type: multipart/form-data; boundary=cut\r\nExpect: 100-continue\r\n\r\n"
            )
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += request.recv(65536)
            assert answer.startswith(b"HTTP/1.1 100 "), answer
            request.sendall(b"--cut\r\n")
            engine.send_signal(signal.SIGINT)
            wait_for_line(log, "Waiting for connections to close")  # the graceful shutdown waits for it
            engine.send_signal(signal.SIGINT)  # the second Ctrl+C: forced
            answer = b""
            while chunk := request.recv(65536):
                answer += chunk
        assert engine.wait(timeout=60) == 130
    finally:
        engine.kill()
        engine.wait(timeout=30)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 503 "), answer
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["error"] == "shutting_down"
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text
    assert json.loads((tmp_path / "status.json").read_text())["phase"] == "stopped"
