"""A form field that is not a file is capped (413 after its first megabyte, not read whole), and a form
sent without a Content-Length is capped like one with it. Streamed over a socket to ``python main.py``:
each test sends only the start of a body far larger than the limit and expects the answer before the
rest (the TestClient hands the app a body already read whole)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.params import FORM_FIELD_BYTES
from tests.support.engine_process import exchange, served_engine

BOUNDARY = b"limits-test-boundary"
PIECE = 64 * 1024
ANNOUNCED = 50 * 1024 * 1024  # what each request claims to send
SENT = 4 * 1024 * 1024  # what it sends before waiting for the answer


@pytest.fixture(scope="module")
def engine_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The engine at its default limits (a 50 MB request is within them)."""
    with served_engine(tmp_path_factory.mktemp("served")) as port:
        yield port


@pytest.fixture(scope="module")
def small_engine_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Requests of at most 2 MB: a chunked upload is over it before the test has sent all it sends."""
    with served_engine(tmp_path_factory.mktemp("small"), max_request_mb="2", max_upload_mb="2") as port:
        yield port


def post(path: str, content_type: bytes, *, chunked: bool) -> bytes:
    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % ANNOUNCED
    return b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\n%s\r\n\r\n" % (
        path.encode(),
        content_type,
        length,
    )


def body(start: bytes, filler: bytes, *, chunked: bool) -> Iterator[bytes]:
    """``start``, then ``filler`` repeated up to SENT bytes (as HTTP chunks when ``chunked``), never finished."""
    pieces = [start] + [filler * (PIECE // len(filler))] * ((SENT - len(start)) // PIECE)
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece


def part(name: bytes, filename: bytes | None = None) -> bytes:
    file = b'; filename="%s"' % filename if filename else b""
    return b'--%s\r\nContent-Disposition: form-data; name="%s"%s\r\n\r\n' % (BOUNDARY, name, file)


MULTIPART = b"multipart/form-data; boundary=" + BOUNDARY


@pytest.mark.parametrize("chunked", [False, True])
def test_a_50_mb_chords_field_is_refused_413(engine_port: int, chunked: bool) -> None:
    # Before: Starlette's parser stopped at 1 MB too, but answered 400 "Part exceeded maximum size".
    head = post("/api/v1/generate/midi", MULTIPART, chunked=chunked)
    status, answer = exchange(engine_port, head, body(part(b"chords"), b"C ", chunked=chunked))
    assert status == 413 and answer["error"] == "payload_too_large"
    assert f"{FORM_FIELD_BYTES // (1024 * 1024)} MB" in answer["detail"] and "file part" in answer["detail"]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_50_mb_urlencoded_field_is_refused_413(engine_port: int, chunked: bool) -> None:
    head = post("/api/v1/generate/midi", b"application/x-www-form-urlencoded", chunked=chunked)
    status, answer = exchange(engine_port, head, body(b"bars=4&chords=", b"C+", chunked=chunked))
    assert status == 413 and answer["error"] == "payload_too_large"


def test_an_upload_without_a_length_is_refused_at_the_request_limit(small_engine_port: int) -> None:
    # Before: a chunked upload was spooled to disk whole (the per-file check came after the parse), so
    # this request, which never ends, got no answer at all.
    head = post("/api/v1/analyze/audio", MULTIPART, chunked=True)
    status, answer = exchange(small_engine_port, head, body(part(b"file", b"song.wav"), b"\0", chunked=True))
    assert status == 413 and "at most 2 MB of files per request" in answer["detail"]


def test_a_small_form_is_still_read(engine_port: int) -> None:
    fields = b"%sC Am F G\r\n%s4\r\n--%s--\r\n" % (part(b"chords"), part(b"bars"), BOUNDARY)
    head = (
        b"POST /api/v1/generate/bassline HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    )
    status, answer = exchange(engine_port, head % (MULTIPART, len(fields)) + fields)
    assert status == 200 and answer["chords"] == ["C", "Am", "F", "G"]
