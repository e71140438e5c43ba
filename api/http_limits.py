"""How large a request's head (request line and headers) may be, and how the server is run to say so.

A 1 MB query string used to get a connection reset: uvicorn's HTTP parser (h11; httptools is not
installed) gives up on a head that arrives in pieces once 16 KiB of it are buffered, answers a
plain-text 400 and closes the socket with the rest of the head unread, which the kernel turns into a
reset. Two bounds replace that:

* The parser buffers heads up to ``HEAD_PARSER_BYTES`` (2 MiB), so a client that sends a huge query
  string or header still gets an HTTP answer it can read. Past that bound uvicorn's own 400 and
  close remain (a client may then see a reset): the bound is what one connection may make the
  engine hold before its request is even routed.
* :class:`HeadLimits` answers the engine's JSON error body for what is over the limits the API
  needs: 414 for a request target (path and query) over ``MAX_TARGET_BYTES`` and 431 for headers
  over ``MAX_HEADER_BYTES`` in all. The parameters fit a query string under 8 KiB (chords: 1,024
  characters; a spoken command of 4,096 characters unless much of it is percent-encoded); larger
  input goes in a JSON or form body. 32 KiB of headers leaves room for a browser's localhost cookies.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

KIB = 1024
MAX_TARGET_BYTES = 8 * KIB
"""Longest request target (path, '?' and query string); longer: 414."""
MAX_HEADER_BYTES = 32 * KIB
"""Most header bytes in all (names, values and their separators); more: 431."""
HEAD_PARSER_BYTES = 2 * KIB * KIB
"""Most bytes of an unfinished head the HTTP parser buffers; heads up to this get the JSON 414/431."""


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings every way of serving the engine uses (main.py, ``dawg-ai serve``, tests).

    h11 by name: it is the parser whose head buffer can be bounded (``h11_max_incomplete_event_size``);
    with uvicorn's "auto", installing httptools would silently swap in a parser without that bound.
    """
    return {"http": "h11", "h11_max_incomplete_event_size": HEAD_PARSER_BYTES}


def _header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) + 4 for name, value in scope["headers"])  # ": " and CRLF


class HeadLimits:
    """ASGI middleware: 414 or 431, with the engine's error body, before anything reads the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope["query_string"]
            target = len(scope.get("raw_path") or scope["path"].encode()) + (len(query) + 1 if query else 0)
            if target > MAX_TARGET_BYTES:
                response = error_response(
                    414,
                    "uri_too_long",
                    f"the request target (path and query string) is {target / KIB:.1f} KiB; at most "
                    f"{MAX_TARGET_BYTES // KIB} KiB: send long parameters in a JSON or form body",
                )
                await response(scope, receive, send)
                return
            headers = _header_bytes(scope)
            if headers > MAX_HEADER_BYTES:
                response = error_response(
                    431,
                    "header_fields_too_large",
                    f"the request headers come to {headers / KIB:.1f} KiB; at most {MAX_HEADER_BYTES // KIB} KiB",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
