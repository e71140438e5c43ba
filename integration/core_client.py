"""Async client of DAWG-CORE's REST API (``shared/reference/dawg-core.md`` section 1).

The core is a JUCE app that may not be running, answers ``HTTP 200`` to everything (errors
included, as ``{"error": ...}`` bodies), and reads requests in 1024-byte chunks (a large body can
arrive cut off). This client therefore:

* owns one :class:`httpx.AsyncClient` with an explicit :class:`httpx.Timeout`;
* bounds every call by an overall deadline (``deadline_s``, 2.5 s by default), retries included,
  so that a down, refusing or slow core is answered within 3 s;
* retries only idempotent calls (GET), only after transport failures or timeouts, and only while
  the deadline allows;
* reads success from the body, never from the status code, and raises the engine's typed errors:
  :class:`~utils.errors.CoreUnreachable` (503) when nothing usable came back in time,
  :class:`~utils.errors.CoreBadResponse` (502) for a body that is not JSON, not of the contract's
  shape, or carries an ``"error"`` key (:class:`CoreRefused`, a subclass, for the last case).

:meth:`CoreClient.import_midi` never raises for the core's failures: it returns a
:class:`Delivery` that says truthfully whether the core took the file, and why not.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import httpx

from utils.errors import CoreBadResponse, CoreError, CoreUnreachable

if TYPE_CHECKING:
    from utils.settings import Settings

logger = logging.getLogger(__name__)

HEALTH_PATH = "/api/v1/health"
PLAY_PATH = "/api/v1/transport/play"
STOP_PATH = "/api/v1/transport/stop"
PROJECT_STATUS_PATH = "/api/v1/project/status"
MIDI_IMPORT_PATH = "/api/v1/midi/import"

DEFAULT_DEADLINE_S = 2.5  # overall bound of one call, retries included (the contract asks < 3 s)
RETRY_BACKOFF_S = 0.1  # pause before a retry (capped by the time left)
CORE_READ_CHUNK = 1024  # DAWG-CORE reads requests in chunks of this size (see the reference)
_MAX_ERROR_TEXT = 200

# Words in a core error that mean it could not read the request body.
_PARSE_FAILURE_WORDS = (
    "json",
    "pars",
    "invalid",
    "malformed",
    "base64",
    "midi",
    "body",
    "truncat",
    "empty",
)
# ``status`` values of an import answer that are not an acknowledgement.
# The import statuses that confirm a delivery; any other status ("not implemented", "generating")
# confirms nothing, so the delivery is reported as not made.
_SUCCESS_STATUSES = frozenset({"imported", "ok", "success", "accepted", "created", "done"})


MAX_ANSWER_BYTES = 256 * 1024  # the core's answers are a few hundred bytes


class CoreRefused(CoreBadResponse):
    """DAWG-CORE answered (HTTP 200) with an ``{"error": ...}`` body.

    ``core_error`` is the core's own message, e.g. ``"Not found"`` for a route it lacks.
    """

    def __init__(self, detail: str, *, core_error: str) -> None:
        super().__init__(detail)
        self.core_error = core_error


@dataclass(frozen=True)
class ProjectStatus:
    """Live state of the project open in DAWG-CORE (``GET /api/v1/project/status``)."""

    num_tracks: int
    is_playing: bool
    current_position: float  # seconds

    def to_dict(self) -> dict[str, Any]:
        """The contract's field names: ``numTracks``, ``isPlaying``, ``currentPosition``."""
        return {
            "numTracks": self.num_tracks,
            "isPlaying": self.is_playing,
            "currentPosition": self.current_position,
        }


@dataclass(frozen=True)
class Delivery:
    """Outcome of handing a MIDI file to DAWG-CORE. ``delivered`` is true only on the core's word."""

    delivered: bool
    reason: str


