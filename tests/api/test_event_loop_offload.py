"""Work that held the event loop (bench/loop_blocking.py found each) runs in worker threads: every other
request, DAWG-CORE's /health poll included, waited while it ran. Each test records the threads the work
ran in and asserts the event loop's is not among them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from api import mix_input, openapi_schema, params
from api.jobs import manager, trigger
from api.routes import generation, system


@pytest.fixture
def loop_thread(client: TestClient) -> str:
    return str(client.portal.call(lambda: threading.current_thread().name))  # type: ignore[union-attr]


def recording(threads: list[str], fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return fn(*args, **kwargs)

    return wrapper


@pytest.fixture
def song(tmp_path: Path) -> Iterator[bytes]:
    t = np.arange(44100 * 4) / 44100
    path = tmp_path / "tone.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 44100)
    yield path.read_bytes()


def test_a_routes_json_answer_is_dumped_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    responder = trigger._responder
    monkeypatch.setattr(trigger, "_responder", lambda model: recording(threads, responder(model)))
    answer = client.post("/api/v1/generate/melody", json={"seed": 3, "model": "theory", "bars": 2})
    assert answer.status_code == 200 and answer.json()["seed"] == 3
    assert threads and loop_thread not in threads


def test_a_commands_answer_is_dumped_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command's answer carries its action's result: a rendered mix is tens of MB of base64."""
    threads: list[str] = []
    responder = trigger._responder
    monkeypatch.setattr(trigger, "_responder", lambda model: recording(threads, responder(model)))
    answer = client.post("/api/v1/command", json={"text": "a melody in D minor, two bars", "seed": 3})
    assert answer.status_code == 200 and answer.json()["action"].startswith("generate")
    assert answer.json()["result"]["seed"] == 3
    assert len(threads) == 1 and loop_thread not in threads


def test_a_generations_notes_are_built_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 60,000-note primer kept in the clip was 0.26 s of pydantic objects on the event loop."""
    threads: list[str] = []
    monkeypatch.setattr(generation, "_clip_out", recording(threads, generation._clip_out))
    answer = client.post("/api/v1/generate/bassline", json={"seed": 5, "model": "theory", "variations": 2})
    assert answer.status_code == 200 and len(answer.json()["variations"]) == 2
    assert len(threads) == 2 and loop_thread not in threads


def test_the_root_and_openapi_json_build_the_schema_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first build of the OpenAPI schema is ~1 s of CPU: / (its endpoint list) and /openapi.json asked
    for it on the event loop when the status file had not built it yet."""
    app = client.app
    threads: list[str] = []
    monkeypatch.setattr(system, "live_endpoints", recording(threads, system.live_endpoints))
    monkeypatch.setattr(openapi_schema, "openapi_schema", recording(threads, openapi_schema.openapi_schema))
    app.openapi_schema = None  # type: ignore[attr-defined]
    assert "POST /api/v1/mixing/suggest" in client.get("/").json()["endpoints"]
    app.openapi_schema = None  # type: ignore[attr-defined]
    assert "/api/v1/mixing/suggest" in client.get("/openapi.json").json()["paths"]
    assert len(threads) >= 2 and loop_thread not in threads


def test_an_uploads_copy_and_stem_files_are_deleted_off_the_event_loop(
    client: TestClient, loop_thread: str, song: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unlinking a long upload's copy or a decoded stem file took the kernel 50-70 ms, on the event loop."""
    removed: list[str] = []
    closed: list[str] = []
    monkeypatch.setattr(params, "remove_quietly", recording(removed, params.remove_quietly))
    monkeypatch.setattr(mix_input.MixAudio, "close", recording(closed, mix_input.MixAudio.close))
    analysed = client.post("/api/v1/analyze/audio", files={"file": ("tone.wav", song, "audio/wav")})
    mixed = client.post("/api/v1/mixing/auto_level", files=[("files", ("Bass.wav", song, "audio/wav"))])
    assert analysed.status_code == 200 and mixed.status_code == 200
    assert len(removed) >= 2 and loop_thread not in removed
    assert closed and loop_thread not in closed


def test_a_jobs_answer_is_dumped_and_parsed_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    parsed: list[str] = []
    responder = trigger._responder
    monkeypatch.setattr(trigger, "_responder", lambda model: recording(rendered, responder(model)))
    json_inline = manager.StoredResponse.json_inline

    def parsing(stored: manager.StoredResponse) -> Any:
        if not stored._json_read:  # the call that parses the body
            parsed.append(threading.current_thread().name)
        return json_inline(stored)

    monkeypatch.setattr(manager.StoredResponse, "json_inline", parsing)
    accepted = client.post("/api/v1/generate/midi?async=true", json={"seed": 2, "model": "theory"})
    assert accepted.status_code == 202
    location = accepted.headers["location"]
    for _ in range(200):
        view = client.get(location).json()
        if view["state"] == "succeeded":
            break
    assert view["result"]["seed"] == 2
    assert rendered and loop_thread not in rendered
    assert parsed and loop_thread not in parsed


@pytest.mark.parametrize("form", [False, True], ids=["json", "json-sent-as-a-form"])
def test_a_large_json_bodys_checks_run_off_the_event_loop(
    client: TestClient, loop_thread: str, monkeypatch: pytest.MonkeyPatch, form: bool
) -> None:
    """Decoding a large JSON body and walking every string in it for unpaired surrogates held the loop."""
    threads: list[str] = []
    monkeypatch.setattr(params, "_json_parameters", recording(threads, params._json_parameters))
    body = '{"key": "A", "bars": 1, "chords": "' + " ".join(["Am"] * 40_000) + '"}'
    assert len(body) > params.JSON_ON_LOOP_BYTES
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
    answer = client.post("/api/v1/generate/bassline", content=body, headers=headers)
    assert answer.status_code == 422 and "chords" in answer.text  # read, then refused for its length
    assert threads and loop_thread not in threads
