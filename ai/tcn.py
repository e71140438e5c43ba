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


def elu(x: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """ELU of ``x``; with ``in_place`` written over ``x`` (the same values, no second array)."""
    tail = np.minimum(x, 0.0)  # np.where(x > 0, x, expm1(min(x, 0))) with one array of its own
    np.expm1(tail, out=tail)
    out = x if in_place else x.copy()
    np.copyto(out, tail, where=x <= 0)
    return out


def conv1d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, dilation: int = 1) -> np.ndarray:
    """'same'-padded dilated 1-D convolution: x [T, C_in], kernel [k, C_in, C_out] (odd k), bias
    [C_out] -> [T, C_out]."""
    k = kernel.shape[0]
    if k == 1:
        result: np.ndarray = x @ kernel[0]
        result += bias  # in place: the same sums as x @ kernel + bias, one array fewer
        return result
    pad = (k - 1) // 2 * dilation
    return _conv_padded(np.pad(x, ((pad, pad), (0, 0))), pad, x.shape[0], kernel, bias, dilation)


def _conv_padded(
    padded: np.ndarray, margin: int, frames: int, kernel: np.ndarray, bias: np.ndarray, dilation: int
) -> np.ndarray:
    """:func:`conv1d` of ``padded[margin : margin + frames]``, whose ``margin`` rows on each side are zeros
    (at least the convolution's reach): each tap reads a shifted view, no padded copy is made."""
    k = kernel.shape[0]
    first = margin - (k - 1) // 2 * dilation
    out = np.broadcast_to(bias, (frames, kernel.shape[2])).copy()
    product = np.empty_like(out)  # one buffer for every tap's product (a 30-minute input's is 46 MB)
    for tap in range(k):
        start = first + tap * dilation
        np.matmul(padded[start : start + frames], kernel[tap], out=product)
        out += product
    return out


def receptive_reach(front: Sequence[FrontLayer], blocks: Sequence[ResidualBlock]) -> int:
    """How many frames on each side an output frame depends on."""
    taps = [(int(kernel.shape[0]), 1) for kernel, _ in front]
    taps += [(int(kernel.shape[0]), dilation) for dilation, kernel, *_ in blocks]
    return sum((k - 1) // 2 * dilation for k, dilation in taps)


def tcn_probabilities(
    x: np.ndarray,
    front: Sequence[FrontLayer],
    blocks: Sequence[ResidualBlock],
    head: tuple[np.ndarray, np.ndarray],
    *,
    chunk_frames: int | None = None,
) -> np.ndarray:
    """x [T, features] -> sigmoid outputs [T, n_outputs] (float32).

    ``chunk_frames``: an input longer than this is evaluated a chunk at a time, each with
    :func:`receptive_reach` frames of real input on both sides (only the input's own edges are zero
    padded, as in one pass), so that no whole-length hidden state exists (64 channels of float32 are
    46 MB per array at 100 frames/s for 30 minutes). The same sums, not quite the same bits: BLAS
    rounds a product differently for another number of rows (differences of ~1e-6)."""
    x = np.asarray(x, dtype=np.float32)
    frames = x.shape[0]
    reach = receptive_reach(front, blocks)
    if chunk_frames is None or frames <= chunk_frames + 2 * reach:
        return _probabilities(x, front, blocks, head)
    out = np.empty((frames, head[0].shape[1]), dtype=np.float32)
    for start in range(0, frames, chunk_frames):
        stop = min(frames, start + chunk_frames)
        lo, hi = max(0, start - reach), min(frames, stop + reach)
        out[start:stop] = _probabilities(x[lo:hi], front, blocks, head)[start - lo : stop - lo]
    return out


def _probabilities(
    x: np.ndarray,
    front: Sequence[FrontLayer],
    blocks: Sequence[ResidualBlock],
    head: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """:func:`tcn_probabilities` of one stretch, zero padded at its edges.

    The residual blocks work on one zero-margined buffer (the widest block's reach on each side) that
    each block adds to in place, so a block holds the buffer, its convolution's output and one product:
    the same numbers as padding a copy for every convolution."""
    h = x
    for kernel, bias in front:
        h = elu(conv1d(h, kernel, bias), in_place=True)
    if blocks:
        frames = h.shape[0]
        margin = max((kernel.shape[0] - 1) // 2 * dilation for dilation, kernel, *_ in blocks)
        padded = np.zeros((frames + 2 * margin, h.shape[1]), dtype=np.float32)
        padded[margin : margin + frames] = h
        h = padded[margin : margin + frames]  # a view: the blocks' sums land in the buffer
        for dilation, kernel, bias, mix, mix_bias in blocks:
            inner = elu(_conv_padded(padded, margin, frames, kernel, bias, dilation), in_place=True)
            h += conv1d(inner, mix, mix_bias)
            del inner
    logits = h @ head[0] + head[1]
    result: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))).astype(np.float32)
    return result


