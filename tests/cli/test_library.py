"""``dawg-ai library scan`` and ``library search`` in process, on a small library of synthetic songs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.library import search_table
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.cli.test_app import dawg_ai


@pytest.fixture
def library(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = cli_env / "samples"
    (root / "loops").mkdir(parents=True)
    (root / "loops" / "g_major_110.wav").write_bytes(wav_bytes(song_in_g_major(110.0, bars=4)))
    (root / "loops" / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    monkeypatch.setenv("DAWG_AI_LIBRARY_ROOTS", json.dumps([str(root)]))
    monkeypatch.setenv("DAWG_AI_DATA_DIR", str(cli_env / "data"))
    monkeypatch.setenv("DAWG_AI_LIBRARY_SCAN_MODE", "sequential")
    return root


def test_scan_then_search_then_rescan_skips(library: Path) -> None:
    scanned = dawg_ai("--json", "library", "scan", "loops")
    assert scanned.exit_code == 0, scanned.output
    job = json.loads(scanned.stdout)
    assert job["state"] == "succeeded"
    assert job["result"]["analysed"] == 1 and job["result"]["failed"] == 1
    found = dawg_ai("--json", "library", "search", "--key", "Em", "--tempo", "55")
    assert found.exit_code == 0, found.output
    body = json.loads(found.stdout)
    assert [Path(item["path"]).name for item in body["items"]] == ["g_major_110.wav"]
    assert body["items"][0]["key_match"] == "relative" and body["items"][0]["tempo_factor"] == 0.5
    table = dawg_ai("library", "search", "--key", "G")
    assert table.exit_code == 0 and "g_major_110.wav" in table.stdout
    again = dawg_ai("--json", "library", "scan", "loops")
    assert json.loads(again.stdout)["result"]["analysed"] == 0


def test_a_folder_outside_the_roots_is_the_service_s_400(library: Path, tmp_path: Path) -> None:
    result = dawg_ai("library", "scan", str(tmp_path))
    assert result.exit_code == 2
    assert "path_outside_library" in result.stderr or "outside" in result.stderr


def test_search_by_a_clip(library: Path, tmp_path: Path) -> None:
    assert dawg_ai("library", "scan", "loops").exit_code == 0
    clip = tmp_path / "idea.wav"
    clip.write_bytes(wav_bytes(song_in_g_major(114.0, bars=4)))
    found = dawg_ai("--json", "library", "search", "--clip", str(clip))
    assert found.exit_code == 0, found.output
    body = json.loads(found.stdout)
    assert body["clip"]["key"] == "G major" and [Path(item["path"]).name for item in body["items"]] == [
        "g_major_110.wav"
    ]
    table = dawg_ai("library", "search", "--clip", str(clip), "--key", "F#")  # an option wins over the clip
    assert (
        table.exit_code == 0 and "fitting idea.wav: G major (9B)" in table.stdout and "no file matches" in table.stdout
    )
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"not audio at all" * 20)
    refused = dawg_ai("library", "search", "--clip", str(bad))
    assert refused.exit_code == 2 and "unsupported_media_type" in refused.stderr


def test_the_search_table_title_counts_the_files() -> None:
    """`dawg-ai library search --key Am` on a library with no A minor read "0 files (page 1 of 0)"; one was "1 files"."""
    assert search_table({"total": 0, "page": 1, "pages": 0, "items": []}).title == "no file matches"
    assert search_table({"total": 1, "page": 1, "pages": 1, "items": []}).title == "1 file (page 1 of 1)"
    assert search_table({"total": 120, "page": 2, "pages": 3, "items": []}).title == "120 files (page 2 of 3)"
