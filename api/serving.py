"""The engine served by uvicorn (``python main.py``, ``dawg-ai serve``): a server that tells the engine when
its shutdown begins.

uvicorn stops in three steps: it closes its listening socket, waits for every open connection to close, and
only then runs the app's lifespan shutdown, where the engine used to cancel its jobs. A job's event stream
(``GET /api/v1/jobs/{id}/events``) stays open until its job ends, so one listener made a SIGTERM wait for the
whole queue to run (31 s for 7 jobs). :class:`EngineServer` cancels the jobs at the first step instead
(:meth:`api.state.EngineState.begin_stopping`): each open stream sends its last event, cancelled, and ends,
and the server goes on to stop. It does so in uvicorn's own ``shutdown`` coroutine, on the event loop,
whatever asked for the stop (SIGTERM, Ctrl+C, ``should_exit`` set by a test), not inside a signal handler.
A synchronous request still runs to its end, as before: only a second Ctrl+C cuts it short.

That forced exit skips the lifespan's shutdown and ends the event loop, which cancels every task left: the
lifespan's clean-up then ran all the same, and its cancellation was logged as a traceback. The server runs
the lifespan's shutdown itself then; the requests still running are answered 503 (api/middleware.py), and
the process exits with :data:`FORCED_EXIT_CODE`, not 0.
"""

from __future__ import annotations

import contextlib
import signal
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.lifespan.on import LifespanOn

from api.http_limits import uvicorn_options
from api.state import EngineState

FORCED_EXIT_CODE = 128 + signal.SIGINT
"""The exit code after a forced exit (a second Ctrl+C: requests cut short), as a shell reports a command Ctrl+C
stopped; a graceful stop exits 0 (Ctrl+C) or by its signal (SIGTERM: 143)."""


class EngineServer(uvicorn.Server):
    """uvicorn's server for the engine's app: its shutdown begins by stopping the engine's jobs."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        engine = getattr(getattr(self.config.app, "state", None), "engine", None)
        if isinstance(engine, EngineState):  # not yet set: the lifespan never started
            engine.begin_stopping()
        await super().shutdown(sockets=sockets)
        lifespan = self.lifespan
        if self.force_exit and isinstance(lifespan, LifespanOn) and not lifespan.shutdown_event.is_set():
            await lifespan.shutdown()  # skipped by uvicorn on a forced exit (the module docstring says why)


def engine_server(app: FastAPI, *, host: str, port: int, log_level: str) -> EngineServer:
    """The server for ``app`` on ``host``:``port``, with the settings every way of serving the engine uses."""
    return EngineServer(uvicorn.Config(app, host=host, port=port, log_level=log_level, **uvicorn_options()))


def serve(app: FastAPI, *, host: str, port: int, log_level: str) -> int:
    """Serve ``app`` until the process is told to stop, as ``uvicorn.run`` does; the process's exit code."""
    server = engine_server(app, host=host, port=port, log_level=log_level)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C, passed on by uvicorn once its shutdown is over
        server.run()
    if not server.started:
        return STARTUP_FAILURE
    return FORCED_EXIT_CODE if server.force_exit else 0
