"""A file or parameter a route would not read is a 422 naming it, never dropped (the answer was about other audio)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.test_analysis import wav_bytes

WAV = wav_bytes(np.zeros(22050, dtype=np.float32))


def _wav(name: str) -> tuple[str, bytes, str]:
    return (name, WAV, "audio/wav")


@pytest.mark.parametrize(
    ("path", "files", "detail"),
    [
        (  # a mistyped stems field: this took the latest project's stems and answered about them
            "/api/v1/mixing/suggest",
            [("stems", _wav("Kick.wav"))],
            "stems: this route reads no file under this name; it reads files as: file, files, master, reference",
        ),
        ("/api/v1/mixing/render", [("master", _wav("a.wav")), ("master", _wav("b.wav"))], "master: 2 files came"),
        ("/api/v1/analyze/audio", [("file", _wav("a.wav")), ("other", _wav("b.wav"))], "other: this route reads no"),
        ("/api/v1/analyze/audio", [("file", _wav("a.wav")), ("audio", _wav("b.wav"))], "file: a file came as 'file'"),
        ("/api/v1/transcribe", [("file", _wav("a.wav")), ("file", _wav("b.wav"))], "file: 2 files came under"),
        ("/api/v1/generate/accompaniment", [("file", _wav("a.wav")), ("primer", _wav("p.mid"))], "primer: this route"),
        ("/api/v1/generate/melody", [("file", _wav("a.wav"))], "file: this route reads no file under this name"),
        ("/api/v1/command?text=generate%20drums", [("zzz", _wav("a.wav"))], "zzz: this route reads no file"),
    ],
)
def test_a_file_the_route_would_not_read_is_422(
    client: TestClient, path: str, files: list[tuple[str, tuple[str, bytes, str]]], detail: str
) -> None:
    response = client.post(path, files=files)
    assert response.status_code == 422 and response.json()["error"] == "invalid_parameter", response.text[:300]
    assert response.json()["detail"].startswith(detail), response.json()["detail"]


def test_the_files_a_route_reads_still_come_through(client: TestClient) -> None:
    two_stems = [("files", _wav("Kick.wav")), ("files", _wav("Bass.wav"))]
    assert client.post("/api/v1/mixing/suggest", files=two_stems).status_code == 200
    assert client.post("/api/v1/analyze/audio", files={"audio": _wav("a.wav")}).status_code == 200


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("?bars=8", "bars: unknown parameter; this route takes the uploaded file (and async) only"),
        ("?file=song.wav", "file: came as a text field, not a file"),
    ],
)
def test_analysis_refuses_a_parameter_it_does_not_take(client: TestClient, query: str, detail: str) -> None:
    """`?bars=8` was answered as if it had not been said (every other route refuses a name it does not know)."""
    response = client.post(f"/api/v1/analyze/audio{query}", files={"file": _wav("a.wav")})
    assert response.status_code == 422, response.text[:300]
    assert response.json()["detail"].startswith(detail)
    assert client.post("/api/v1/analyze/audio?async=false", files={"file": _wav("a.wav")}).status_code == 200


def test_a_form_field_with_no_name_is_called_that(client: TestClient) -> None:
    """'=x' in a form body was "parameters: unknown parameter"."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/api/v1/generate/midi", content=b"style=funk&=x", headers=form)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("parameters: a field with no name (an '=' with nothing before it)")


@pytest.mark.parametrize(
    ("text", "files", "detail"),
    [
        (  # the drums were made as if no recording had come
            "drums, hip hop, two bars",
            [("file", _wav("take.wav"))],
            "file: the command was understood as 'generate_drums', which does not read this file (it reads: primer)",
        ),
        ("what key is this", [("file", _wav("a.wav")), ("files", _wav("b.wav"))], "files: the command was understood"),
        ("help", [("master", _wav("m.wav"))], "master: the command was understood as 'help'"),
    ],
)
def test_a_file_the_understood_command_would_not_read_is_422(
    client: TestClient, text: str, files: list[tuple[str, tuple[str, bytes, str]]], detail: str
) -> None:
    response = client.post("/api/v1/command", data={"text": text}, files=files)
    assert response.status_code == 422, response.text[:300]
    body = response.json()
    assert body["detail"].startswith(detail), body["detail"]
    assert body["action"] == body["detail"].split("'")[1]  # the action it was understood as, for the caller
    # What other surfaces word in their own arguments' names (api.missing_upload.detail_for), and a sentence to say
    # that does not claim the file is missing (it said "I need the recording for that").
    assert body["upload"] == detail.split(":")[0] and isinstance(body["reads"], list)
    assert body["speech"].startswith("I don't use the ") and "file" not in body["speech"].split(":")[0]


def test_the_file_the_understood_command_reads_still_comes_through(client: TestClient) -> None:
    response = client.post("/api/v1/command", data={"text": "what key is this"}, files={"audio": _wav("a.wav")})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["action"] == "analyze_audio"
