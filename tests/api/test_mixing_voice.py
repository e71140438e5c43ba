"""Voice stems whose names say nothing ("Audio 1") over HTTP: the mixing routes hear a singer as vocals and a
speaker as speech, from memory and from stem files alike (ai/audio/voice.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import mix_input
from tests.ai.mixing.signals import SR, voice_line
from tests.api.conftest import engine_client, make_settings
from tests.api.test_mixing import stems, upload, wav


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    kick = stems(12.0, sr=SR)["Kick"]
    tracks = {
        "Audio 1": np.stack([voice_line(sung=True), voice_line(sung=True)]),
        "Audio 2": voice_line(sung=False, seed=1),
        "Audio 3": kick,
    }
    return [("files", (f"{name}.wav", wav(y, SR), "audio/wav")) for name, y in tracks.items()]


def _roles(client: TestClient) -> dict[str, object]:
    response = client.post("/api/v1/mixing/suggest", files=_files())
    assert response.status_code == 200, response.text
    body = response.json()
    return {"roles": {t["name"]: t["role"] for t in body["tracks"]}, "body": response.text}


def test_unnamed_voice_stems_are_vocals_and_speech_from_memory_and_from_stem_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with engine_client(make_settings(tmp_path, upload_dir=uploads)) as client:
        in_memory = _roles(client)
        monkeypatch.setattr(mix_input, "IN_MEMORY_BYTES", 0)  # every stem decoded into a stem file
        on_disk = _roles(client)
    assert in_memory["roles"] == {"Audio 1": "vocals", "Audio 2": "speech", "Audio 3": "kick"}
    assert on_disk == in_memory
    assert "Audio 1: role 'vocals' heard from the audio (a voice in" in str(in_memory["body"])
    assert list(uploads.iterdir()) == []


def _podcast() -> list[tuple[str, tuple[str, bytes, str]]]:
    """DAWG-CORE's Podcast template: Host and Guest take turns, a music bed under them."""
    host, guest = voice_line(16.0, sung=False, seed=2), voice_line(16.0, sung=False, seed=3)
    turns = (np.arange(len(host)) // (4 * SR)) % 2 == 0
    music = stems(16.0, sr=SR)
    bed = (music["Bass"] + music["Kick"]) * np.float32(0.3)
    tracks = {"Host": host * turns, "Guest": guest * ~turns, "Music": bed}
    return [("files", (f"{name}.wav", wav(y.astype(np.float32), SR), "audio/wav")) for name, y in tracks.items()]


def test_a_podcast_is_aimed_at_the_podcast_loudness_unless_a_target_is_given(client: TestClient) -> None:
    """A session led by speech (Host, Guest, Music) was told "streaming asks for -14 LUFS"; podcasts are delivered
    at -16 (Apple Podcasts, AES TD1004). A given target still wins, and a song keeps streaming's -14."""
    files = _podcast()
    default = client.post("/api/v1/mixing/suggest", files=files).json()
    assert default["target"] == {"name": "podcast", "lufs": -16.0, "ceiling_dbtp": -1.0}
    # Nor is its sum judged against band music's tonal curve.
    assert not [s for s in default["suggestions"] if s["type"] == "tonal" and s["track"] == "Mix bus"]
    assert any("led by speech" in note for note in default["notes"])
    given = client.post("/api/v1/mixing/suggest", data={"target": "streaming"}, files=files).json()
    assert given["target"]["lufs"] == -14.0
    song = client.post("/api/v1/mixing/suggest", files=upload(stems())).json()  # Kick, Bass, Vocals
    assert song["target"]["name"] == "streaming"
    rendered = client.post("/api/v1/mixing/render", data={"master": "true", "format": "json"}, files=files)
    assert rendered.status_code == 200, rendered.text
    master = rendered.json()["master"]
    assert master["target"]["lufs"] == -16.0 and abs(master["loudness_lufs"] - -16.0) <= 0.5, master
