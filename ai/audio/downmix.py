"""A 5.1 file as a stereo mix plays it: ITU-R BS.775's downmix.

Six channels are 5.1 in WAV's order L R C LFE Ls Rs (as :mod:`ai.audio.loudness` weighs them). The downmix puts the
centre and each surround into its side at -3 dB and leaves the LFE out. The mixing routes' stems and the
accompaniment preview's recording go through it: the mean of the six channels read a 5.1 stem 6-16 dB under what
a DAW plays (a centre-only part: C / 6 against 0.71 C per side), and the first two channels alone dropped the centre,
where a film's dialogue or a song's lead sits, from the preview.
"""

from __future__ import annotations

import math

import numpy as np

SURROUND_CHANNELS = 6
"""A file of six channels is 5.1 (L R C LFE Ls Rs)."""
_MINUS_3_DB = np.float32(math.sqrt(0.5))


def downmix_5_1(samples: np.ndarray) -> np.ndarray:
    """``samples`` [shape=(6, n)] -> [shape=(2, n), dtype=float32]: L + 0.71 (C + Ls), R + 0.71 (C + Rs).

    Sample by sample (no matrix product, whose sums BLAS orders by block size), so a file read block by block gives
    the samples of the whole array.
    """
    if samples.ndim != 2 or samples.shape[0] != SURROUND_CHANNELS:
        raise ValueError(f"a 5.1 downmix needs shape (6, n), got {samples.shape}")
    x = samples.astype(np.float32, copy=False)
    return np.stack([x[0] + _MINUS_3_DB * (x[2] + x[4]), x[1] + _MINUS_3_DB * (x[2] + x[5])])


__all__ = ["SURROUND_CHANNELS", "downmix_5_1"]
