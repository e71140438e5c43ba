"""Cross-site protection: only this machine's callers reach the engine.

The service binds 127.0.0.1, but a web page the user visits can still send it simple requests
(form POSTs need no CORS preflight: the browser sends them and only hides the answer), and a
DNS-rebinding page reaches it under its own host name. Two checks close both doors while every
real caller keeps working:

* ``Host`` must name this machine: ``localhost``, ``127.0.0.1`` or ``[::1]`` (any port), or a name
  in the ``allowed_hosts`` setting. A rebinding page sends its own name: refused (421).
* ``Origin``, when a browser sends one, must be a local page (http(s)://localhost, 127.0.0.1 or
  [::1], any port) or in the ``cors_origins`` setting. curl, DAWG-CORE's JUCE client and Jarvis
  send no Origin; the web front end on localhost sends its own. Any other page: refused (403).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
_PORT = re.compile(r":\d+$")


def host_name(header: str) -> str:
    """The host part of a Host header, lower-cased, without its port ("[::1]:9000" -> "[::1]")."""
    return _PORT.sub("", header.strip().lower())


class SiteGuard:
    """ASGI middleware: 421 for a Host that is not this machine, 403 for a browser page that is not local."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = LOCAL_HOSTS | {host_name(h) for h in allowed_hosts}
        self.origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.local_origin = re.compile(LOCAL_ORIGINS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            host = host_name(headers.get("host", ""))
            if host not in self.hosts:
                refused = error_response(
                    421,
                    "host_not_allowed",
                    f"this engine answers for localhost, 127.0.0.1 and [::1], not for '{host or '(no Host)'}' "
                    "(setting DAWG_AI_ALLOWED_HOSTS)",
                )
                await refused(scope, receive, send)
                return
            origin = headers.get("origin")
            if (
                origin is not None
                and origin.rstrip("/").lower() not in self.origins
                and not self.local_origin.match(origin)
            ):
                refused = error_response(
                    403,
                    "origin_not_allowed",
                    f"requests from the web page at '{origin}' are refused: only pages on this machine "
                    "may call the engine (setting DAWG_AI_CORS_ORIGINS)",
                )
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_site_guard(app: FastAPI, *, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]) -> None:
    """Plain ASGI (not ``@app.middleware``): see api/middleware.py for why."""
    app.add_middleware(SiteGuard, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins)
