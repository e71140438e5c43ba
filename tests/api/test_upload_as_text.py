"""Audio sent as a text field (curl -F 'file=<song.wav', or a part without a filename) is named as such; a body
that is not multipart at all says what may be wrong."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.errors import BAD_MULTIPART
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
