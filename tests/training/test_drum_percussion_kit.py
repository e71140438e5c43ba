"""The sampled percussion of the unfamiliar-distractor validation set and of the training negatives
(training/drum_percussion_kit.py): they play only notes of no class, share no kit, and hand every kit
piece back to the session's kit."""

from __future__ import annotations

import numpy as np
import pytest

from ai.transcription.drums import GM_TO_CLASS
from training.drum_percussion_kit import (
    HAT_LIKE_CLICKS,
    PERCUSSION_SAMPLES,
    PERCUSSION_SETS,
    TRAINING_PERCUSSION_SAMPLES,
    VALIDATION_PERCUSSION_KITS,
    check_percussion_set,
    percussion_kit,
)
from training.drumkit_samples import KITS_DIR, TRAIN_KITS, render_kit

SR = 22050


def test_no_percussion_note_is_a_class_and_no_sample_comes_from_a_training_kit_s_pieces() -> None:
    assert not set(PERCUSSION_SAMPLES) & set(GM_TO_CLASS)
    # ForzeeStereo trains only through the pieces its names map to; its agogos map to none
    sources = {kit for samples in PERCUSSION_SAMPLES.values() for kit, _ in samples}
    assert sources - {"ForzeeStereo"} <= {"Gimme A Hand 1.0", "Audiophob"}
    assert not (sources - {"ForzeeStereo"}) & set(TRAIN_KITS)


@pytest.mark.skipif(not (KITS_DIR / "Gimme A Hand 1.0").is_dir(), reason="hydrogen-drumkits not installed")
def test_percussion_plays_and_kit_pieces_come_back() -> None:
    kit = percussion_kit()
    assert set(kit.pieces) == set(PERCUSSION_SAMPLES)
    notes = [(70, 0.1, 0.2, 100), (36, 0.5, 0.6, 100), (42, 0.5, 0.6, 90), (75, 1.0, 1.1, 90)]
    audio, rest = render_kit(notes, kit, n=SR * 2, sr=SR, rng=np.random.default_rng(0))
    assert [note[0] for note in rest] == [36, 42]
    assert np.abs(audio[: int(0.09 * SR)]).max() == 0.0  # nothing before the maraca
    assert np.abs(audio[int(0.1 * SR) : int(0.2 * SR)]).max() > 0.01
    assert np.abs(audio[int(1.0 * SR) : int(1.1 * SR)]).max() > 0.01


def test_training_percussion_shares_no_kit_with_the_validation_set_and_plays_no_class() -> None:
    training = {kit for samples in TRAINING_PERCUSSION_SAMPLES.values() for kit, _ in samples}
    assert not training & set(VALIDATION_PERCUSSION_KITS)
    assert not set(TRAINING_PERCUSSION_SAMPLES) & set(GM_TO_CLASS)
    assert PERCUSSION_SETS["validation"] is PERCUSSION_SAMPLES  # perc_val28 renders as before


def test_no_hat_like_click_is_a_training_negative() -> None:
    # round 8 taught these as "not a hat" and lost the electronic kits' closed hats
    training = {sample for samples in TRAINING_PERCUSSION_SAMPLES.values() for sample in samples}
    assert ("VariBreaks", "VariBreaks Drum 1") in HAT_LIKE_CLICKS
    assert ("ElectricEmpireKit", "Click") in HAT_LIKE_CLICKS
    assert ("rumpf_kit_z01_h2", "g4 -") in HAT_LIKE_CLICKS
    assert not training & set(HAT_LIKE_CLICKS)


def test_training_renders_may_not_play_the_validation_kits() -> None:
    check_percussion_set("training", {"train", "val"})
    check_percussion_set("validation", {"val"})
    with pytest.raises(ValueError, match="validation-only"):
        check_percussion_set("validation", {"train"})
    with pytest.raises(ValueError, match="no percussion set"):
        check_percussion_set("maracas", {"val"})


@pytest.mark.skipif(not (KITS_DIR / "circAfrique v4").is_dir(), reason="hydrogen-drumkits not installed")
def test_training_percussion_plays_its_notes_and_hands_back_the_rest() -> None:
    kit = percussion_kit("training")
    assert set(kit.pieces) == set(TRAINING_PERCUSSION_SAMPLES)
    notes = [(56, 0.1, 0.2, 100), (42, 0.5, 0.6, 90), (70, 0.7, 0.8, 90), (62, 1.0, 1.1, 90)]
    audio, rest = render_kit(notes, kit, n=SR * 2, sr=SR, rng=np.random.default_rng(0))
    assert [note[0] for note in rest] == [42, 70]  # the hat and the maracas (no training sample)
    assert np.abs(audio[int(0.1 * SR) : int(0.2 * SR)]).max() > 0.01
    assert np.abs(audio[int(1.0 * SR) : int(1.1 * SR)]).max() > 0.01
