"""CoreClient against a real DAWG-CORE stand-in server in every mode of the contract."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from integration.core_client import CoreClient, CoreRefused, Delivery, ProjectStatus
from tests.support.core_standin import CoreStandin, run_core_standin
from utils.errors import CoreBadResponse, CoreUnreachable
from utils.settings import Settings

pytestmark = pytest.mark.anyio

# The service's defaults: 0.5 s connect, 2 s per try, one retry for GETs, 2.5 s overall.
DEFAULTS: dict[str, Any] = {"connect_timeout": 0.5, "timeout": 2.0, "retries": 1}
BOUND_S = 3.0  # the contract: a down, refusing or slow core is answered within 3 s

MIDI = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"


def big_midi(n_bytes: int) -> bytes:
    """A MIDI-looking payload of ``n_bytes`` (the header is real; the rest is filler)."""
    return MIDI + bytes(range(256)) * (n_bytes // 256 + 1)


def all_calls(client: CoreClient) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "health": client.health,
        "project_status": client.project_status,
        "play": client.play,
        "stop": client.stop,
    }


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    """(result or raised exception, elapsed seconds)."""
    start = time.monotonic()
    try:
        result: Any = await call()
    except Exception as exc:
        result = exc
    return result, time.monotonic() - start


# -- normal --------------------------------------------------------------------------------


async def test_normal_core_answers_every_call_with_contract_values() -> None:
    with run_core_standin("normal", num_tracks=7) as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            assert await client.health() == {"status": "healthy", "version": "1.0.0"}
            assert await client.is_reachable() is True
            status = await client.project_status()
            assert status == ProjectStatus(num_tracks=7, is_playing=False, current_position=0.0)
            assert await client.play() == {"status": "playing"}
            await asyncio.sleep(0.05)
            playing = await client.project_status()
            assert playing.is_playing is True
            assert playing.current_position > 0.0
            assert await client.stop() == {"status": "stopped"}
            stopped = await client.project_status()
            assert stopped.is_playing is False
            assert stopped.to_dict() == {
                "numTracks": 7,
                "isPlaying": False,
                "currentPosition": stopped.current_position,
            }
    paths = [(r.method, r.path) for r in core.received]
    assert paths == [
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/project/status"),
        ("POST", "/api/v1/transport/play"),
        ("GET", "/api/v1/project/status"),
        ("POST", "/api/v1/transport/stop"),
        ("GET", "/api/v1/project/status"),
    ]


async def test_import_to_the_real_core_contract_is_refused_not_found() -> None:
    with run_core_standin("normal") as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            delivery = await client.import_midi(MIDI, name="groove.mid")
    assert delivery.delivered is False
    assert '"Not found"' in delivery.reason
    assert "no /api/v1/midi/import route" in delivery.reason
    assert core.imports == []
    assert [(r.method, r.path) for r in core.received] == [("POST", "/api/v1/midi/import")]


# -- import_ok ---------------------------------------------------------------------------------


async def test_import_delivered_only_when_the_core_confirms_and_bytes_arrive_intact() -> None:
    payload = big_midi(20_000)
    with run_core_standin("import_ok") as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            delivery = await client.import_midi(payload, name="bass_42.mid")
    assert delivery == Delivery(True, delivery.reason)
    assert "bass_42.mid" in delivery.reason
    assert core.imports == [payload]
    assert core.import_names == ["bass_42.mid"]
    sent = core.received[0].json()
    assert base64.b64decode(sent["midi_data"]) == payload
    assert core.received[0].headers["content-type"] == "application/json"


async def test_import_cut_by_the_core_chunk_reader_is_reported_not_delivered() -> None:
    payload = big_midi(6_000)
    with run_core_standin("import_ok", cut_body_at=1024) as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            delivery = await client.import_midi(payload, name="long.mid")
    assert delivery.delivered is False
    assert "Invalid JSON body" in delivery.reason
    assert "1024-byte chunks" in delivery.reason
    assert core.imports == []
    assert core.received[0].truncated
    assert len(core.received[0].body) == 1024


async def test_import_through_the_literal_chunk_reader_never_claims_a_lost_delivery() -> None:
    """With the core's real reader the body may or may not survive: the answer must match what arrived."""
    payload = big_midi(4_000)
    with run_core_standin("import_ok", read_quirk=True) as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            deliveries = [await client.import_midi(payload, name=f"try{i}.mid") for i in range(5)]
    delivered = [d.delivered for d in deliveries]
    assert sum(delivered) == len(core.imports)
    assert all(imported == payload for imported in core.imports)
    for received, delivery in zip(core.received, deliveries, strict=True):
        assert delivery.delivered == (not received.truncated)
        if not delivery.delivered:
            assert "cut off" in delivery.reason


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("error", "Audio engine not initialised"), ("garbage", "not JSON"), ("bad_shape", "without confirming")],
)
async def test_import_to_a_failing_core_is_not_delivered(mode: str, expected: str) -> None:
    with run_core_standin(mode) as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            delivery = await client.import_midi(MIDI, name="x.mid")
    assert delivery.delivered is False
    assert expected in delivery.reason
    assert core.imports == []


