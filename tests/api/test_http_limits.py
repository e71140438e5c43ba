"""A huge query string or header gets an HTTP answer (414, 431) with the engine's error body, not a
connection reset. Sent over a raw socket to ``python main.py``: only a real server parses raw HTTP
(the TestClient hands the app a ready-made request)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from api.http_limits import HEAD_PARSER_BYTES, MAX_HEADER_BYTES, MAX_TARGET_BYTES
from tests.support.engine_process import exchange, served_engine


@pytest.fixture(scope="module")
def engine_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with served_engine(tmp_path_factory.mktemp("served")) as port:
        yield port


def get(path: str, *headers: bytes) -> bytes:
    return (
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"
    )


@pytest.mark.parametrize("size", [MAX_TARGET_BYTES + 1, 1_000_000, HEAD_PARSER_BYTES - 4096])
def test_a_huge_query_string_is_answered_414(engine_port: int, size: int) -> None:
    # Before: a 1 MB query string got h11's plain 400 and a connection reset (often only the reset).
    status, body = exchange(engine_port, get("/health?q=" + "x" * size))
    assert status == 414 and body["error"] == "uri_too_long" and "8 KiB" in body["detail"]


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1, 1_000_000])
def test_huge_headers_are_answered_431(engine_port: int, size: int) -> None:
    status, body = exchange(engine_port, get("/health", b"X-Big: " + b"y" * size))
    assert status == 431 and body["error"] == "header_fields_too_large"
    many = [b"X-Field-%d: %s" % (i, b"z" * 100) for i in range(MAX_HEADER_BYTES // 100)]
    status, body = exchange(engine_port, get("/health", *many))
    assert status == 431 and "32 KiB" in body["detail"]


def test_heads_within_the_limits_are_served(engine_port: int) -> None:
    query = "/health?q=" + "x" * (MAX_TARGET_BYTES - len("/health?q=") - 1)
    status, body = exchange(engine_port, get(query, b"X-Big: " + b"y" * (MAX_HEADER_BYTES - 1024)))
    assert (status, body["error"]) == (422, "invalid_parameter")  # the app read it: /health takes no 'q'


def test_raw_utf8_in_a_query_string_is_the_parsers_400_and_percent_encoded_is_read(engine_port: int) -> None:
    """What README's Errors section says: HTTP allows only ASCII in a request target, and h11 answers the raw UTF-8
    that curl sends for '?key=F♯' with its own plain-text 400 before the engine sees the request (nothing in the
    app can answer it). Percent-encoded, the same key is read."""
    head = "POST /api/v1/generate/bassline?key=F\u266f&bars=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", engine_port), timeout=30) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.endswith(b"Invalid HTTP request received."), answer
    encoded = (
        b"POST /api/v1/generate/bassline?key=F%E2%99%AF&bars=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    )
    status, body = exchange(engine_port, encoded)
    assert status == 200 and body["key"] == "F#", body
