"""The engine's temporary files through HTTP: a configured upload folder that does not exist yet is made; one
that cannot be made, or a full disk, is a 507 that says where and why (not an internal error), and the
partial file is not left behind."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import api.params
from ai.audio.stem_file import write_stem_file
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import tone, wav_bytes
from utils.errors import ScratchSpaceUnavailable

WAV = wav_bytes(tone([440.0], 1.0))


def test_an_upload_folder_not_made_yet_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "not" / "made" / "yet"
    with engine_client(make_settings(tmp_path, upload_dir=folder)) as client:
        response = client.post("/api/v1/analyze/audio", files={"file": ("a.wav", WAV, "audio/wav")})
    assert response.status_code == 200, response.text
    assert folder.is_dir() and list(folder.iterdir()) == []  # made, and the upload's copy deleted after


def test_an_upload_folder_that_cannot_be_made_is_a_507(tmp_path: Path) -> None:
    blocker = tmp_path / "uploads"
    blocker.write_text("a file where the folder should be")
    with engine_client(make_settings(tmp_path, upload_dir=blocker / "inside")) as client:
        analysed = client.post("/api/v1/analyze/audio", files={"file": ("a.wav", WAV, "audio/wav")})
        generated = client.post("/api/v1/generate/midi?style=drums&bars=1")  # writes no temporary file
    assert analysed.status_code == 507, analysed.text
    assert analysed.json()["error"] == "scratch_space_unavailable"
    assert str(blocker / "inside") in analysed.json()["detail"]
    assert generated.status_code == 200


class _FullDisk:
    """A named temporary file whose writes fail as on a full disk."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.name = real.name

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self._real.close()

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def test_a_full_disk_while_an_upload_is_copied_is_a_507_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "uploads"
    real = tempfile.NamedTemporaryFile
    monkeypatch.setattr(api.params.tempfile, "NamedTemporaryFile", lambda *a, **k: _FullDisk(real(*a, **k)))
    with engine_client(make_settings(tmp_path, upload_dir=folder)) as client:
        response = client.post("/api/v1/analyze/audio", files={"file": ("a.wav", WAV, "audio/wav")})
    assert response.status_code == 507, response.text
    assert "No space left on device" in response.json()["detail"] and str(folder) in response.json()["detail"]
    assert list(folder.iterdir()) == []


def test_a_full_disk_while_a_stem_is_written_is_a_507_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _FullDisk(real_fdopen(fd, mode)))
    blocks = iter([np.zeros((2, 1000), dtype=np.float32)])
    with pytest.raises(ScratchSpaceUnavailable):
        write_stem_file(blocks, channels=2, sample_rate=44100, directory=tmp_path)
    assert list(tmp_path.iterdir()) == []
