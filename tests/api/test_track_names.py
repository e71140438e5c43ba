"""Track names taken from uploaded file names (what a DAW's mixer can show) and the roles given to them."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.mix_input import parse_roles, track_name
from tests.api.test_mixing import SR, wav
from utils.errors import InvalidParameter


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("Kick.wav", "Kick"),
        ("Über Bass.flac", "Über Bass"),
        ("a\x01b.wav", "ab"),  # a control character, kept as typed before
        ("\u202eLead.wav", "Lead"),  # a right-to-left override turned every message about the track round
        ("\u200b.wav", ""),  # nothing left: the caller names it "track N"
        (None, ""),
    ],
)
def test_control_and_format_characters_are_left_out(filename: str | None, name: str) -> None:
    assert track_name(filename) == name


def test_an_uploaded_stem_is_named_without_them_over_http(client: TestClient) -> None:
    t = np.arange(SR * 2) / SR
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    other = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)  # the same tone twice is a duplicate, left out
    files = [("files", ("\u202eLead.wav", wav(tone), "audio/wav")), ("files", ("\u200b.wav", wav(other), "audio/wav"))]
    levels = client.post("/api/v1/mixing/auto_level", files=files).json()["levels"]
    assert sorted(levels) == ["Lead", "track 2"]


def test_roles_for_track_names_that_hold_an_equals_sign_or_a_comma() -> None:
    """'a=b=bass' read the role as 'b=bass'; a name holding ',' cannot be said in the string form, and the
    message now says how to send it."""
    assert parse_roles("Kick=kick, Bass DI=bass") == {"Kick": "kick", "Bass DI": "bass"}
    assert parse_roles("a=b=bass") == {"a=b": "bass"}
    assert parse_roles('{"Kick, Snare": "drums"}') == {"Kick, Snare": "drums"}
    with pytest.raises(InvalidParameter, match="for a track name holding ',', send roles as a JSON object"):
        parse_roles("Kick, Snare=drums")


@pytest.mark.parametrize(
    ("roles", "detail"),
    [
        ({"Kick": {"x": 1}}, "roles: the role of 'Kick' must be a role name such as \"bass\""),
        (["Kick=kick"], 'roles: a JSON object {"track": "role"} or the text "Track=role, Track2=role"'),
    ],
)
def test_roles_of_another_shape_are_refused_in_words(client: TestClient, roles: object, detail: str) -> None:
    """They read "roles.str: Input should be a valid string" (pydantic's union of text and object)."""
    response = client.post("/api/v1/mixing/suggest", json={"roles": roles})
    assert response.status_code == 422 and response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        (True, "target: a target name such as 'streaming' or a number in LUFS such as -14, not true or false"),
        ([-14], "target: a target name such as 'streaming' or a number in LUFS such as -14"),
        ({"lufs": -14}, "target: a target name such as 'streaming' or a number in LUFS such as -14"),
    ],
)
def test_a_target_of_another_shape_is_refused_in_words(client: TestClient, target: object, detail: str) -> None:
    """true read as "1 LUFS is outside -40 to -5 LUFS"; a list or an object as 'target.str: Input should be a
    valid string'."""
    response = client.post("/api/v1/mixing/suggest", json={"target": target})
    assert response.status_code == 422 and response.json()["detail"].startswith(detail), response.text
    assert client.post("/api/v1/mixing/suggest", json={"target": -14}).status_code != 422
