"""A percentile of an array's positive values without copying them out: the networks' input level
references (ai/analysis/beat_net.py, ai/transcription/drums.py) are a high percentile of a mel
spectrogram's positive magnitudes, and ``np.percentile(mel[mel > 0], q)`` copies every one of them
first (58 MB for a 30-minute file's drum mel, beside the mel itself).

The two order statistics the percentile interpolates between are found exactly: positive float32
values order as their bit patterns do, so a histogram of the patterns' top 16 bits (read a block
at a time) says which bucket holds each rank, and only that bucket's values are gathered and
sorted. The interpolation is numpy's "linear" method (checked against ``np.percentile`` in the
tests), so the result is the same float.
"""

from __future__ import annotations

import math

import numpy as np

BLOCK = 1 << 20
"""Values read at once (4 MB of float32)."""
_SHIFT = 16  # buckets: the top 16 bits of a positive float32 (sign, exponent, 7 mantissa bits)


def _blocks(values: np.ndarray) -> list[np.ndarray]:
    flat = values.reshape(-1)  # a view of a contiguous array (the order of the values does not matter)
    return [flat[start : start + BLOCK] for start in range(0, flat.size, BLOCK)]


def _positive_bits(block: np.ndarray) -> np.ndarray:
    """The bit patterns (uint32) of a block's values above zero (NaN is not above zero)."""
    kept = block[block > 0]
    return kept.view(np.uint32)


def positive_percentile(values: np.ndarray, q: float) -> float | None:
    """``np.percentile(values[values > 0], q)`` of a float32 array (any shape), without the copy;
    None when no value is above zero."""
    values = np.asarray(values)
    if values.dtype != np.float32:
        raise TypeError(f"positive_percentile reads float32 values, not {values.dtype}")
    counts = np.zeros(1 << (32 - _SHIFT), dtype=np.int64)
    for block in _blocks(values):
        counts += np.bincount(_positive_bits(block) >> _SHIFT, minlength=counts.size)
    n = int(counts.sum())
    if n == 0:
        return None
    quantile = float(np.true_divide(q, 100))
    virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1  # numpy's "linear" (alpha = beta = 1)
    previous = min(max(math.floor(virtual), 0), n - 1)
    following = min(previous + 1, n - 1)
    low, high = _order_statistics(values, counts, (previous, following))
    gamma = virtual - math.floor(virtual) if 0 <= virtual < n - 1 else (1.0 if virtual >= n - 1 else 0.0)
    return _lerp(low, high, gamma)


def _order_statistics(values: np.ndarray, counts: np.ndarray, ranks: tuple[int, int]) -> tuple[np.float32, np.float32]:
    """The values of the given 0-based ranks among the positive values, from their buckets only."""
    below = np.concatenate(([0], np.cumsum(counts)))  # values in the buckets before bucket j: below[j]
    buckets = sorted({int(np.searchsorted(below, rank, side="right")) - 1 for rank in ranks})
    gathered: dict[int, list[np.ndarray]] = {j: [] for j in buckets}
    for block in _blocks(values):
        bits = _positive_bits(block)
        top = bits >> _SHIFT
        for j in buckets:
            gathered[j].append(bits[top == j])
    found = []
    for rank in ranks:
        j = int(np.searchsorted(below, rank, side="right")) - 1
        in_bucket = np.sort(np.concatenate(gathered[j]).view(np.float32))
        found.append(in_bucket[rank - int(below[j])])
    return found[0], found[1]


def _lerp(a: np.float32, b: np.float32, t: float) -> float:
    """numpy's linear interpolation of two float32 order statistics (float32 arithmetic, the weight a
    Python float as np.percentile passes it)."""
    diff = b - a
    if t >= 0.5:
        return float(b - diff * np.float32(1 - t))
    return float(a + diff * np.float32(t))


__all__ = ["positive_percentile"]
