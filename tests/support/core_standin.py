"""A real HTTP server that behaves like DAWG-CORE's REST API, quirks included.

It implements the contract of ``shared/reference/dawg-core.md`` section 1 on a free
``127.0.0.1`` port, in a background thread, with the standard library only:

* every answer is ``HTTP/1.1 200 OK`` with a JSON body, errors included;
* the routes of the table (health, transport play/stop, project status, the analyze and
  generate stubs); anything else answers ``{"error": "Not found"}``, including
  ``POST /api/v1/midi/import`` unless the mode is ``"import_ok"``;
* the request reader works like the core's: it reads the socket in 1024-byte chunks and stops at
  the first short read (``read_quirk=True``), so a body that is not already in the socket buffer
  when the reader gets there is lost or cut. With httpx, which writes headers and body
  separately, a POST body of a few kB is often lost entirely. The quirk is on by default in
  every mode but ``"import_ok"`` (a core that implements the import route is taken to read whole
  requests; pass ``read_quirk=True`` to combine both). ``cut_body_at=N`` cuts every body to ``N``
  bytes, to reproduce the loss deterministically.

Modes (``run_core_standin(mode=...)``):

``"normal"``
    The contract as specified; play/stop change ``isPlaying`` and ``currentPosition`` advances
    while playing.
``"down"``
    Nothing listens: ``.url`` points at a free local port that was closed again.
``"slow"``
    Like ``"normal"`` but every answer waits ``delay_s`` seconds (5 s when not given).
``"error"``
    Every request, known route or not, answers ``{"error": "<message>"}`` (``error_message``).
``"garbage"``
    Every answer is a 200 whose body is not JSON.
``"bad_shape"``
    Every answer is JSON without an ``"error"`` key but not of the contract's shape.
``"import_ok"``
    Like ``"normal"`` plus a working ``POST /api/v1/midi/import``: it parses
    ``{"midi_data": "<base64>", ...}``, checks the MIDI header and records the decoded bytes in
    ``.imports``; a body it cannot parse answers ``{"error": "Invalid JSON body"}`` (or a more
    precise error), as a core would after a cut read.

``delay_s`` applies in every mode (to the first ``delay_first_n`` requests only, when given: a
core that is slow once and then recovers). Every request seen (also in slow mode, before the wait) is
recorded in ``.received``. ``.mode`` and ``.delay_s`` may be changed while the server runs
(not to or from ``"down"``).

Typical use::

    with run_core_standin(mode="import_ok") as core:
        client = CoreClient(core.url, connect_timeout=0.5, timeout=2.0, retries=1)
        ...
        assert core.imports[0] == midi_bytes
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MODES = ("normal", "down", "slow", "error", "garbage", "bad_shape", "import_ok")
DEFAULT_SLOW_DELAY_S = 5.0
CHUNK = 1024
_SOCKET_TIMEOUT_S = 2.0
_MAX_REQUEST_BYTES = 64 * 1024 * 1024

HEALTH_BODY = {"status": "healthy", "version": "1.0.0"}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the stand-in read it (after any cut of the body)."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    content_length: int | None  # what the client announced; len(body) may be smaller
    at: float  # time.monotonic() on arrival

    @property
    def truncated(self) -> bool:
        return self.content_length is not None and len(self.body) < self.content_length

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class CoreStandin:
    """Handle on a running stand-in. ``url`` has no trailing slash."""

    url: str
    mode: str
    delay_s: float = 0.0
    num_tracks: int = 4
    error_message: str = "Audio engine not initialised"
    read_quirk: bool = True
    cut_body_at: int | None = None
    delay_first_n: int | None = None
    _received: list[ReceivedRequest] = field(default_factory=list, repr=False)
    _imports: list[bytes] = field(default_factory=list, repr=False)
    _import_names: list[str | None] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, repr=False)
    _playing_since: float | None = field(default=None, repr=False)
    _position_s: float = field(default=0.0, repr=False)

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request seen so far, in order of arrival (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def imports(self) -> list[bytes]:
        """MIDI files accepted by ``/api/v1/midi/import`` (``"import_ok"`` mode), decoded."""
        with self._lock:
            return list(self._imports)

    @property
    def import_names(self) -> list[str | None]:
        """The ``name`` field sent with each accepted import (``None`` when absent)."""
        with self._lock:
            return list(self._import_names)

    def requests_to(self, path: str, method: str | None = None) -> list[ReceivedRequest]:
        """Requests seen for ``path`` (and ``method`` when given)."""
        return [r for r in self.received if r.path == path and (method is None or r.method == method)]

    # -- request handling (runs in server threads) -------------------------------------------

    def _record(self, request: ReceivedRequest) -> int:
        """Store ``request``; returns how many requests came before it."""
        with self._lock:
            self._received.append(request)
            return len(self._received) - 1

    def _delay_for(self, index: int) -> float:
        if self.delay_first_n is not None and index >= self.delay_first_n:
            return 0.0
        return self.delay_s

    def _position(self) -> float:
        with self._lock:
            if self._playing_since is None:
                return self._position_s
            return self._position_s + (time.monotonic() - self._playing_since)

    def _answer(self, request: ReceivedRequest) -> bytes:
        """The body to send for ``request`` in the current mode."""
        mode = self.mode
        if mode == "garbage":
            return b"<html><body>Internal Server Error</body></html>"
        if mode == "error":
            return _json({"error": self.error_message})
        if mode == "bad_shape":
            return _json({"result": "ok", "numTracks": "four", "isPlaying": "maybe"})
        route = (request.method, request.path)
        if route == ("GET", "/api/v1/health"):
            return _json(HEALTH_BODY)
        if route == ("POST", "/api/v1/transport/play"):
            with self._lock:
                if self._playing_since is None:
                    self._playing_since = time.monotonic()
            return _json({"status": "playing"})
        if route == ("POST", "/api/v1/transport/stop"):
            with self._lock:
                if self._playing_since is not None:
                    self._position_s += time.monotonic() - self._playing_since
                    self._playing_since = None
            return _json({"status": "stopped"})
        if route == ("GET", "/api/v1/project/status"):
            with self._lock:
                playing = self._playing_since is not None
            return _json(
                {
                    "numTracks": self.num_tracks,
                    "isPlaying": playing,
                    "currentPosition": self._position(),
                }
            )
        if route == ("POST", "/api/v1/project/analyze"):
            return _json({"status": "analyzing", "message": "Analysis queued"})
        if route == ("POST", "/api/v1/generate/midi"):
            return _json({"status": "generating", "message": "MIDI generation queued"})
        if route == ("POST", "/api/v1/midi/import") and mode == "import_ok":
            return _json(self._import(request.body))
        return _json({"error": "Not found"})

    def _import(self, body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {"error": "Invalid JSON body"}
        if not isinstance(payload, dict) or not isinstance(payload.get("midi_data"), str):
            return {"error": "Missing midi_data"}
        try:
            midi = base64.b64decode(payload["midi_data"], validate=True)
        except (binascii.Error, ValueError):
            return {"error": "Invalid base64 in midi_data"}
        if not midi.startswith(b"MThd"):
            return {"error": "Not a MIDI file"}
        name = payload.get("name")
        with self._lock:
            self._imports.append(midi)
            self._import_names.append(name if isinstance(name, str) else None)
        return {"status": "imported", "bytes": len(midi)}


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _read_quirky(sock: socket.socket) -> bytes:
    """Read like DAWG-CORE: 1024-byte chunks, stop at the first short (or timed-out) read."""
    data = bytearray()
    while len(data) < _MAX_REQUEST_BYTES:
        try:
            chunk = sock.recv(CHUNK)
        except TimeoutError:
            break
        data += chunk
        if len(chunk) < CHUNK:
            break
    return bytes(data)


def _read_complete(sock: socket.socket) -> bytes:
    """Read a whole request: headers, then ``Content-Length`` bytes of body."""
    data = bytearray()
    while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST_BYTES:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    wanted = _content_length(_parse_headers(head)) or 0
    while len(body) < min(wanted, _MAX_REQUEST_BYTES):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _parse_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _content_length(headers: dict[str, str]) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        standin = self.server.standin
        sock: socket.socket = self.request
        sock.settimeout(_SOCKET_TIMEOUT_S)
        try:
            raw = _read_quirky(sock) if standin.read_quirk else _read_complete(sock)
        except OSError:
            return
        if not raw:
            return
        head, _, body = raw.partition(b"\r\n\r\n")
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        headers = _parse_headers(head)
        if standin.cut_body_at is not None:
            body = body[: standin.cut_body_at]
        target = parts[1] if len(parts) >= 2 else ""
        path, _, query = target.partition("?")
        request = ReceivedRequest(
            method=parts[0] if parts else "",
            path=path,
            query=query,
            headers=headers,
            body=body,
            content_length=_content_length(headers),
            at=time.monotonic(),
        )
        delay = standin._delay_for(standin._record(request))
        if delay > 0 and standin._closing.wait(delay):
            return  # shutting down: drop the connection, like a killed core
        payload = standin._answer(request) if len(parts) >= 2 else _json({"error": "Bad request"})
        content_type = "text/html" if standin.mode == "garbage" else "application/json"
        response = (
            b"HTTP/1.1 200 OK\r\n"
            + f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
            + payload
        )
        with contextlib.suppress(OSError):
            sock.sendall(response)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, standin: CoreStandin) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin


def free_port() -> int:
    """A local TCP port that was free a moment ago (nothing listens on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_core_standin(
    mode: str = "normal",
    delay_s: float = 0.0,
    *,
    num_tracks: int = 4,
    error_message: str = "Audio engine not initialised",
    read_quirk: bool | None = None,
    cut_body_at: int | None = None,
    delay_first_n: int | None = None,
) -> Iterator[CoreStandin]:
    """Serve a DAWG-CORE stand-in for the duration of the ``with`` block.

    See the module docstring for the modes. The server is shut down (and sleeping slow answers
    are dropped) when the block exits.
    """
    if mode not in MODES:
        raise ValueError(f"unknown stand-in mode {mode!r}; expected one of {MODES}")
    if mode == "slow" and delay_s <= 0:
        delay_s = DEFAULT_SLOW_DELAY_S
    if read_quirk is None:
        read_quirk = mode != "import_ok"
    standin = CoreStandin(
        url="",
        mode=mode,
        delay_s=delay_s,
        num_tracks=num_tracks,
        error_message=error_message,
        read_quirk=read_quirk,
        cut_body_at=cut_body_at,
        delay_first_n=delay_first_n,
    )
    if mode == "down":
        standin.url = f"http://127.0.0.1:{free_port()}"
        yield standin
        return
    server = _Server(standin)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        standin._closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
