"""api/client_watch.py: a synchronous request's work stops when its client hangs up, through the whole
middleware stack (a Starlette BaseHTTPMiddleware hid the disconnect from the route)."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from ai import progress
from api.client_watch import ClientGone, while_connected
from api.routes import transcription
from tests.api.conftest import make_settings
from tests.support.live_server import live_engine

STOP_WITHIN_S = 3.0  # the poll (0.5 s) and one checkpoint, with room for a loaded machine


class Worker:
    """Blocking work that checks for cancellation every 10 ms, as the engine's loops do, for up to 20 s."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()  # it raised Cancelled
        self.finished = threading.Event()  # it ran to the end

    def __call__(self, *args: object) -> str:
        self.started.set()
        deadline = time.monotonic() + 20.0
        try:
            while time.monotonic() < deadline:
                progress.check()
                time.sleep(0.01)
        except progress.Cancelled:
            self.stopped.set()
            raise
        self.finished.set()
        return "done"


class FakeRequest:
    """What while_connected reads of a request: its client leaves after ``leave_after_s`` (None: stays)."""

    method, url = "POST", httpx.URL("http://localhost/api/v1/x")

    def __init__(self, leave_after_s: float | None) -> None:
        self.leaves_at = None if leave_after_s is None else time.monotonic() + leave_after_s

    async def is_disconnected(self) -> bool:
        return self.leaves_at is not None and time.monotonic() >= self.leaves_at


async def _in_thread(worker: Worker) -> str:
    context = contextvars.copy_context()  # as EngineState.run: the request's reporter reaches the thread
    return await asyncio.get_running_loop().run_in_executor(None, context.run, worker)


def test_a_gone_client_stops_the_work_in_its_thread() -> None:
    worker = Worker()

    async def main() -> None:
        with pytest.raises(ClientGone, match="disconnected"):
            await while_connected(FakeRequest(0.3), _in_thread(worker), poll_s=0.05)  # type: ignore[arg-type]

    started = time.monotonic()
    asyncio.run(main())
    assert worker.stopped.wait(STOP_WITHIN_S)
    assert not worker.finished.is_set()
    assert time.monotonic() - started < STOP_WITHIN_S


def test_a_request_the_server_cancels_stops_the_work_in_its_thread() -> None:
    """A forced shutdown cancels the requests still running: their work went on in its worker thread, and the
    process waited for it before it could exit."""
    worker = Worker()

    async def main() -> None:
        request = asyncio.create_task(while_connected(FakeRequest(None), _in_thread(worker), poll_s=0.05))  # type: ignore[arg-type]
        while not worker.started.is_set():
            await asyncio.sleep(0.01)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    asyncio.run(main())
    assert worker.stopped.wait(STOP_WITHIN_S), "the work went on after its request was cancelled"
    assert not worker.finished.is_set()


def test_a_client_that_stays_gets_the_result_and_errors_pass_through() -> None:
    async def quick() -> str:
        await asyncio.sleep(0.1)
        return "answer"

    async def failing() -> str:
        raise ValueError("the work's own error")

    assert asyncio.run(while_connected(FakeRequest(None), quick(), poll_s=0.02)) == "answer"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="own error"):
        asyncio.run(while_connected(FakeRequest(None), failing(), poll_s=0.02))  # type: ignore[arg-type]


def _wav(seconds: float = 1.0, sr: int = 22050) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, format="WAV")
    return buffer.getvalue()


def _post_and_hang_up(base: str, worker: Worker, path: str, request: httpx.Request) -> None:
    """Send ``request`` whole over a real socket, and close the connection once its work has started."""
    body = request.read()
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in request.headers.items() if name.lower() != "host"
    )
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        assert worker.started.wait(20), "the work never started"


def test_a_transcription_stops_when_its_client_hangs_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Through uvicorn and every middleware: the client sends the whole upload, then hangs up while the
    model runs (here a stand-in that would run 20 s); the work stops and the log says so on one line."""
    caplog.set_level(logging.INFO)
    worker = Worker()
    monkeypatch.setattr(transcription, "_transcribe", worker)
    request = httpx.Request("POST", "http://localhost/api/v1/transcribe", files={"file": ("a.wav", _wav())})
    with live_engine(make_settings(tmp_path)) as base:
        _post_and_hang_up(base, worker, "/api/v1/transcribe", request)
        assert worker.stopped.wait(STOP_WITHIN_S + 1.0), "the work went on after its client had gone"
        assert not worker.finished.is_set()
        deadline = time.monotonic() + 5
        while not any("its work was stopped" in record.getMessage() for record in caplog.records):
            assert time.monotonic() < deadline, "the hang-up was not logged"
            time.sleep(0.05)
    gone = [record for record in caplog.records if "its work was stopped" in record.getMessage()]
    assert len(gone) == 1 and gone[0].levelno == logging.INFO and "/api/v1/transcribe" in gone[0].getMessage()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