class CoreClient:
    """One long-lived connection pool to DAWG-CORE. Create once, close with :meth:`aclose`.

    ``connect_timeout`` bounds the TCP connect, ``timeout`` the read, write and pool waits of one
    try; ``retries`` is the number of extra tries of a GET after a transport failure or timeout;
    ``deadline_s`` bounds a whole call, retries included. ``transport`` replaces the network
    transport (for tests and special set-ups).
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float,
        timeout: float,
        retries: int,
        deadline_s: float = DEFAULT_DEADLINE_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if connect_timeout <= 0 or timeout <= 0 or deadline_s <= 0:
            raise ValueError("timeouts and deadline must be positive")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.deadline_s = deadline_s
        self.timeout = httpx.Timeout(connect=connect_timeout, read=timeout, write=timeout, pool=timeout)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment must not sit between us and localhost
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> CoreClient:
        """Build the client from ``core_url``, ``core_connect_timeout_s``, ``core_timeout_s``, ``core_retries``."""
        return cls(
            settings.core_url,
            connect_timeout=settings.core_connect_timeout_s,
            timeout=settings.core_timeout_s,
            retries=settings.core_retries,
            deadline_s=float(getattr(settings, "core_deadline_s", DEFAULT_DEADLINE_S)),
        )

    async def aclose(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the contract's calls ---------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """``GET /api/v1/health``: the core's answer, e.g. ``{"status": "healthy", "version": "1.0.0"}``."""
        body = await self._call("GET", HEALTH_PATH)
        if not isinstance(body.get("status"), str):
            raise self._shape_error(HEALTH_PATH, body, 'a string "status"')
        return body

    async def is_reachable(self) -> bool:
        """True when the core answers its health check with a valid body in time. Never raises."""
        try:
            await self.health()
        except CoreError as exc:
            logger.debug("DAWG-CORE not reachable: %s", exc.detail)
            return False
        except Exception:  # a bug here must not take down a status check; it is logged in full
            logger.exception("unexpected failure while checking DAWG-CORE")
            return False
        return True

    async def project_status(self) -> ProjectStatus:
        """``GET /api/v1/project/status`` as a typed :class:`ProjectStatus`."""
        body = await self._call("GET", PROJECT_STATUS_PATH)
        num_tracks: Any = body.get("numTracks")
        is_playing: Any = body.get("isPlaying")
        position: Any = body.get("currentPosition")
        if (
            not _is_int(num_tracks)
            or num_tracks < 0
            or not isinstance(is_playing, bool)
            or not _is_number(position)
            or not math.isfinite(position)
        ):
            raise self._shape_error(
                PROJECT_STATUS_PATH, body, 'integer "numTracks", boolean "isPlaying", number "currentPosition"'
            )
        return ProjectStatus(num_tracks=int(num_tracks), is_playing=is_playing, current_position=float(position))

    async def play(self) -> dict[str, Any]:
        """``POST /api/v1/transport/play`` (not retried). Returns the core's answer."""
        return await self._transport(PLAY_PATH)

    async def stop(self) -> dict[str, Any]:
        """``POST /api/v1/transport/stop`` (not retried). Returns the core's answer."""
        return await self._transport(STOP_PATH)

    async def import_midi(self, midi: bytes, *, name: str) -> Delivery:
        """POST a MIDI file to ``/api/v1/midi/import`` as ``{"midi_data": <base64>, "name": name}``.

        Not retried (not idempotent). Never raises for the core's failures: the result says
        whether the core confirmed the import and, if not, why (unreachable, refused, no such
        route, body cut by the core's 1024-byte reader, an answer without acknowledgement).
        """
        payload = {"midi_data": base64.b64encode(midi).decode("ascii"), "name": name}
        content = json.dumps(payload, separators=(",", ":")).encode()
        try:
            answer = await self._call("POST", MIDI_IMPORT_PATH, content=content)
        except CoreUnreachable as exc:
            reason = f"not delivered: {exc.detail}"
            if not isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout):
                reason += "; the request may have reached the core, which did not confirm the import in time"
            return Delivery(False, reason)
        except CoreRefused as exc:
            return Delivery(False, self._refusal_reason(exc.core_error, len(content)))
        except CoreBadResponse as exc:
            return Delivery(False, f"not delivered: {exc.detail}")
        if _acknowledges(answer):
            return Delivery(
                True,
                f"DAWG-CORE accepted {name!r} ({len(midi)} bytes of MIDI): {_short(answer)}",
            )
        return Delivery(
            False,
            f"not delivered: DAWG-CORE answered without confirming the import: {_short(answer)}",
        )

    # -- plumbing ---------------------------------------------------------------------------

    async def _transport(self, path: str) -> dict[str, Any]:
        body = await self._call("POST", path)
        if not isinstance(body.get("status"), str):
            raise self._shape_error(path, body, 'a string "status"')
        return body

    async def _call(self, method: str, path: str, *, content: bytes | None = None) -> dict[str, Any]:
        """One call under the overall deadline; GETs are retried after transport failures."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_s
        tries = 1 + (self.retries if method == "GET" else 0)
        headers = {"Content-Type": "application/json"} if content is not None else None
        failure: Exception | None = None
        for attempt in range(tries):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    status, raw = await self._fetch(method, path, content=content, headers=headers)
            except (httpx.TransportError, TimeoutError) as exc:
                failure = exc
                logger.debug(
                    "DAWG-CORE %s %s try %d/%d failed: %r",
                    method,
                    path,
                    attempt + 1,
                    tries,
                    exc,
                )
            except httpx.HTTPError as exc:  # e.g. an invalid URL: no try can succeed
                raise CoreUnreachable(f"cannot call DAWG-CORE at {self.base_url}: {exc}") from exc
            else:
                return self._decode(method, path, status, raw)
            if attempt + 1 < tries:
                pause = min(RETRY_BACKOFF_S * (attempt + 1), deadline - loop.time())
                if pause > 0:
                    await asyncio.sleep(pause)
        raise CoreUnreachable(self._unreachable_detail(method, path, failure)) from failure

    def _unreachable_detail(self, method: str, path: str, failure: Exception | None) -> str:
        if isinstance(failure, httpx.ConnectError):
            why = "connection refused or failed (is DAWG-CORE running?)"
        elif isinstance(failure, httpx.ConnectTimeout):
            why = f"connection not accepted within the time limit ({self.timeout.connect:g} s)"
        elif isinstance(failure, httpx.TimeoutException):
            why = f"no answer within the per-try time limit ({self.timeout.read:g} s)"
        elif failure is None or isinstance(failure, TimeoutError):
            why = f"no answer within the overall time limit of one call ({self.deadline_s:g} s)"
        else:
            why = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
        return f"DAWG-CORE is unreachable at {self.base_url} ({method} {path}): {why}"

    async def _fetch(
        self, method: str, path: str, *, content: bytes | None, headers: dict[str, str] | None
    ) -> tuple[int, bytes]:
        """(status, body) of one request; the body is read up to MAX_ANSWER_BYTES (a core that
        answers megabytes is not the core the contract describes, and reading them froze /health)."""
        async with self._client.stream(method, path, content=content, headers=headers) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise CoreBadResponse(
                        f"DAWG-CORE answered {method} {path} with more than {MAX_ANSWER_BYTES // 1024} kB: "
                        "not an answer of its API"
                    )
            return response.status_code, bytes(body)

    def _decode(self, method: str, path: str, status: int, raw: bytes) -> dict[str, Any]:
        where = f"{method} {path}"
        text = raw.decode("utf-8", errors="replace")
        if status != 200:
            # The contract answers 200 to everything: anything else is not DAWG-CORE as specified.
            raise CoreBadResponse(f"DAWG-CORE answered {where} with HTTP {status}: {_short(text)}")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CoreBadResponse(f"DAWG-CORE answered {where} with a body that is not JSON: {_short(text)}") from exc
        except (ValueError, RecursionError) as exc:  # a number of over 4300 digits, thousands of nested arrays
            raise CoreBadResponse(f"DAWG-CORE answered {where} with JSON Python cannot read: {_short(text)}") from exc
        if not isinstance(body, dict):
            raise CoreBadResponse(f"DAWG-CORE answered {where} with JSON that is not an object: {_short(body)}")
        if "error" in body:
            core_error = str(body["error"])
            raise CoreRefused(
                f"DAWG-CORE answered {where} with an error: {_short(core_error)}",
                core_error=core_error,
            )
        return body

    def _shape_error(self, path: str, body: dict[str, Any], expected: str) -> CoreBadResponse:
        return CoreBadResponse(f"DAWG-CORE's answer to {path} lacks {expected}: {_short(body)}")

    def _refusal_reason(self, core_error: str, body_size: int) -> str:
        text = core_error.strip().lower()
        if text == "not found":
            return (
                f'not delivered: DAWG-CORE refused the import with {{"error": {json.dumps(core_error)}}}: '
                f"this core has no {MIDI_IMPORT_PATH} route"
            )
        reason = f"not delivered: DAWG-CORE refused the import: {_short(core_error)}"
        if any(word in text for word in _PARSE_FAILURE_WORDS):
            reason += (
                f"; the core could not read the request body ({body_size} bytes sent): it reads requests in "
                f"{CORE_READ_CHUNK}-byte chunks and stops at the first short read, so the body may have been cut off"
            )
        return reason


def _acknowledges(answer: dict[str, Any]) -> bool:
    """True when an import answer positively confirms the import (no error was already raised)."""
    for flag in ("success", "ok", "imported"):
        if flag in answer:
            return answer[flag] is True
    status = answer.get("status")
    return isinstance(status, str) and status.strip().lower() in _SUCCESS_STATUSES


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_ERROR_TEXT else text[:_MAX_ERROR_TEXT] + "..."
