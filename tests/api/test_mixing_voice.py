"""Voice stems whose names say nothing ("Audio 1") over HTTP: the mixing routes hear a singer as vocals and a
speaker as speech, from memory and from stem files alike (ai/mixing/voice.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import mix_input
from tests.ai.mixing.signals import SR, voice_line
from tests.api.conftest import engine_client, make_settings
from tests.api.test_mixing import stems, wav


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
