"""The app's OpenAPI schema, built in a worker thread: its first build is ~1 s of CPU, and the event loop
that built it (for /openapi.json, the endpoint list of / or of the status file) answered nothing else
meanwhile, /health included."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from fastapi import FastAPI

_building = threading.Lock()


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """``app.openapi()``; one build at a time, so threads asking at once build it once (it is cached on the app)."""
    with _building:
        return app.openapi()


async def build_off_loop(app: FastAPI) -> None:
    """Build (and cache) the schema in a worker thread unless it is built already."""
    if app.openapi_schema is None:
        await asyncio.to_thread(openapi_schema, app)
