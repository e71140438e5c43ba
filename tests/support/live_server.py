"""The engine served by uvicorn in a thread on a free port (as ``python main.py`` serves it), for tests that need a real socket (a
browser, an MCP client, the command line's --url)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from api.serving import engine_server
from main import create_app
from tests.support.ports import free_port
from utils.settings import Settings


@contextmanager
def live_engine(settings: Settings, start_timeout: float = 30.0) -> Iterator[str]:
    """The app of ``settings`` listening on 127.0.0.1: its base URL, until the block ends."""
    port = free_port()
    server = engine_server(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the engine did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