# -- down --------------------------------------------------------------------------------------


async def test_down_core_every_call_is_unreachable_within_the_bound() -> None:
    with run_core_standin("down") as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            for name, call in all_calls(client).items():
                result, elapsed = await timed(call)
                assert isinstance(result, CoreUnreachable), name
                assert result.status_code == 503
                assert core.url in result.detail and "unreachable" in result.detail
                assert elapsed < BOUND_S, name
            reachable, elapsed = await timed(client.is_reachable)
            assert reachable is False and elapsed < BOUND_S
            delivery, elapsed = await timed(lambda: client.import_midi(MIDI, name="x.mid"))
            assert elapsed < BOUND_S
            assert delivery.delivered is False
            assert "unreachable" in delivery.reason and "may have reached" not in delivery.reason


# -- slow --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [DEFAULTS, {"connect_timeout": 10.0, "timeout": 30.0, "retries": 5}],
    ids=["service-defaults", "generous-per-try-timeouts"],
)
async def test_slow_core_every_call_answers_within_the_bound(options: dict[str, Any]) -> None:
    with run_core_standin("slow", delay_s=6.0) as core:
        async with CoreClient(core.url, **options) as client:
            calls = dict(all_calls(client))
            calls["is_reachable"] = client.is_reachable
            calls["import_midi"] = lambda: client.import_midi(MIDI, name="x.mid")
            results = await asyncio.gather(*(timed(call) for call in calls.values()))
    for name, (result, elapsed) in zip(calls, results, strict=True):
        assert elapsed < BOUND_S, (name, elapsed)
        if name == "is_reachable":
            assert result is False
        elif name == "import_midi":
            assert result.delivered is False
            assert "may have reached the core" in result.reason
        else:
            assert isinstance(result, CoreUnreachable), (name, result)
            assert "time limit" in result.detail


# -- retries -----------------------------------------------------------------------------------


async def test_gets_are_retried_after_timeouts_but_posts_are_not() -> None:
    with run_core_standin("slow", delay_s=1.0) as core:
        async with CoreClient(core.url, connect_timeout=0.5, timeout=0.2, retries=2) as client:
            with pytest.raises(CoreUnreachable):
                await client.project_status()
            with pytest.raises(CoreUnreachable):
                await client.play()
            delivery = await client.import_midi(MIDI, name="x.mid")
    assert delivery.delivered is False
    assert len(core.requests_to("/api/v1/project/status", "GET")) == 3
    assert len(core.requests_to("/api/v1/transport/play", "POST")) == 1
    assert len(core.requests_to("/api/v1/midi/import", "POST")) == 1


async def test_a_get_succeeds_on_retry_when_the_core_recovers() -> None:
    with run_core_standin("slow", delay_s=2.0, delay_first_n=1) as core:
        async with CoreClient(core.url, connect_timeout=0.5, timeout=0.5, retries=2) as client:
            assert await client.health() == {"status": "healthy", "version": "1.0.0"}
    assert 2 <= len(core.requests_to("/api/v1/health")) <= 3  # the first try timed out


