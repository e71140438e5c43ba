"""The small residual TCN that the engine's Keras-trained networks share (the beat activation, the
drum transcriber), evaluated in numpy so that no deep-learning framework runs in a request.

Layout is Keras's: a 1-D convolution kernel is [k, C_in, C_out]; activations are ELU; each
residual block adds a 1x1 convolution of an ELU of a dilated convolution; the head is a dense layer
with a sigmoid per output.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FrontLayer = tuple[np.ndarray, np.ndarray]
"""(kernel [k, C_in, C_out], bias [C_out])."""
ResidualBlock = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""(dilation, dilated kernel, its bias, 1x1 kernel, its bias)."""


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, dilation: int = 1) -> np.ndarray:
    """'same'-padded dilated 1-D convolution: x [T, C_in], kernel [k, C_in, C_out] (odd k), bias
    [C_out] -> [T, C_out]."""
    k = kernel.shape[0]
    if k == 1:
        result: np.ndarray = x @ kernel[0] + bias
        return result
    pad = (k - 1) // 2 * dilation
    padded = np.pad(x, ((pad, pad), (0, 0)))
    out = np.broadcast_to(bias, (x.shape[0], kernel.shape[2])).copy()
    for tap in range(k):
        start = tap * dilation
        out += padded[start : start + x.shape[0]] @ kernel[tap]
    return out


def tcn_probabilities(
    x: np.ndarray,
    front: Sequence[FrontLayer],
    blocks: Sequence[ResidualBlock],
    head: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """x [T, features] -> sigmoid outputs [T, n_outputs] (float32)."""
    h = np.asarray(x, dtype=np.float32)
    for kernel, bias in front:
        h = elu(conv1d(h, kernel, bias))
    for dilation, kernel, bias, mix, mix_bias in blocks:
        h = h + conv1d(elu(conv1d(h, kernel, bias, dilation)), mix, mix_bias)
    logits = h @ head[0] + head[1]
    result: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))).astype(np.float32)
    return result
