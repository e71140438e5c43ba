"""bench/drum_transcription.py's --data: a folder with truth.json, or a render folder holding test/."""

from __future__ import annotations

from pathlib import Path

from bench.drum_transcription import truth_folder


def test_data_may_name_the_render_folder(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    assert truth_folder(tmp_path) == tmp_path  # no truth.json anywhere: left as named (the error names it)
    (tmp_path / "test" / "truth.json").write_text("[]")
    assert truth_folder(tmp_path) == tmp_path / "test"
    assert truth_folder(tmp_path / "test") == tmp_path / "test"
    (tmp_path / "truth.json").write_text("[]")
    assert truth_folder(tmp_path) == tmp_path  # its own truth.json first
