"""Serving the MCP tools (api/mcp_tools.py): over streamable HTTP at /mcp of the engine's own app, and over
stdio by the console entry point ``dawg-ai-mcp`` (also ``python -m api.mcp_server``).

HTTP: :func:`mount` (called by ``create_app``) adds the /mcp route and documents it in the OpenAPI
schema (so /docs, ``GET /`` and the status file list it); :func:`serving` (entered by the app's
lifespan) runs the SDK's session manager and the tools' in-process client while the app serves.
The route sits behind the engine's middlewares: the site guard (Host and Origin) is the one
DNS-rebinding check, so the SDK's own copy of it is off.

stdio: by default the engine runs in this process (``create_app`` with the ``DAWG_AI_*`` settings and
its lifespan, so models load) and writes its own status file, ``DAWG-AI-MCP_status.json`` beside the
service's, unless ``DAWG_AI_STATUS_FILE`` names one; with ``--url`` it forwards every tool call to a
running engine instead. Only MCP messages reach stdout: logging goes to stderr, and so does anything
printed while the engine is built.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api import local_client
from api.errors import error_response
from api.local_client import in_process_client, remote_client
from api.mcp_tools import EngineCaller, build_mcp_server
from utils.settings import Settings

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
MCP_MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest MCP message: a tool call with ~45 MB of base64 audio. Larger files: pass a path."""
MCP_STATUS_FILE_NAME = "DAWG-AI-MCP_status.json"


class _Endpoint:
    """The ASGI app at /mcp: the session manager of the lifespan now running (a manager runs only once,
    and an app's lifespan may run again, as in tests)."""

    def __init__(self) -> None:
        self.manager: StreamableHTTPSessionManager | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.manager is None:
            response = error_response(503, "mcp_not_running", "the MCP server is starting or shutting down")
            await response(scope, receive, send)
            return
        await self.manager.handle_request(scope, receive, send)


@dataclass
class McpMount:
    server: MCPServer[Any]
    caller: EngineCaller
    endpoint: _Endpoint = field(default_factory=_Endpoint)


_OPENAPI_DESCRIPTION = (
    "The engine's tools (analyze_audio, generate_drums, generate_bassline, generate_melody, mixing_suggest, "
    "auto_level, analyze_project, command, transport) for MCP clients, over the Model Context Protocol's streamable "
    "HTTP transport (JSON-RPC messages; answers as server-sent events). Point an MCP client at "
    "http://localhost:9000/mcp; `tools/list` gives every tool's JSON schema."
)
_SESSION_HEADER = {
    "name": "mcp-session-id",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The session id that the initialize answer gave (Mcp-Session-Id).",
}
_GUARD_RESPONSES = {
    "403": {"description": "A browser page that is not on this machine (its Origin): refused, as on every route."},
    "421": {"description": "A Host that is not this machine's (DNS rebinding): refused, as on every route."},
}
_JSON_RPC_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
OPENAPI_PATH: dict[str, Any] = {
    method: {
        "tags": ["mcp"],
        "summary": summary,
        "description": _OPENAPI_DESCRIPTION,
        "parameters": [_SESSION_HEADER],
        # Every route's site guard (api/site_guard.py) answers before the MCP server does.
        "responses": {**responses, **_GUARD_RESPONSES},
        **({"requestBody": _JSON_RPC_BODY} if method == "post" else {}),
    }
    for method, summary, responses in (
        (
            "post",
            "MCP: send a JSON-RPC message (initialize, tools/list, tools/call ...)",
            {
                "200": {"description": "The answer, as a server-sent event stream or JSON."},
                "202": {"description": "A notification or response, accepted."},
                "400": {"description": "Not a valid MCP message, or a missing session id."},
                "404": {"description": "Unknown or expired session."},
                "406": {"description": "The Accept header must list application/json and text/event-stream."},
            },
        ),
        (
            "get",
            "MCP: the session's stream of server messages (server-sent events)",
            {
                "200": {"description": "A server-sent event stream.", "content": {"text/event-stream": {}}},
                "400": {"description": "Missing session id."},
                "404": {"description": "Unknown or expired session."},
                "406": {"description": "The Accept header must list text/event-stream."},
            },
        ),
        (
            "delete",
            "MCP: end the session",
            {
                "200": {"description": "The session ended."},
                "400": {"description": "Missing session id."},
                "404": {"description": "Unknown or expired session."},
            },
        ),
    )
}


