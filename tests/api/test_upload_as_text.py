"""Audio sent as a text field (curl -F 'file=<song.wav', or a part without a filename) is named as such; a body
that is not multipart at all says what may be wrong."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.errors import BAD_MULTIPART
from api.params import _ClosingDelimiter
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import wav_bytes


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with engine_client(make_settings(tmp_path_factory.mktemp("engine"))) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "field", "query"),
    [
        ("/api/v1/transcribe", "file", ""),
        ("/api/v1/generate/accompaniment", "file", ""),
        ("/api/v1/library/search", "file", ""),
        ("/api/v1/mixing/suggest", "files", ""),
        ("/api/v1/mixing/render", "files", ""),
        ("/api/v1/mixing/auto_level", "master", "?async=true"),  # a job's early check too
    ],
)
def test_audio_in_a_text_field_is_named_as_a_text_field(engine: TestClient, path: str, field: str, query: str) -> None:
    audio = wav_bytes(np.zeros(4410, dtype=np.float32)).decode("latin-1")  # the bytes as a text part's value
    response = engine.post(path + query, files={field: (None, audio)})  # a part without a filename: text
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["detail"].startswith(f"{field}: came as a text field, not a file"), body["detail"]


def test_a_real_unknown_parameter_is_still_unknown(engine: TestClient) -> None:
    response = engine.post("/api/v1/transcribe", data={"colour": "blue"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("colour: unknown parameter")


@pytest.mark.parametrize(
    "body",
    [
        b"not a multipart body",
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="'
        + b"a" * 5000
        + b'.wav"\r\n\r\nRIFF\r\n--xyz--\r\n',
    ],
    ids=["garbage", "file name of 5000 characters"],
)
def test_a_body_that_is_not_multipart_says_what_may_be_wrong(engine: TestClient, body: bytes) -> None:
    response = engine.post(
        "/api/v1/analyze/audio", content=body, headers={"Content-Type": "multipart/form-data; boundary=xyz"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": BAD_MULTIPART}


def _multipart_wav(boundary: bytes) -> bytes:
    audio = wav_bytes(np.zeros(22050, dtype=np.float32))
    return (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n--" + boundary + b"--\r\n"
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/analyze/audio", "/api/v1/transcribe", "/api/v1/mixing/suggest", "/api/v1/mixing/render"]
)
@pytest.mark.parametrize("keep", [0.5, 0.999], ids=["half", "all but the closing boundary"])
def test_a_cut_off_upload_is_refused_not_read_as_no_file(engine: TestClient, path: str, keep: float) -> None:
    # python-multipart drops a part the end cuts through: this read as "no file" (422, or 200 no_audio).
    body = _multipart_wav(b"xyz")
    cut = body[: int(len(body) * keep)] if keep < 0.99 else body[: -len(b"--xyz--\r\n")]
    response = engine.post(path, content=cut, headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("the multipart body ends before its closing boundary")


def test_a_whole_upload_with_an_epilogue_is_read(engine: TestClient) -> None:
    body = _multipart_wav(b"xyz") + b"an epilogue after the closing boundary, which RFC 2046 allows"
    response = engine.post(
        "/api/v1/analyze/audio", content=body, headers={"Content-Type": "multipart/form-data; boundary=xyz"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == "a.wav"


async def _chunks(body: bytes, size: int) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1 << 20])
def test_the_closing_boundary_is_found_across_chunks(size: int) -> None:
    body = _multipart_wav(b"a-longer-boundary-0123456789")
    watch = _ClosingDelimiter("multipart/form-data; boundary=a-longer-boundary-0123456789")

    async def drain() -> bytes:
        return b"".join([chunk async for chunk in watch.watch(_chunks(body, size))])

    assert asyncio.run(drain()) == body
    assert watch.seen and watch.received == len(body)
    cut = _ClosingDelimiter("multipart/form-data; boundary=a-longer-boundary-0123456789")

    async def drain_cut() -> None:
        async for _ in cut.watch(_chunks(body[:-5], size)):
            pass

    asyncio.run(drain_cut())
    assert not cut.seen