async def test_the_client_recovers_after_many_cancelled_calls() -> None:
    """Calls cut by the deadline must not leave the connection pool unusable."""
    with run_core_standin("slow", delay_s=2.0) as core:
        async with CoreClient(core.url, connect_timeout=0.5, timeout=1.0, retries=0, deadline_s=0.3) as client:
            results = await asyncio.gather(*(timed(client.health) for _ in range(30)))
            assert all(isinstance(result, CoreUnreachable) for result, _ in results)
            core.delay_s = 0.0  # the core recovers
            client.deadline_s = 2.5
            assert await client.is_reachable() is True
            status = await client.project_status()
    assert status.num_tracks == 4


async def test_without_retries_a_get_is_tried_once() -> None:
    with run_core_standin("slow", delay_s=1.0) as core:
        async with CoreClient(core.url, connect_timeout=0.5, timeout=0.2, retries=0) as client:
            with pytest.raises(CoreUnreachable):
                await client.health()
    assert len(core.received) == 1


async def test_retries_stop_at_the_overall_deadline() -> None:
    with run_core_standin("slow", delay_s=2.0) as core:
        async with CoreClient(core.url, connect_timeout=0.5, timeout=0.4, retries=5, deadline_s=1.0) as client:
            result, elapsed = await timed(client.health)
    assert isinstance(result, CoreUnreachable)
    assert elapsed < 1.5
    assert 2 <= len(core.received) <= 3  # 0.4 s tries with short pauses fit twice, not six times


# -- error, garbage, wrong shape ---------------------------------------------------------------


async def test_error_bodies_sent_with_http_200_are_failures_and_not_retried() -> None:
    with run_core_standin("error", error_message="Audio device lost") as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            for name, call in all_calls(client).items():
                with pytest.raises(CoreRefused) as info:
                    await call()
                assert info.value.status_code == 502, name
                assert info.value.core_error == "Audio device lost"
                assert isinstance(info.value, CoreBadResponse)
            assert await client.is_reachable() is False
    assert len(core.received) == 5  # one per call: an answer is not retried


@pytest.mark.parametrize("mode", ["garbage", "bad_shape"])
async def test_bodies_outside_the_contract_are_bad_responses(mode: str) -> None:
    with run_core_standin(mode) as core:
        async with CoreClient(core.url, **DEFAULTS) as client:
            for name, call in all_calls(client).items():
                with pytest.raises(CoreBadResponse) as info:
                    await call()
                assert not isinstance(info.value, CoreRefused), name
                assert info.value.status_code == 502
            assert await client.is_reachable() is False


async def test_a_non_200_status_is_not_the_core_contract() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"status": "healthy", "version": "1.0.0"})

    async with CoreClient("http://core.invalid", transport=httpx.MockTransport(handler), **DEFAULTS) as client:
        with pytest.raises(CoreBadResponse, match="HTTP 500"):
            await client.health()


async def test_project_status_rejects_wrong_types() -> None:
    answers = [
        {"numTracks": True, "isPlaying": False, "currentPosition": 0.0},
        {"numTracks": 2, "isPlaying": 0, "currentPosition": 0.0},
        {"numTracks": 2, "isPlaying": False, "currentPosition": "1.5"},
        {"numTracks": -1, "isPlaying": False, "currentPosition": 0.0},
        [1, 2, 3],
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answers[len(seen)]).encode())

    seen: list[int] = []
    async with CoreClient("http://core.invalid", transport=httpx.MockTransport(handler), **DEFAULTS) as client:
        for _ in answers:
            with pytest.raises(CoreBadResponse):
                await client.project_status()
            seen.append(1)


# -- construction ------------------------------------------------------------------------------