def mount(app: FastAPI) -> None:
    """Serve the tools at /mcp of ``app``, calling ``app`` itself for each tool call."""
    caller = EngineCaller(lambda: in_process_client(app))
    state = McpMount(build_mcp_server(caller, version=str(app.version)), caller)
    app.state.mcp = state
    app.router.routes.append(Route(MCP_PATH, endpoint=state.endpoint, methods=["GET", "POST", "DELETE"]))

    schema_without_mcp = app.openapi

    def openapi() -> dict[str, Any]:
        schema = schema_without_mcp()  # built once and cached by FastAPI; the entry is set on that copy
        schema.setdefault("paths", {})[MCP_PATH] = OPENAPI_PATH
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves: the session manager of /mcp and the tools' in-process client."""
    state: McpMount = app.state.mcp
    state.server.streamable_http_app(  # creates a fresh session manager; the Starlette app it returns is not used
        streamable_http_path=MCP_PATH,
        max_request_body_size=MCP_MAX_BODY_BYTES,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = state.server.session_manager
    async with state.caller.open(), manager.run():
        state.endpoint.manager = manager
        try:
            yield
        finally:
            state.endpoint.manager = None


# ---------------------------------------------------------------- stdio


def engine_in_process(settings: Settings) -> MCPServer[Any]:
    """The tools over an engine built here; it starts (models load) when the MCP server starts."""
    from main import create_app  # the whole engine (and TensorFlow's environment): only in this mode

    app = create_app(settings)
    caller = EngineCaller(lambda: in_process_client(app))

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        async with local_client.running(app), caller.open():
            yield

    return build_mcp_server(caller, version=str(app.version), lifespan=lifespan)


def engine_over_http(url: str, timeout_s: float) -> MCPServer[Any]:
    """The tools over a running engine at ``url``."""
    caller = EngineCaller(lambda: remote_client(url, timeout_s))

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[None]:
        async with caller.open():
            yield

    return build_mcp_server(caller, version="proxy", lifespan=lifespan)


def own_status_file(settings: Settings) -> Settings:
    """The settings with this process's own status file (MCP_STATUS_FILE_NAME), unless DAWG_AI_STATUS_FILE chose one."""
    return local_client.own_status_file(settings, MCP_STATUS_FILE_NAME)


def in_process_settings(settings: Settings) -> Settings:
    """The settings of the engine this process runs: its own status file (:func:`own_status_file`), and that file
    even where DAWG_AI_STATUS_FILE chose one when an engine already serves the port with these settings. Two
    engines must not write one file: the service's document was overwritten with this one's, and marked
    "stopped" when this process exited while the service went on serving."""
    settings = own_status_file(settings)
    if not local_client.service_answers(settings):
        return settings
    own = settings.model_copy(update={"status_file": settings.status_file.with_name(MCP_STATUS_FILE_NAME)})
    logger.warning(
        "an engine already serves port %d: this process runs a second one (status file %s); "
        "use --url http://127.0.0.1:%d to share it",
        settings.port,
        own.status_file,
        settings.port,
    )
    return own


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="dawg-ai-mcp",
        description="The DAWG AI Engine's tools for MCP clients, over stdio. By default the engine runs in this "
        "process (DAWG_AI_* settings); with --url, tool calls go to a running engine.",
    )
    parser.add_argument("--url", help="a running engine to forward tool calls to, e.g. http://127.0.0.1:9000")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="with --url: seconds one tool call may take (default 600)"
    )
    args = parser.parse_args(argv)

    # Until the SDK takes stdout over, file descriptor 1 points at stderr: a library that prints while the
    # engine is built must not put a stray line into the protocol.
    sys.stdout.flush()
    wire = os.dup(1)
    os.dup2(2, 1)
    try:
        settings = Settings()
        logging.basicConfig(
            stream=sys.stderr,
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        if args.url:
            server = engine_over_http(args.url.rstrip("/"), args.timeout)
            logger.info("MCP over stdio: forwarding tool calls to %s", args.url)
        else:
            settings = in_process_settings(settings)
            server = engine_in_process(settings)
            logger.info("MCP over stdio: the engine runs in this process (status file %s)", settings.status_file)
        sys.stdout.flush()
    finally:
        os.dup2(wire, 1)
        os.close(wire)
    server.run("stdio")


if __name__ == "__main__":
    main()
