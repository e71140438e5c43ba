"""The positive-value percentile the networks' input references use: the same float as numpy's
percentile of the copied positive values, for any block size."""

from __future__ import annotations

import numpy as np
import pytest

import ai.percentile as percentile
from ai.percentile import positive_percentile


def _arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [
        rng.standard_normal(1).astype(np.float32),
        np.array([0.0, -1.0, 2.5], dtype=np.float32),
        rng.standard_normal(2_001).astype(np.float32),
        rng.integers(-3, 6, 5_000).astype(np.float32),  # ties and zeros
        (np.abs(rng.standard_normal((700, 80))) ** 4).astype(np.float32),  # a mel's long upper tail
        (rng.random((40, 900)) * 1e-3).astype(np.float32).T,  # transposed (not contiguous)
        np.array([np.nan, 1.0, np.inf, 3.0], dtype=np.float32),
    ]


@pytest.mark.parametrize("block", [7, 1000, percentile.BLOCK])
@pytest.mark.parametrize("q", [99.5, 50.0, 0.0, 100.0, 37.3])
def test_equals_numpy_on_the_positive_values(monkeypatch: pytest.MonkeyPatch, block: int, q: float) -> None:
    monkeypatch.setattr(percentile, "BLOCK", block)
    for values in _arrays():
        got, expected = positive_percentile(values, q), float(np.percentile(values[values > 0], q))
        assert got == expected or (got is not None and np.isnan(got) and np.isnan(expected))  # inf - inf


def test_nothing_above_zero_is_none_and_other_types_are_refused() -> None:
    assert positive_percentile(np.zeros(10, dtype=np.float32), 99.5) is None
    assert positive_percentile(-np.ones((3, 3), dtype=np.float32), 99.5) is None
    with pytest.raises(TypeError):
        positive_percentile(np.ones(4), 50.0)
