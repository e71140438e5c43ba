"""A value that fits no type of a parameter that takes several (text or a list): the 422 named 'chords.str',
'apply.str' or 'parts.str' (pydantic's tag of the union's first branch), a parameter no caller sends, and gave
only that branch's words, "Input should be a valid string", when a list was as welcome."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/generate/bassline", {"chords": 5}),
        ("/api/v1/mixing/render", {"apply": 5}),
        ("/api/v1/generate/accompaniment", {"parts": 5}),
    ],
)
def test_the_parameter_is_named_as_sent_with_every_type_it_takes(
    client: TestClient, path: str, body: dict[str, int]
) -> None:
    response = client.post(path, json=body)
    (name,) = body
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{name}: should be a string or a list of strings (got 5)"


def test_a_list_of_the_wrong_items_names_the_parameter_too(client: TestClient) -> None:
    response = client.post("/api/v1/generate/bassline", json={"chords": [1, 2]})
    assert (
        response.status_code == 422 and response.json()["detail"] == "chords: should be a string or a list of strings"
    )


def test_a_parameter_of_one_type_keeps_its_own_words(client: TestClient) -> None:
    """Only a union is worded anew: a parameter of one type keeps pydantic's words."""
    response = client.post("/api/v1/generate/bassline", json={"bars": "x"})
    assert response.json()["detail"].startswith("bars: Input should be a valid integer")
