"""A form body whose UTF-8 text is not percent-encoded, as ``curl -d "text=melody in F♯ minor"`` sends it: Starlette
reads an urlencoded body's raw bytes as Latin-1, so the command read 'melody in Fâ\x99¯ minor' and made a melody in
C major without a word of the key; a key 'F♯' was "unknown scale 'â\x99¯'", a project id with an accent was
refused as holding other characters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "body",
    [
        "text=melody in F♯ minor&dry_run=1".encode(),  # raw UTF-8, as curl -d sends it
        b"text=melody+in+F%E2%99%AF+minor&dry_run=1",  # percent-encoded, as a browser or JUCE sends it
    ],
    ids=["raw", "percent-encoded"],
)
def test_a_command_in_utf8_reads_the_same_raw_or_percent_encoded(client: TestClient, body: bytes) -> None:
    response = client.post("/api/v1/command", content=body, headers=FORM)
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "melody in F♯ minor"
    assert response.json()["params"] == {"key": "F#", "scale": "minor"}


def test_a_key_in_raw_utf8_is_read(client: TestClient) -> None:
    response = client.post(
        "/api/v1/generate/bassline", content="key=F♯&bars=1&seed=1&model=theory".encode(), headers=FORM
    )
    assert response.status_code == 200, response.text
    assert response.json()["key"] == "F#"


def test_a_latin_1_body_is_still_read_as_latin_1(client: TestClient) -> None:
    """Bytes that are no UTF-8 keep the Latin-1 reading they had: 'café' sent as ISO-8859-1."""
    response = client.post("/api/v1/command", content="text=café drums&dry_run=1".encode("latin-1"), headers=FORM)
    assert response.json()["text"] == "café drums"
