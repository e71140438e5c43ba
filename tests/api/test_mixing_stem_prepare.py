"""Stems that prepare_tracks must fold or resample, and stems whose role is heard from the audio, answer
from stem files exactly what they answer from memory (folded, resampled and classified block by block),
on the mixing routes and on /analyze/project, and leave no file behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ai.audio.stem_file import decode_stem
from api import mix_input
from tests.api.conftest import engine_client, make_settings
from tests.api.test_mixing import stems, wav
from tests.api.test_projects import write_project

SECONDS = 8.0


def _odd_stems() -> dict[str, tuple[np.ndarray, int]]:
    """(samples, rate) by file name: stereo 44.1 kHz, a 48 kHz stereo stem, a 5.1 stem, and a mono
    and a stereo stem whose names give no role."""
    at_44 = stems(SECONDS)
    at_48 = stems(SECONDS, sr=48000)
    kick = np.stack([at_44["Kick"], np.roll(at_44["Kick"], 3) * np.float32(0.9)])
    surround = np.stack([at_44["Vocals"] * np.float32(0.2 * (k + 1)) for k in range(6)])
    return {
        "Kick": (kick, 44100),
        "Vocals": (np.stack([at_44["Vocals"], at_44["Vocals"][::-1]]), 44100),
        "Bass": (np.stack([at_48["Bass"], at_48["Bass"] * np.float32(0.8)]), 48000),
        "Pad 5.1": (surround, 44100),
        "Audio 1": (at_44["Kick"], 44100),
        "Audio 2": (np.stack([at_44["Bass"], at_44["Bass"] * np.float32(0.7)]), 44100),
    }


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (f"{name}.wav", wav(y, sr), "audio/wav")) for name, (y, sr) in _odd_stems().items()]


def _answers(client: TestClient, **request: object) -> dict[str, bytes]:
    out = {}
    for route, data in (("suggest", {}), ("auto_level", {}), ("render", {"master": "true"})):
        response = client.post(f"/api/v1/mixing/{route}", data=data, **request)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        out[route] = response.content
    return out


def _stems_into_files(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every stem decoded into a stem file from now on; the list fills with what was decoded."""
    monkeypatch.setattr(mix_input, "IN_MEMORY_BYTES", 0)
    made: list[object] = []
    real = decode_stem

    def spy(*args: object, **kwargs: object) -> object:
        made.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(mix_input, "decode_stem", spy)
    return made


def test_folded_resampled_and_unnamed_stems_answer_the_same_from_stem_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    files = _files()
    with engine_client(make_settings(tmp_path, upload_dir=uploads)) as client:
        in_memory = _answers(client, files=files)
        made = _stems_into_files(monkeypatch)
        on_disk = _answers(client, files=files)
    assert len(made) == 18 and all(hasattr(audio, "path") for audio in made)
    assert on_disk == in_memory
    body = on_disk["suggest"].decode()
    for note in ("resampled from 48000 Hz to 44100 Hz", "5.1 downmixed to stereo", "Audio 1: role 'kick' heard"):
        assert note in body
    assert list(uploads.iterdir()) == []  # the stems' files and the ones made from them went


def test_project_analysis_decodes_long_stems_into_stem_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings = make_settings(tmp_path, upload_dir=uploads)
    odd = _odd_stems()
    write_project(settings.projects_dir, "p1", list(odd))
    stems_dir = settings.projects_dir / "p1" / "stems"
    stems_dir.mkdir(parents=True)
    for name, (y, sr) in odd.items():
        (stems_dir / f"{name}.wav").write_bytes(wav(y, sr))
    with engine_client(settings) as client:
        in_memory = client.post("/api/v1/analyze/project", data={"project_id": "p1"})
        made = _stems_into_files(monkeypatch)
        on_disk = client.post("/api/v1/analyze/project", data={"project_id": "p1"})
    assert in_memory.status_code == 200, in_memory.text
    assert len(made) == 6 and all(getattr(audio, "path", uploads).parent == uploads for audio in made)
    assert on_disk.content == in_memory.content
    assert {t["name"] for t in on_disk.json()["tracks"] if t["measurements"]} == set(odd)
    assert list(uploads.iterdir()) == []
