"""The drum sets besides Standard in the drum model's renders, and its electronic held-out check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pretty_midi
import pytest

from training import drum_transcription
from training.drum_electronic import LoopCheck, beats_with_hit
from training.drum_transcription import ELECTRONIC_TEST_SOUNDS, TEST_FONT, drum_set, plan, train_drum_sounds


def test_a_drum_sound_names_its_soundfont_and_drum_set() -> None:
    assert drum_set("FluidR3_GM@25") == ("FluidR3_GM", 25)
    assert drum_set("TimGM6mb") == ("TimGM6mb", 0)
    assert drum_set("h2:ForzeeStereo") == ("h2:ForzeeStereo", 0)


def test_no_training_drum_set_is_the_electronic_checks_sound() -> None:
    sounds = set(train_drum_sounds())
    assert "FluidR3_GM@25" in sounds and "MuseScore_General_Lite@24" in sounds
    # TimGM6mb's Electronic and TR 808 are sf_GMbank's samples: never trained on
    assert not {"TimGM6mb@24", "TimGM6mb@25"} & sounds
    assert not any(sound.startswith(TEST_FONT) for sound in sounds)
    assert not sounds & set(ELECTRONIC_TEST_SOUNDS)
    assert not any(drum_set(sound)[1] == 48 for sound in sounds)  # Orchestra: timpani on the tom keys


def test_drum_sets_leave_the_planned_sessions_as_they_were() -> None:
    before = plan(16, 12, 2, 4, 3)
    with_sets = plan(16, 12, 2, 4, 3, drum_set_share=1.0)
    assert [t["seed"] for t in before] == [t["seed"] for t in with_sets]
    assert [t["other_font"] for t in before] == [t["other_font"] for t in with_sets]
    assert all("@" not in t["drum_font"] for t in before)
    for task in with_sets:
        if task["split"] == "test":  # the test set is untouched
            assert task["drum_font"] == TEST_FONT
        else:
            assert task["drum_font"] in train_drum_sounds() and task["kit"] is None


def test_the_electronic_test_plays_its_sounds_in_turn() -> None:
    tasks = plan(19, 0, 0, 5, 3, test_sounds=ELECTRONIC_TEST_SOUNDS)
    assert [(t["split"], t["drum_font"], t["kit"]) for t in tasks] == [
        ("test", "sf_GMbank@24", None),
        ("test", "sf_GMbank@25", None),
        ("test", "sf_GMbank", "h2:HardElectro1"),
        ("test", "sf_GMbank", "h2:ElectricEmpireKit"),
        ("test", "sf_GMbank@24", None),
    ]
    # the standard test set's sessions are what they were
    assert [t["kit"] for t in plan(16, 0, 0, 4, 3)] == [None, "AVL_Red_Zeppelin"] * 2


def test_a_drum_set_is_the_drum_channels_program(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rendered: list[tuple[list[tuple[int, bool]], str]] = []

    def fake_fluidsynth(pm: pretty_midi.PrettyMIDI, soundfont: str, work: Path, name: str, **_: Any) -> np.ndarray:
        rendered.append(([(inst.program, inst.is_drum) for inst in pm.instruments], soundfont))
        return np.zeros(100, dtype=np.float32)

    monkeypatch.setattr(drum_transcription, "fluidsynth", fake_fluidsynth)
    notes = [(36, 0.0, 0.1, 100)]
    kwargs: dict[str, Any] = {"work": tmp_path, "name": "d", "n": 100, "fx": False, "rng": np.random.default_rng(0)}
    drum_transcription.render_drum_sound(notes, "FluidR3_GM@25", fallback="FluidR3_GM", **kwargs)
    drum_transcription.render_drum_sound(notes, "TimGM6mb", fallback="TimGM6mb", **kwargs)
    assert rendered == [
        ([(25, True)], "/usr/share/sounds/sf2/FluidR3_GM.sf2"),
        ([(0, True)], "/usr/share/sounds/sf2/TimGM6mb.sf2"),
    ]


def test_beats_with_a_kick_count_each_beat_once() -> None:
    beats = np.array([0.0, 0.5, 1.0, 1.5])
    kicks = np.array([0.01, 0.02, 0.56, 1.2, 1.46])  # two near the first beat, one 60 ms late, one between
    assert beats_with_hit(beats, kicks) == 2  # 0.0 and 1.5
    assert beats_with_hit(beats, np.array([])) == 0
    check = LoopCheck({"kick": 2, "tom_low": 5}, 4, 2)
    assert check.line().startswith("kicks on beats 2/4; hits: kick 2 snare 0")
