"""The split of a Hydrogen-kit render by kit (training/drum_kit_split.py): held-out kits' sessions choose
thresholds, the other single-kit sessions train, mixed-kit sessions go to neither; and the session draws
it replays are the ones a render makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pretty_midi
import pytest

from training import drum_kit_split, drum_transcription


@pytest.fixture()
def groove(tmp_path: Path) -> Path:
    pm = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes += [pretty_midi.Note(100, 36 if i % 2 else 42, 0.25 * i, 0.25 * i + 0.1) for i in range(8)]
    pm.instruments.append(kit)
    path = tmp_path / "groove.mid"
    pm.write(str(path))
    return path


def _task(name: str, split: str, kit: str | None, groove: Path, share: float) -> dict[str, Any]:
    return {
        "name": name,
        "split": split,
        "seed": 100 + int(name[-3:]),
        "files": [str(groove)],
        "clips": 2,
        "p_synthetic": 0.5,
        "kit": kit,
        "drum_font": "FluidR3_GM",
        "mixed_kit_share": share,
    }


def test_mixed_kit_draw_follows_the_share(groove: Path) -> None:
    tasks = [_task(f"train{i:03d}", "train", None, groove, 1.0) for i in range(3)]
    assert [mixed for _, mixed in drum_kit_split.session_kits(tasks)] == [True] * 3
    none = [{**task, "mixed_kit_share": 0.0} for task in tasks]
    assert [mixed for _, mixed in drum_kit_split.session_kits(none)] == [False] * 3
    test = [{**task, "split": "test"} for task in tasks]
    assert [mixed for _, mixed in drum_kit_split.session_kits(test)] == [False] * 3


def test_draw_session_is_reproducible(groove: Path) -> None:
    task = _task("train000", "train", None, groove, 0.5)
    (a, _), (b, _) = drum_transcription.draw_session(task), drum_transcription.draw_session(task)
    assert a == b and len(a.clips) == 2 and a.drums


def test_split_by_kit(tmp_path: Path, groove: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = [
        _task("train000", "train", "h2:Held", groove, 0.0),
        _task("train001", "train", "h2:Other", groove, 0.0),
        _task("train002", "train", None, groove, 0.0),
        _task("val000", "val", "h2:Held", groove, 0.0),
    ]
    sounds = {"train000": ("h2:Held", False), "train001": ("h2:Other", True), "train002": ("FluidR3_GM", False)}
    sounds["val000"] = ("h2:Held", False)
    monkeypatch.setattr(drum_kit_split, "session_kits", lambda planned: [sounds[t["name"]] for t in planned])
    # two clips per session; every frame of a session's clips holds its session's number
    for split, sessions in (("train", (0, 1, 2)), ("val", (3,))):
        lengths = np.asarray([3, 4] * len(sessions))
        x = np.concatenate([np.full((7, 2), s, dtype=np.float16) for s in sessions])
        np.savez(tmp_path / f"{split}.npz", x=x, y=x.astype(np.float32), lengths=lengths)
    out = drum_kit_split.split_by_kit(tmp_path, tasks, ("Held",), clips=2)
    assert sorted(set(out["heldout"]["x"][:, 0].tolist())) == [0.0, 3.0]
    assert sorted(set(out["train"]["x"][:, 0].tolist())) == [2.0]  # train001 mixed its kit: neither side
    assert out["train"]["lengths"].tolist() == [3, 4] and out["heldout"]["lengths"].sum() == 14
    with pytest.raises(SystemExit):
        drum_kit_split.split_by_kit(tmp_path, tasks, ("Held",), clips=3)
