"""ITU-R BS.775's 5.1 -> stereo downmix on known channels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai.audio.downmix import downmix_5_1


def test_each_channel_lands_where_bs775_puts_it() -> None:
    six = np.eye(6, dtype=np.float32)  # one sample of each channel alone: L R C LFE Ls Rs
    stereo = downmix_5_1(six)
    k = math.sqrt(0.5)
    expected = np.array([[1, 0, k, 0, k, 0], [0, 1, k, 0, 0, k]], dtype=np.float32)
    assert stereo.dtype == np.float32 and np.allclose(stereo, expected)


def test_blocks_give_the_whole_array_s_samples() -> None:
    six = np.random.default_rng(3).standard_normal((6, 10_001)).astype(np.float32)
    blocks = np.concatenate([downmix_5_1(six[:, i : i + 4096]) for i in range(0, six.shape[1], 4096)], axis=1)
    assert np.array_equal(blocks, downmix_5_1(six))


@pytest.mark.parametrize("shape", [(2, 10), (5, 10), (6,)])
def test_other_shapes_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="shape"):
        downmix_5_1(np.zeros(shape, dtype=np.float32))
