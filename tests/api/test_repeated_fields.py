"""A text field sent twice: a list where the field takes several (``parts``, ``chords``), else a 422 naming it.

``-F parts=drums -F parts=bass`` kept only ``bass`` and ``-F style=funk -F style=jazz`` only ``jazz``, without a
word; an empty ``parts=`` played the default parts."""

from __future__ import annotations

import base64
import io

import numpy as np
import pretty_midi
import pytest
from fastapi.testclient import TestClient

from api.params import Repeated, text_values
from tests.api.test_accompaniment import drifting_song
from tests.api.test_analysis import wav_bytes

ACCOMPANIMENT = "/api/v1/generate/accompaniment"
TRANSCRIBE = "/api/v1/transcribe"


@pytest.fixture(scope="module")
def recording() -> bytes:
    return drifting_song(bars=6)[0]


def test_names_given_once_stay_text_and_repeats_are_lists() -> None:
    found = text_values([("parts", "drums"), ("seed", "1"), ("parts", "bass"), ("parts", "pad")])
    assert found == {"parts": ["drums", "bass", "pad"], "seed": "1"}
    assert isinstance(found["parts"], Repeated) and not isinstance(found["seed"], Repeated)


def test_parts_twice_plays_both(client: TestClient, recording: bytes) -> None:
    response = client.post(
        ACCOMPANIMENT,
        files=[("file", ("song.wav", recording, "audio/wav")), ("parts", (None, "drums")), ("parts", (None, "bass"))],
        data={"model": "theory", "seed": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["parts"] == ["drums", "bass"]
    pm = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(body["midi_base64"])))
    assert {i.is_drum for i in pm.instruments} == {True, False}


@pytest.mark.parametrize(
    ("url", "name", "values"),
    [
        (ACCOMPANIMENT, "style", ("funk", "jazz")),
        (ACCOMPANIMENT, "seed", ("1", "2")),
        (ACCOMPANIMENT, "temperature", ("0.5", "0.5")),  # the same value twice is still two values
        (ACCOMPANIMENT, "format", ("json", "midi")),
        (ACCOMPANIMENT, "key", ("F minor", "C")),
        (TRANSCRIBE, "quantize", ("1/16", "1/8")),
        (TRANSCRIBE, "instrument", ("melody", "drums")),
        (TRANSCRIBE, "onset_threshold", ("0.5", "0.6")),
    ],
)
def test_a_one_value_field_twice_is_422(
    client: TestClient, recording: bytes, url: str, name: str, values: tuple[str, str]
) -> None:
    fields = [(name, (None, value)) for value in values]
    response = client.post(url, files=[("file", ("song.wav", recording, "audio/wav")), *fields])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["detail"].startswith(f"{name}: "), body
    assert "2 values came under this name; it takes one" in body["detail"]
    query = "&".join(f"{name}={value}" for value in values)  # twice in the query string too
    again = client.post(f"{url}?{query}", files={"file": ("song.wav", recording, "audio/wav")})
    assert again.status_code == 422 and again.json()["detail"].startswith(f"{name}: "), again.text


def test_a_repeated_field_is_refused_before_a_job_is_queued(client: TestClient, recording: bytes) -> None:
    response = client.post(
        f"{ACCOMPANIMENT}?async=true",
        files=[("file", ("song.wav", recording, "audio/wav")), ("style", (None, "funk")), ("style", (None, "rock"))],
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("style: "), response.text


@pytest.mark.parametrize("given", [[""], ["", " "], ["  "]])
def test_empty_parts_is_422_naming_the_parts(client: TestClient, recording: bytes, given: list[str]) -> None:
    fields = [("parts", (None, value)) for value in given]
    response = client.post(ACCOMPANIMENT, files=[("file", ("song.wav", recording, "audio/wav")), *fields])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("parts: ")
    assert all(part in body["detail"] for part in ("drums", "bass", "pad")), body


def test_a_value_given_once_in_the_query_and_once_in_the_body_is_the_bodys(client: TestClient) -> None:
    """The body wins over the query string (api.params), as before: not a repeat."""
    wav = wav_bytes(np.zeros(22050, dtype=np.float32))
    response = client.post(
        f"{TRANSCRIBE}?format=json", data={"format": "midi"}, files={"file": ("s.wav", wav, "audio/wav")}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "audio/midi", response.text


@pytest.mark.parametrize("where", ["query", "form"])
@pytest.mark.parametrize("prefer", [None, "respond-async"])
def test_async_twice_is_422_naming_it_and_queues_nothing(
    client: TestClient, recording: bytes, where: str, prefer: str | None
) -> None:
    """``async`` is taken out of the parameters before the route's model sees them (api/jobs/trigger.py): sent
    twice it was refused as "must be true or false (got "['true', 'false']")", quoting a Python list."""
    before = len(client.get("/api/v1/jobs").json()["jobs"])
    upload = ("file", ("song.wav", recording, "audio/wav"))
    headers = {"Prefer": prefer} if prefer else {}
    if where == "query":
        response = client.post(f"{TRANSCRIBE}?async=true&async=false", files=[upload], headers=headers)
    else:
        fields = [("async", (None, "true")), ("async", (None, "false"))]
        response = client.post(TRANSCRIBE, files=[upload, *fields], headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {
        "error": "invalid_parameter",
        "detail": "async: 2 values came under this name; it takes one",
    }
    assert len(client.get("/api/v1/jobs").json()["jobs"]) == before


def test_prefer_respond_async_alone_still_queues_a_job(client: TestClient, recording: bytes) -> None:
    response = client.post(
        TRANSCRIBE, files={"file": ("song.wav", recording, "audio/wav")}, headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 202 and response.headers["preference-applied"] == "respond-async", response.text


@pytest.mark.parametrize(
    ("body", "name", "content_type"),
    [
        ('{"style": "funk", "bars": 2, "style": "jazz"}', "style", "application/json"),
        ('{"bars": 2, "bars": 4, "bars": 8}', "bars", "application/json"),
        ('{"text": "play", "text": "stop"}', "text", "application/json"),
        # A JSON object sent as a form (curl -d without the JSON content type) is read as JSON: the same rule.
        ('{"style": "funk", "style": "jazz"}', "style", "application/x-www-form-urlencoded"),
    ],
)
def test_a_json_body_naming_a_parameter_twice_is_a_422_naming_it(
    client: TestClient, body: str, name: str, content_type: str
) -> None:
    # Python's JSON parser kept the last value without a word ({"style": "funk", "style": "jazz"} played jazz).
    path = "/api/v1/command" if name == "text" else "/api/v1/generate/midi"
    response = client.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "invalid_parameter"
    count = body.count(f'"{name}"')
    assert error["detail"].startswith(f"{name}: {count} values came under this name in the JSON body")


def test_a_json_body_with_each_name_once_still_runs(client: TestClient) -> None:
    response = client.post(
        "/api/v1/generate/midi",
        content='{"style": "funk", "bars": 2, "seed": 3}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["genre"] == "funk"
