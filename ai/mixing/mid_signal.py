"""The mid signal ((L + R) / 2) of a stereo track, made a stretch at a time.

Measures that read the mid signal (the mixing STFT, the rumble pass) take it from here stretch by
stretch instead of holding a whole copy (a 30-minute stem's mid is 318 MB as float32). Each sample
is computed as the whole-signal expression computes it, so the values are the same.
"""

from __future__ import annotations

import numpy as np

from ai.audio.stem_file import Frames, StemFile

BLOCK = 1 << 18
"""Samples per stretch for a pass over the mid signal (1 MB of float32)."""


def mid_length(signal: Frames) -> int:
    """Samples in the mid signal of ``signal``: np.ndarray [shape=(n,)] (already mid), [shape=(2, n)]
    or a stereo stem file."""
    return int(signal.shape[-1])


def mid_span(signal: Frames, start: int, stop: int) -> np.ndarray:
    """Samples ``start:stop`` of the mid signal, np.ndarray [shape=(stop - start,), dtype=float32].

    ``signal``: np.ndarray [shape=(n,)] (the mid signal itself: a view is returned) or
    [shape=(2, n)] or a stereo stem file (left and right: ``(L + R) * 0.5`` in float32).
    """
    if isinstance(signal, StemFile):
        if signal.channels != 2:
            raise ValueError(f"a mid signal comes from two channels, the stem file has {signal.channels}")
        part = signal.read(start, stop)
        read: np.ndarray = (part[0] + part[1]) * np.float32(0.5)
        return read
    if signal.ndim == 1:
        return signal[start:stop]
    if signal.ndim != 2 or signal.shape[0] != 2:
        raise ValueError(f"a mid signal comes from shape (n,) or (2, n), got {signal.shape}")
    result: np.ndarray = (signal[0, start:stop] + signal[1, start:stop]) * np.float32(0.5)
    return result
