"""``python main.py`` (how the README runs the engine) on a free port, and one raw HTTP exchange with it,
for tests of what only a real server does: parse raw HTTP, stream a body in as it arrives."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def served_engine(tmp: Path, **settings: str) -> Iterator[int]:
    """The engine's process, its files in ``tmp``, DAWG-CORE down, no Magenta; ``settings`` are more
    DAWG_AI_ variables by lower-case name. Its port, until the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "main.py"], cwd=ROOT, env=engine_environment(tmp, port, **settings), stderr=subprocess.DEVNULL
    )
    try:
        wait_until_serving(server, port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def engine_environment(tmp: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment :func:`served_engine` runs ``python main.py`` in (its files in ``tmp``, on ``port``)."""
    env = dict(
        os.environ,
        DAWG_AI_PORT=str(port),
        DAWG_AI_STATUS_FILE=str(tmp / "status.json"),
        DAWG_AI_PROJECTS_DIR=str(tmp / "projects"),
        DAWG_AI_DATA_DIR=str(tmp / "data"),
        DAWG_AI_CORE_URL="http://127.0.0.1:9",  # the discard port: nothing listens
        DAWG_AI_LOAD_MAGENTA="false",
        DAWG_AI_WARMUP="false",
        DAWG_AI_LOG_LEVEL="warning",
    )
    env.update({f"DAWG_AI_{name.upper()}": value for name, value in settings.items()})
    return env


def wait_until_serving(server: subprocess.Popen[bytes], port: int, timeout: float = 120) -> None:
    """Until the engine's process answers /health on ``port``; RuntimeError when it exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if exchange(port, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("python main.py did not start")
        time.sleep(0.2)


def exchange(port: int, head: bytes, body: Iterable[bytes] = (), timeout: float = 30) -> tuple[int, Any]:
    """Send ``head`` and ``body``'s pieces (which may stop short of what the head announces), then read
    one answer: its status and JSON body. A reset, or no answer within ``timeout``, raises OSError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        for piece in body:
            sock.sendall(piece)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed without an answer after {received!r}")
            received += chunk
        status_line, rest = received.split(b"\r\n", 1)
        fields, content = rest.split(b"\r\n\r\n", 1)
        length = next(
            int(line.split(b":", 1)[1]) for line in fields.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        while len(content) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            content += chunk
    return int(status_line.split()[1]), json.loads(content)
