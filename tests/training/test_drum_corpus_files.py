"""The MMA files the drum transcription's renders draw from (training/drum_transcription.py ``mma_files``)."""

from __future__ import annotations

from pathlib import Path

from training.drum_transcription import groove_family_split, mma_files


def test_only_each_grooves_first_rendering_is_drawn(tmp_path: Path) -> None:
    # training/README.md's corpus holds three renderings a groove; the drum renders were planned on the first.
    families = {split: next(f for f in ("rock", "jazz", "swing", "funk", "latin", "ballad", "disco", "waltz")
                            if groove_family_split(f) == split) for split in ("train", "test")}  # fmt: skip
    for family in families.values():
        (tmp_path / family).mkdir()
        for name in ("groove_0.mid", "groove_1.mid", "groove_2.mid", "other_0.mid", "groove_0.mma", "groove_10.mid"):
            (tmp_path / family / name).touch()
    for split, family in families.items():
        assert mma_files(split, tmp_path) == [tmp_path / family / "groove_0.mid", tmp_path / family / "other_0.mid"]
