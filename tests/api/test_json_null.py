"""A JSON null is a parameter not given, as an empty form value is: '{"bars": null}' answered 422 "Input should be
a valid integer" while '{"tempo": null}' ran, so a client that sends every field it has (null where it has none)
got a 422 on some fields and the default on others."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("name", ["bars", "temperature", "density", "swing", "variations", "send_to_core", "format"])
def test_a_null_runs_on_the_default(client: TestClient, name: str) -> None:
    response = client.post("/api/v1/generate/bassline", json={"key": "A", "seed": 3, name: None, "model": "theory"})
    assert response.status_code == 200, response.text
    default = client.post("/api/v1/generate/bassline", json={"key": "A", "seed": 3, "model": "theory"})
    assert response.json()["midi_base64"] == default.json()["midi_base64"]