async def test_from_settings_uses_the_core_settings() -> None:
    settings = Settings(
        core_url="http://127.0.0.1:8181/", core_connect_timeout_s=0.25, core_timeout_s=1.5, core_retries=3
    )
    client = CoreClient.from_settings(settings)
    try:
        assert client.base_url == "http://127.0.0.1:8181"
        assert client.retries == 3
        assert client.timeout.connect == 0.25
        assert client.timeout.read == 1.5 and client.timeout.write == 1.5 and client.timeout.pool == 1.5
        assert client.deadline_s < BOUND_S
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "options",
    [
        {"connect_timeout": 0.0, "timeout": 1.0, "retries": 0},
        {"connect_timeout": 1.0, "timeout": -1.0, "retries": 0},
        {"connect_timeout": 1.0, "timeout": 1.0, "retries": -1},
    ],
)
def test_invalid_client_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CoreClient("http://127.0.0.1:8080", **options)


# -- the stand-in's quirks themselves ----------------------------------------------------------


def raw_exchange(core: CoreStandin, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", int(core.url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "request_line",
    [b"GET /api/v1/nothing HTTP/1.1", b"POST /api/v1/midi/import HTTP/1.1", b"DELETE /api/v1/health HTTP/1.1"],
)
def test_standin_answers_200_not_found_for_unknown_routes(request_line: bytes) -> None:
    with run_core_standin("normal") as core:
        answer = raw_exchange(core, request_line + b"\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(body) == {"error": "Not found"}


def test_standin_reader_stops_at_the_first_short_read() -> None:
    body = b'{"midi_data": "' + b"A" * 5000 + b'"}'
    head = b"POST /api/v1/midi/import HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    with run_core_standin("import_ok", read_quirk=True) as core:
        port = int(core.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(head)  # a short first read: the reader stops here and answers
            answer = sock.recv(65536)  # without sending the announced body
            with contextlib.suppress(OSError):
                sock.sendall(body)  # too late: the core has answered already
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {"error": "Invalid JSON body"}
    assert core.received[0].body == b""
    assert core.received[0].truncated


@pytest.mark.parametrize(
    ("answer", "delivered"),
    [
        ({"status": "imported", "bytes": 120}, True),
        ({"success": True}, True),
        ({"status": "not implemented"}, False),  # claimed delivered before
        ({"status": "generating", "message": "MIDI generation queued"}, False),
        ({"status": ""}, False),
        ({"success": False, "status": "imported"}, False),
    ],
)
def test_only_a_known_success_shape_confirms_an_import(answer: dict, delivered: bool) -> None:
    from integration.core_client import _acknowledges

    assert _acknowledges(answer) is delivered


async def test_an_answer_of_megabytes_is_a_bad_answer_not_read_whole() -> None:
    served = 0

    async def huge() -> Any:  # noqa: ANN401 - an async byte stream
        nonlocal served
        yield b'{"status": "imported", "padding": "'
        for _ in range(100):  # 100 MB if read whole (it froze /health before)
            served += 1
            yield b"x" * (1 << 20)
        yield b'"}'

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=huge()))
    async with CoreClient("http://localhost:8080", **DEFAULTS, transport=transport) as client:
        delivery = await client.import_midi(MIDI, name="x.mid")
    assert delivery.delivered is False and "more than" in delivery.reason
    assert served < 5  # refused after the first megabyte or so


@pytest.mark.parametrize(
    "raw",
    [b'{"numTracks": ' + b"9" * 5000 + b"}", b'{"status": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    ids=["5000-digit number", "deeply nested"],
)
async def test_json_python_cannot_read_is_a_bad_response_not_a_crash(raw: bytes) -> None:
    """json.loads' ValueError (int digits limit) and RecursionError escaped as a 500, not a 502."""
    client = CoreClient("http://127.0.0.1:9", **DEFAULTS)
    try:
        with pytest.raises(CoreBadResponse) as info:
            client._decode("GET", "/api/v1/project/status", 200, raw)
    finally:
        await client.aclose()
    assert info.value.status_code == 502 and len(info.value.detail) < 400
