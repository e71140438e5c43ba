"""The microtiming parameter over HTTP: query, form and JSON; 0 is today's clip; 1 moves the snare the
learned way; a seed reproduces its clip; bad values are 422; /api/v1/models lists the table."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest
from fastapi.testclient import TestClient

from ai.generation.microtiming import load_timing
from tests.api.conftest import engine_client, make_settings

PATH = "/api/v1/generate/midi"
BASE = {"style": "funk", "bars": 8, "tempo": 120, "seed": 5, "model": "theory"}
SIXTEENTH = 0.125


def _post(client: TestClient, how: str, params: dict) -> dict:
    if how == "query":
        response = client.post(PATH, params=params)
    elif how == "form":
        response = client.post(PATH, data={k: str(v) for k, v in params.items()})
    else:
        response = client.post(PATH, json=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("how", ["query", "form", "json"])
def test_zero_is_the_clip_without_the_parameter_and_one_moves_it(client: TestClient, how: str) -> None:
    plain = _post(client, how, BASE)
    zero = _post(client, how, {**BASE, "microtiming": 0})
    assert zero["midi_base64"] == plain["midi_base64"] and zero["microtiming"] == 0.0
    moved = _post(client, how, {**BASE, "microtiming": 1})
    assert moved["microtiming"] == 1.0 and moved["midi_base64"] != plain["midi_base64"]
    again = _post(client, how, {**BASE, "microtiming": 1})
    assert again["midi_base64"] == moved["midi_base64"]  # the seed reproduces it byte for byte
    data = base64.b64decode(moved["midi_base64"])
    midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    assert min(n.start for n in midi.instruments[0].notes) >= 0.0
    assert max(n.end for n in midi.instruments[0].notes) <= 8 * 2.0 + 1e-3
    assert mido.MidiFile(file=io.BytesIO(data)).length == pytest.approx(8 * 2.0)  # ends on the bar line


def test_full_microtiming_lays_the_funk_backbeat_back(client: TestClient) -> None:
    timing = load_timing()
    assert timing is not None
    learned = np.mean([timing.cell("funk", "snare", s)[0] for s in (4, 12)])
    assert learned > 0.02  # GMD's funk drummers play 2 and 4 late: the case this test checks
    offsets = []
    for seed in range(6):
        body = _post(client, "json", {**BASE, "seed": seed, "microtiming": 1})
        for note in body["notes"]:
            position = note["start"] / SIXTEENTH
            step = round(position)
            if note["pitch"] == 38 and step % 16 in (4, 12):
                offsets.append(position - step)
    assert len(offsets) >= 40
    assert np.mean(offsets) > 0 and np.mean(offsets) == pytest.approx(learned, abs=0.06)


@pytest.mark.parametrize("value", [-0.1, 1.5, "lots"])
def test_bad_microtiming_is_422(client: TestClient, value: object) -> None:
    for response in (
        client.post(PATH, params={**BASE, "microtiming": value}),
        client.post(PATH, json={**BASE, "microtiming": value}),
    ):
        assert response.status_code == 422, response.text
        assert "microtiming" in response.text


def test_models_lists_the_timing_table(client: TestClient) -> None:
    generation = client.get("/api/v1/models").json()["generation"]
    (entry,) = [e for e in generation if e["name"] == "groove_timing"]
    assert entry["loaded"] is True and "funk" in entry["styles"]


def test_microtiming_without_its_table_is_an_honest_503(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "groove_timing.json").write_text("{not json")  # the configured folder's copy wins, and is broken
    with engine_client(make_settings(tmp_path, models_dir=models)) as client:
        response = client.post("/api/v1/generate/midi", json={"style": "funk", "bars": 2, "microtiming": 1})
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "model_unavailable" and "microtiming" in response.json()["detail"]
        plain = {"style": "funk", "bars": 2, "microtiming": 0}
        assert client.post("/api/v1/generate/midi", json=plain).status_code == 200
        bass = {"style": "bass", "bars": 2, "microtiming": 1}  # only drums use the table
        assert client.post("/api/v1/generate/midi", json=bass).status_code == 200
