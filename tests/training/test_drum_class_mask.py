"""The drum network's per-clip class mask (training/drum_class_mask.py): clips of synthesized kits teach
kick and snare, and their hat terms add nothing to the loss nor to its gradient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.transcription.drums import CLASS_NAMES, HIHAT_CLOSED, HIHAT_OPEN
from training.drum_class_mask import (
    HAT_CLASSES,
    class_mask,
    is_synthesized,
    masked_bce,
    sessions_file,
    with_ignored,
    write_sessions,
)

KICK = CLASS_NAMES.index("kick")


def test_the_mask_flags_the_named_classes_only() -> None:
    assert np.flatnonzero(class_mask(HAT_CLASSES)).tolist() == [HIHAT_CLOSED, HIHAT_OPEN]
    assert not class_mask(()).any()
    with pytest.raises(ValueError, match="cowbell"):
        class_mask(("hihat_closed", "cowbell"))


def test_the_flags_ride_beside_the_targets() -> None:
    y = np.zeros((5, len(CLASS_NAMES)), dtype=np.float32)
    y[2, KICK] = 1.0
    out = with_ignored(y, HAT_CLASSES)
    assert out.shape == (5, 2 * len(CLASS_NAMES))
    assert np.array_equal(out[:, : len(CLASS_NAMES)], y)
    assert np.all(out[:, len(CLASS_NAMES) + HIHAT_CLOSED] == 1.0) and np.all(out[:, len(CLASS_NAMES) + KICK] == 0.0)


@pytest.fixture(scope="module")
def tf():  # type: ignore[no-untyped-def]
    from training.tfsetup import setup_tensorflow

    return setup_tensorflow()


def _loss_and_hat_gradient(tf, ignored: tuple[str, ...], hat_pred: float) -> tuple[float, np.ndarray]:  # type: ignore[no-untyped-def]
    """The loss of one frame with a kick and a closed hat labelled, the network sure of the kick and at
    ``hat_pred`` on both hats, and the gradient of the loss at the hat outputs."""
    y = np.zeros((1, 1, len(CLASS_NAMES)), dtype=np.float32)
    y[..., [KICK, HIHAT_CLOSED]] = 1.0
    pred = np.full_like(y, 0.01)
    pred[..., KICK] = 0.99
    pred[..., [HIHAT_CLOSED, HIHAT_OPEN]] = hat_pred
    y_true = tf.constant(with_ignored(y[0], ignored)[None])
    y_pred = tf.Variable(pred)
    loss = masked_bce(tf, np.full(len(CLASS_NAMES), 8.0, dtype=np.float32))
    with tf.GradientTape() as tape:
        value = loss(y_true, y_pred)
    gradient = tape.gradient(value, y_pred).numpy()[0, 0]
    return float(value), gradient[[HIHAT_CLOSED, HIHAT_OPEN]]


def test_masked_hats_add_no_loss_and_no_gradient(tf) -> None:  # type: ignore[no-untyped-def]
    right, right_gradient = _loss_and_hat_gradient(tf, HAT_CLASSES, 0.99)
    wrong, wrong_gradient = _loss_and_hat_gradient(tf, HAT_CLASSES, 0.01)
    assert wrong == pytest.approx(right)
    assert not right_gradient.any() and not wrong_gradient.any()


def test_without_a_mask_the_loss_is_the_weighted_cross_entropy(tf) -> None:  # type: ignore[no-untyped-def]
    wrong, gradient = _loss_and_hat_gradient(tf, (), 0.01)
    # kick and closed hat positives (weight 8), the open hat and six others negatives, over 9 entries
    expected = (8 * -np.log(0.99) + 8 * -np.log(0.01) + -np.log(0.99) + 6 * -np.log(0.99)) / 9
    assert wrong == pytest.approx(expected, rel=1e-4)
    assert gradient[0] < 0.0 < gradient[1]  # the closed hat pushed up, the open hat down


def test_a_session_is_synthesized_by_its_kit_or_its_mixed_pool() -> None:
    assert is_synthesized("synth:123", False, ())
    assert not is_synthesized("FluidR3_GM", False, ("synth:1", "synth:2"))
    assert is_synthesized("FluidR3_GM", True, ("synth:1",))  # which piece played the hats is not kept
    assert not is_synthesized("synth:5", True, ())


def _render_folder(folder: Path, synthesized: list[bool], clips: int = 2) -> None:
    """A render of one session per flag, ``clips`` clips each, every clip with a closed hat."""
    y = np.zeros((10, len(CLASS_NAMES)), dtype=np.float32)
    y[5, HIHAT_CLOSED] = 1.0
    n = clips * len(synthesized)
    np.savez(
        folder / "train.npz",
        x=np.zeros((10 * n, 80), dtype=np.float16),
        y=np.concatenate([y] * n),
        lengths=np.full(n, 10),
    )
    records = [
        {
            "name": f"train{i:03d}",
            "sound": "synth:1" if s else "TimGM6mb",
            "mixed": False,
            "synthesized": s,
            "clips": clips,
        }
        for i, s in enumerate(synthesized)
    ]
    write_sessions(folder, "train", records)


def test_masked_data_masks_only_the_synthesized_sessions(tmp_path: Path) -> None:
    from training.drum_transcription import masked_clips

    _render_folder(tmp_path, [True, False])
    clips = masked_clips(tmp_path, HAT_CLASSES)
    ignored = [y[:, len(CLASS_NAMES) + HIHAT_CLOSED].max() for _, y in clips]
    # round 7 masked the whole folder (1, 1, 1, 1): the soundfont session's hats must still teach
    assert ignored == [1.0, 1.0, 0.0, 0.0]
    assert all(y[5, HIHAT_CLOSED] == 1.0 for _, y in clips)


def test_masked_data_needs_the_sessions_file(tmp_path: Path) -> None:
    from training.drum_transcription import masked_clips

    _render_folder(tmp_path, [True])
    sessions_file(tmp_path, "train").unlink()
    with pytest.raises(SystemExit, match="drum_class_mask"):
        masked_clips(tmp_path, HAT_CLASSES)
    _render_folder(tmp_path, [True])
    write_sessions(
        tmp_path, "train", [{"name": "x", "sound": "synth:1", "mixed": False, "synthesized": True, "clips": 3}]
    )
    with pytest.raises(SystemExit, match="describes 3 clips"):
        masked_clips(tmp_path, HAT_CLASSES)