def tcn_arrays(
    front: Sequence[FrontLayer], blocks: Sequence[ResidualBlock], head: tuple[np.ndarray, np.ndarray]
) -> dict[str, np.ndarray]:
    """The weights as named arrays (front{i}_kernel, block{i}_dilation, ..., head_kernel) for an .npz."""
    arrays: dict[str, np.ndarray] = {}
    for i, (kernel, bias) in enumerate(front):
        arrays[f"front{i}_kernel"], arrays[f"front{i}_bias"] = kernel, bias
    for i, (dilation, kernel, bias, mix, mix_bias) in enumerate(blocks):
        arrays[f"block{i}_dilation"] = np.asarray(dilation, dtype=np.int64)
        arrays[f"block{i}_kernel"], arrays[f"block{i}_bias"] = kernel, bias
        arrays[f"block{i}_mix_kernel"], arrays[f"block{i}_mix_bias"] = mix, mix_bias
    arrays["head_kernel"], arrays["head_bias"] = head
    return arrays


def tcn_from_arrays(
    arrays: dict[str, np.ndarray], *, n_inputs: int | None = None, n_outputs: int | None = None
) -> tuple[tuple[FrontLayer, ...], tuple[ResidualBlock, ...], tuple[np.ndarray, np.ndarray]]:
    """(front, blocks, head) from :func:`tcn_arrays`'s names, checked to wire together (and to read
    ``n_inputs`` features and give ``n_outputs`` when given); ValueError when they do not."""

    def get(name: str) -> np.ndarray:
        if name not in arrays:
            raise ValueError(f"missing array {name!r}")
        return np.asarray(arrays[name], dtype=np.float32)

    front: list[FrontLayer] = []
    while f"front{len(front)}_kernel" in arrays:
        i = len(front)
        front.append((get(f"front{i}_kernel"), get(f"front{i}_bias")))
    if not front:
        raise ValueError("no front-end layers")
    if n_inputs is not None and front[0][0].shape[1] != n_inputs:
        raise ValueError(f"the front end does not read {n_inputs} features")
    width = front[-1][0].shape[2]
    blocks: list[ResidualBlock] = []
    while f"block{len(blocks)}_kernel" in arrays:
        i = len(blocks)
        block = (
            int(np.asarray(arrays[f"block{i}_dilation"])),
            get(f"block{i}_kernel"),
            get(f"block{i}_bias"),
            get(f"block{i}_mix_kernel"),
            get(f"block{i}_mix_bias"),
        )
        dilation, kernel, _, mix, _ = block
        if kernel.shape[1] != width or mix.shape[2] != width or kernel.shape[0] % 2 == 0 or dilation < 1:
            raise ValueError("residual blocks do not match the front end's width")
        blocks.append(block)
    head = (get("head_kernel"), get("head_bias"))
    if head[0].shape[0] != width or (n_outputs is not None and head[0].shape[1] != n_outputs):
        raise ValueError(f"head kernel has shape {head[0].shape}, expected ({width}, {n_outputs or 'n'})")
    return tuple(front), tuple(blocks), head
