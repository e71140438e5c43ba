"""The one error model (api/errors.py) for what a real socket brings: a client that goes away mid-upload."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest

from api.errors import CLIENT_GONE
from tests.api.conftest import make_settings
from tests.support.live_server import live_engine

BOUNDARY = b"gone-test-boundary"


def _hang_up_mid_upload(base: str, path: str, field: bytes) -> None:
    """Announce a 4 MB multipart upload, send its first 256 KB, and close the connection."""
    port = int(base.rsplit(":", 1)[1])
    head = b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="song.wav"\r\n\r\n' % (BOUNDARY, field)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=%s\r\n"
            b"Content-Length: %d\r\n\r\n" % (path.encode(), BOUNDARY, 4 * 1024 * 1024)
        )
        sock.sendall(head + b"RIFF" + b"\0" * (256 * 1024))


@pytest.mark.parametrize(("path", "field"), [("/api/v1/analyze/audio", b"file"), ("/api/v1/mixing/suggest", b"files")])
def test_a_client_that_hangs_up_mid_upload_is_no_internal_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str, field: bytes
) -> None:
    """Starlette's ClientDisconnect reached the catch-all handler: "unexpected error" with its traceback, a
    500 counted, and uvicorn's "Exception in ASGI application" after it, for every cancelled upload."""
    caplog.set_level(logging.INFO)
    with live_engine(make_settings(tmp_path)) as base:
        _hang_up_mid_upload(base, path, field)
        deadline = time.monotonic() + 15
        while not any(CLIENT_GONE in record.getMessage() for record in caplog.records):
            assert time.monotonic() < deadline, "the disconnect was not handled"
            time.sleep(0.05)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]
    gone = next(record for record in caplog.records if CLIENT_GONE in record.getMessage())
    assert gone.levelno == logging.INFO and path in gone.getMessage() and gone.exc_info is None
