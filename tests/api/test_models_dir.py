"""The analysis, mixing and transcription models are read from DAWG_AI_MODELS_DIR when it holds them
(else the shipped ones in models/), and /api/v1/models and the status name the file actually used."""

from __future__ import annotations

import shutil
from pathlib import Path

from ai.analysis.beat_net import SHIPPED_MODEL as SHIPPED_BEAT_NET
from ai.analysis.level_model import SHIPPED_MODEL as SHIPPED_LEVEL_MODEL
from ai.mixing.role_model import SHIPPED_MODEL as SHIPPED_ROLE_MODEL
from ai.transcription.drums import SHIPPED_MODEL as SHIPPED_DRUM_MODEL
from tests.api.conftest import engine_client, make_settings


def test_models_in_the_configured_folder_are_the_ones_used(tmp_path: Path) -> None:
    folder = tmp_path / "my-models"
    folder.mkdir()
    shutil.copy(SHIPPED_LEVEL_MODEL, folder)
    shutil.copy(SHIPPED_ROLE_MODEL, folder)
    with engine_client(make_settings(tmp_path, models_dir=folder)) as client:
        body = client.get("/api/v1/models").json()
        status = client.get("/api/v1/status").json()
    level, beats, drums_only = body["analysis"]
    roles, voice = body["mixing"]
    drums = next(m for m in body["transcription"] if m["name"] == "drum_transcription")
    assert level["path"] == str(folder / "metrical_level.json") and level["loaded"] is True
    assert roles["path"] == str(folder / "role_classifier.json") and roles["loaded"] is True
    # Not in the folder: the shipped file, and the listing says so.
    assert beats["path"] == str(SHIPPED_BEAT_NET) and beats["loaded"] is True
    assert drums_only["path"].endswith("models/drums_only.json") and drums_only["loaded"] is True
    assert drums["path"] == str(SHIPPED_DRUM_MODEL) and drums["available"] is True
    assert voice["path"].endswith("silero_vad/data/silero_vad.onnx")  # inside its wheel, never the folder
    listed = {m["name"]: m.get("path") for m in status["ai_models"]}
    assert listed["metrical_level"] == str(folder / "metrical_level.json")


def test_a_file_in_the_folder_wins_over_the_shipped_one(tmp_path: Path) -> None:
    folder = tmp_path / "retrained"
    folder.mkdir()
    (folder / "metrical_level.json").write_text("{not json")  # read, not just named: it fails to load
    with engine_client(make_settings(tmp_path, models_dir=folder)) as client:
        level = client.get("/api/v1/models").json()["analysis"][0]
    assert level["path"] == str(folder / "metrical_level.json")
    assert level["loaded"] is False and level["error"]
