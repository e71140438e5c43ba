"""The drum training crops' timbre augmentation (training/drum_transcription.py) and its strength."""

from __future__ import annotations

import numpy as np

from ai.transcription.drums import N_MELS
from training.drum_transcription import Timbre, timbre


def _crop() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.0, 4.0, size=(50, N_MELS)).astype(np.float32)


def test_no_chance_or_no_strength_leaves_the_crop() -> None:
    x = _crop()
    assert np.array_equal(timbre(x, np.random.default_rng(1), Timbre(p=0.0)), x)
    flat = timbre(x, np.random.default_rng(1), Timbre(p=1.0, max_shift=0, eq_db=0.0))
    np.testing.assert_allclose(flat, x, atol=1e-5)


def test_stronger_timbre_moves_the_crop_further() -> None:
    x = _crop()

    def mean_change(how: Timbre) -> float:
        rng = np.random.default_rng(2)
        return float(np.mean([np.abs(timbre(x, rng, how) - x).mean() for _ in range(40)]))

    default = mean_change(Timbre())
    assert 0.0 < default < mean_change(Timbre(p=0.7, max_shift=4, eq_db=9.0, eq_points=8))


def test_views_side_by_side_get_the_same_shift_and_eq() -> None:
    """An input of two views ([log mel, log percussive mel]) is moved as each view alone would be."""
    x = _crop()
    other = np.random.default_rng(9).uniform(0.0, 4.0, size=x.shape).astype(np.float32)
    how = Timbre(p=1.0, max_shift=3)
    for seed in range(20):
        both = timbre(np.concatenate([x, other], axis=1), np.random.default_rng(seed), how)
        assert np.array_equal(both[:, :N_MELS], timbre(x, np.random.default_rng(seed), how))
        assert np.array_equal(both[:, N_MELS:], timbre(other, np.random.default_rng(seed), how))
