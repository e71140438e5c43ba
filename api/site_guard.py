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
from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request, Response

from api.errors import error_response

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
_PORT = re.compile(r":\d+$")


def host_name(header: str) -> str:
    """The host part of a Host header, lower-cased, without its port ("[::1]:9000" -> "[::1]")."""
    return _PORT.sub("", header.strip().lower())


def install_site_guard(app: FastAPI, *, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]) -> None:
    hosts = LOCAL_HOSTS | {host_name(h) for h in allowed_hosts}
    origins = {o.rstrip("/").lower() for o in allowed_origins}
    local_origin = re.compile(LOCAL_ORIGINS)

    @app.middleware("http")
    async def _site_guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = host_name(request.headers.get("host", ""))
        if host not in hosts:
            return error_response(
                421,
                "host_not_allowed",
                f"this engine answers for localhost, 127.0.0.1 and [::1], not for '{host or '(no Host)'}' "
                "(setting DAWG_AI_ALLOWED_HOSTS)",
            )
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in origins and not local_origin.match(origin):
            return error_response(
                403,
                "origin_not_allowed",
                f"requests from the web page at '{origin}' are refused: only pages on this machine "
                "may call the engine (setting DAWG_AI_CORS_ORIGINS)",
            )
        return await call_next(request)
