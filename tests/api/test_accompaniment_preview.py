"""/generate/accompaniment with preview=wav|flac: made block by block from a stem file, answered from a file,
the same preview bytes as the whole-array functions give on the decoded recording."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.schemas import AccompanimentResponse
from tests.api.conftest import engine_client, make_settings
from tests.api.test_accompaniment import drifting_song


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("accompaniment-preview")
    (tmp / "uploads").mkdir()
    with engine_client(make_settings(tmp, upload_dir=tmp / "uploads")) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def song() -> bytes:
    return drifting_song(bars=8)[0]


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_the_preview_is_the_whole_array_preview(client: TestClient, song: bytes, fmt: str) -> None:
    from ai.analysis.pipeline import analyze
    from ai.audio.decode import decode_audio
    from ai.generation.accompaniment import AccompanimentOptions, accompany

    response = client.post(
        "/api/v1/generate/accompaniment",
        data={"parts": "drums,bass,pad", "seed": "5", "model": "theory", "preview": fmt, "level_db": "-6"},
        files={"file": ("song.wav", song, "audio/wav")},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    audio = decode_audio(song, name="song.wav")
    registry = client.app.state.engine.registry  # type: ignore[attr-defined]
    options = AccompanimentOptions(parts=("drums", "bass", "pad"), seed=5, model="theory", preview=fmt, level_db=-6.0)
    expected = accompany(audio, analyze(audio), registry, options)
    assert expected.preview is not None
    assert base64.b64decode(body["preview_base64"]) == expected.preview
    assert body["preview_format"] == fmt and base64.b64decode(body["midi_base64"]) == expected.midi
    # The file's text is the route's model dumped with the whole base64 (as FastAPI answers a model).
    whole = AccompanimentResponse.model_validate(body).model_dump_json(by_alias=True)
    assert response.content == whole.encode("utf-8")
    uploads = Path(client.app.state.engine.settings.upload_dir)  # type: ignore[attr-defined]
    assert not [p for p in uploads.iterdir() if p.is_file() or p.name.startswith("dawg_preview_")]


def test_format_midi_with_a_preview_is_refused_before_any_work(client: TestClient, song: bytes) -> None:
    """As /generate/midi answers it: the .mid file carries no preview, so asking for both is a 422."""
    url = "/api/v1/generate/accompaniment?format=midi&seed=3&parts=drums,bass&model=theory"
    plain = client.post(url, files={"file": ("song.wav", song, "audio/wav")})
    with_preview = client.post(url + "&preview=wav", files={"file": ("song.wav", song, "audio/wav")})
    queued = client.post(url + "&preview=flac&async=true", files={"file": ("song.wav", song, "audio/wav")})
    assert plain.status_code == 200 and plain.headers["content-type"] == "audio/midi"
    assert with_preview.status_code == queued.status_code == 422, with_preview.text
    assert with_preview.json()["error"] == "invalid_parameter" and "preview" in with_preview.json()["detail"]


def test_as_a_job_the_preview_answer_is_the_same(client: TestClient, song: bytes) -> None:
    url = "/api/v1/generate/accompaniment?seed=9&model=theory&preview=flac"
    sync = client.post(url, files={"file": ("song.wav", song, "audio/wav")})
    accepted = client.post(url + "&async=true", files={"file": ("song.wav", song, "audio/wav")})
    assert sync.status_code == 200 and accepted.status_code == 202, accepted.text
    job = accepted.json()
    deadline = time.monotonic() + 60
    while (status := client.get(job["status_url"]).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    assert status["state"] == "succeeded", status
    result = client.get(job["result_url"])
    assert result.status_code == 200
    got, want = json.loads(result.content), sync.json()
    got.pop("seconds"), want.pop("seconds")  # the stage timings differ from run to run
    assert got == want and want["preview_base64"]
