"""Clients of the engine's REST API for its local front ends (the MCP server over stdio, the ``dawg-ai``
command line): the engine built in this process and called without a socket, or a running engine.

In process, :func:`engine_client` builds the app with ``create_app`` (the ``DAWG_AI_*`` settings), runs its
lifespan (models load, pools start) for as long as the client is open, and sends every request through
``httpx.ASGITransport``: the same routes, validation and error bodies as over HTTP. With a URL it is a plain
``httpx.AsyncClient`` of that engine.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from utils.settings import ENV_PREFIX, Settings

IN_PROCESS_BASE_URL = "http://localhost"  # a Host the site guard (api/site_guard.py) lets in
PROXY_CONNECT_TIMEOUT_S = 5.0


def in_process_client(app: FastAPI) -> httpx.AsyncClient:
    """A client of ``app`` itself, without a socket. App exceptions come back as the engine's 500
    body, not raised into the caller; no timeout: a long analysis is the engine's to bound."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE_URL, timeout=None)


def remote_client(url: str, timeout_s: float) -> httpx.AsyncClient:
    """A client of the engine running at ``url``: a short connect timeout (a stopped engine is said at
    once), ``timeout_s`` for the rest of one request."""
    timeout = httpx.Timeout(timeout_s, connect=PROXY_CONNECT_TIMEOUT_S)
    return httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app's lifespan (what a server runs around serving), entered here."""
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def engine_client(
    settings: Settings | None = None, *, url: str | None = None, timeout_s: float = 600.0
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the engine at ``url``, or of one built and started in this process from ``settings``."""
    if url:
        async with remote_client(url, timeout_s) as client:
            yield client
        return
    from main import create_app  # the whole engine (and TensorFlow's environment): only in this mode

    app = create_app(settings)
    async with running(app), in_process_client(app) as client:
        yield client


def own_status_file(settings: Settings, file_name: str) -> Settings:
    """The settings with this process's own status file ``file_name`` beside the service's, unless
    DAWG_AI_STATUS_FILE chose one: the service's file describes the service, and its writer would be
    overwritten every few minutes."""
    if f"{ENV_PREFIX}STATUS_FILE" in os.environ:
        return settings
    return settings.model_copy(update={"status_file": settings.status_file.with_name(file_name)})


def service_answers(settings: Settings) -> bool:
    """Whether an engine already serves the configured port on this machine."""
    try:
        return httpx.get(f"http://127.0.0.1:{settings.port}/health", timeout=0.3).status_code == 200
    except httpx.HTTPError:
        return False


def json_values(values: dict[str, Any]) -> dict[str, Any]:
    """Values as a JSON body: a float JSON cannot carry (NaN, an infinity: ``--tempo nan``, an MCP client's
    ``"tempo": "NaN"`` read as a float) goes as its text, as a query string would carry it, so that the
    endpoint refuses it (422 naming the parameter) instead of the encoder raising before anything is sent."""
    return {
        name: str(value) if isinstance(value, float) and not math.isfinite(value) else value
        for name, value in values.items()
    }


def form_fields(values: dict[str, Any]) -> dict[str, str]:
    """Values as the form fields the endpoints read (the same text a curl -F would send)."""
    fields = {}
    for name, value in values.items():
        if isinstance(value, bool):
            fields[name] = "true" if value else "false"
        elif isinstance(value, dict | list):
            fields[name] = json.dumps(value)
        else:
            fields[name] = str(value)
    return fields
