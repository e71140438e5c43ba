"""The block-by-block loudness meter gives measure_loudness's figures whatever the block sizes."""

from __future__ import annotations

import numpy as np
import pytest

from ai.audio.loudness import measure_loudness
from ai.audio.loudness_meter import LoudnessMeter


def _signal(channels: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = (0.2 * rng.standard_normal((channels, n))).astype(np.float32)
    y[:, n // 2 : n // 2 + n // 4] *= 0.05  # a quiet stretch for the gates and the range
    y[:, n // 3] = 0.95  # an inter-sample peak: two full-scale samples of opposite sign
    y[:, n // 3 + 1] = -0.95
    return y


def _metered(y: np.ndarray, sr: int, block: int) -> dict[str, float | None]:
    meter = LoudnessMeter(channels=y.shape[0], sr=sr)
    for start in range(0, y.shape[1], block):
        meter.feed(y[:, start : start + block])
    return meter.result().to_dict()


@pytest.mark.parametrize(
    ("sr", "channels", "seconds", "block"),
    [
        (44100, 2, 7.3, 262144),
        (48000, 1, 5.0, 1000),
        (44100, 6, 4.0, 4411),
        (96000, 2, 3.1, 77777),
        (192000, 1, 1.0, 5),
    ],
)
def test_meter_equals_whole_signal_measures(sr: int, channels: int, seconds: float, block: int) -> None:
    y = _signal(channels, int(seconds * sr))
    whole = measure_loudness(y=y, sr=sr).to_dict()
    assert _metered(y, sr, block) == whole
    assert whole["true_peak_dbtp"] is not None and whole["sample_peak_dbfs"] is not None
    if sr < 96000:  # 4x oversampling finds the inter-sample peak between the two full-scale samples
        assert whole["true_peak_dbtp"] > whole["sample_peak_dbfs"]


def test_peak_on_a_block_edge_is_found() -> None:
    sr, block = 44100, 4096
    y = _signal(2, sr * 2)
    y[:, block - 1] = 0.99  # the two samples straddle the first block boundary
    y[:, block] = -0.99
    assert _metered(y, sr, block) == measure_loudness(y=y, sr=sr).to_dict()


def test_short_and_silent_signals_are_undefined_as_in_measure_loudness() -> None:
    for y in (np.zeros((2, 44100), np.float32), _signal(1, 100)):
        assert _metered(y, 44100, 37) == measure_loudness(y=y, sr=44100).to_dict()
    assert LoudnessMeter(channels=2, sr=44100).result().integrated_lufs is None


def test_blocks_of_another_shape_are_refused() -> None:
    meter = LoudnessMeter(channels=2, sr=44100)
    with pytest.raises(ValueError, match="shape"):
        meter.feed(np.zeros((1, 100), np.float32))


def test_the_meter_carries_a_few_thousand_samples_not_the_signal() -> None:
    meter = LoudnessMeter(channels=2, sr=44100)
    block = _signal(2, 262144)
    for _ in range(8):
        meter.feed(block)
        assert meter._carry.shape[1] < 2 * 1024 + 16 and meter._maxima.shape[1] <= 2
    assert meter.result().to_dict() == measure_loudness(y=np.concatenate([block] * 8, axis=1), sr=44100).to_dict()


@pytest.mark.parametrize("sizes", [(1, 4409, 4410, 4411, 10), (100_000,), (3, 7, 4400, 20, 9000, 1)])
def test_k_weighting_fed_in_pieces_equals_the_whole_signal_bit_for_bit(sizes: tuple[int, ...]) -> None:
    from ai.audio.loudness import sub_block_powers
    from ai.audio.loudness_meter import KWeighting

    y = _signal(2, 60_000, seed=3)
    weighting = KWeighting(2, 44100)
    start = 0
    while start < y.shape[1]:
        for size in sizes:
            weighting.feed(y[:, start : start + size])
            start += size
    np.testing.assert_array_equal(weighting.sub_energy(), sub_block_powers(y=y, sr=44100))


def test_dc_alone_metered_in_blocks_has_no_loudness() -> None:
    dc = np.full((2, 44100 * 3), -0.25, dtype=np.float32)
    assert _metered(dc, 44100, 1000)["integrated_lufs"] is None
