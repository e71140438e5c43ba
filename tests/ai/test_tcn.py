"""The numpy TCN that the beat activation and the drum transcriber share: its memory-saving evaluation
(in-place ELU, one zero-margined buffer for the residual blocks) gives exactly the textbook numbers."""

from __future__ import annotations

import numpy as np

from ai.tcn import elu, receptive_reach, tcn_probabilities


def _reference(x: np.ndarray, front: list, blocks: list, head: tuple) -> np.ndarray:  # type: ignore[type-arg]
    def conv(h: np.ndarray, kernel: np.ndarray, bias: np.ndarray, dilation: int = 1) -> np.ndarray:
        k = kernel.shape[0]
        if k == 1:
            return h @ kernel[0] + bias
        pad = (k - 1) // 2 * dilation
        padded = np.pad(h, ((pad, pad), (0, 0)))
        out = np.broadcast_to(bias, (h.shape[0], kernel.shape[2])).copy()
        for tap in range(k):
            out += padded[tap * dilation : tap * dilation + h.shape[0]] @ kernel[tap]
        return out

    def ref_elu(h: np.ndarray) -> np.ndarray:
        return np.where(h > 0, h, np.expm1(np.minimum(h, 0.0)))

    h = x.astype(np.float32)
    for kernel, bias in front:
        h = ref_elu(conv(h, kernel, bias))
    for dilation, kernel, bias, mix, mix_bias in blocks:
        h = h + conv(ref_elu(conv(h, kernel, bias, dilation)), mix, mix_bias)
    logits = h @ head[0] + head[1]
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))).astype(np.float32)


def test_the_evaluation_is_the_textbook_one_to_the_bit() -> None:
    rng = np.random.default_rng(5)
    width, n_in = 8, 6

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.4).astype(np.float32)

    front = [(w(3, n_in, width), w(width)), (w(3, width, width), w(width))]
    blocks = [(d, w(k, width, width), w(width), w(1, width, width), w(width)) for d, k in ((1, 3), (4, 5), (16, 3))]
    head = (w(width, 2), w(2))
    x = rng.standard_normal((300, n_in)).astype(np.float32)
    kept = x.copy()
    got = tcn_probabilities(x, front, blocks, head)
    assert np.array_equal(got, _reference(x, front, blocks, head))
    assert np.array_equal(x, kept)  # the caller's input is not written to


def test_elu_in_place_equals_elu() -> None:
    x = np.array([-3.0, -0.5, -0.0, 0.0, 0.25, 2.0], dtype=np.float32)
    expected = np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))
    assert np.array_equal(elu(x), expected) and not np.array_equal(x, expected)
    y = x.copy()
    assert elu(y, in_place=True) is y and np.array_equal(y, expected)


def test_a_long_input_in_chunks_gives_the_same_outputs() -> None:
    """Chunks carry the network's whole reach of real frames: only rounding may differ, and an input
    that fits one chunk is the one-pass evaluation to the bit."""
    rng = np.random.default_rng(9)
    width, n_in = 8, 5

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.4).astype(np.float32)

    front = [(w(3, n_in, width), w(width)), (w(3, width, width), w(width))]
    blocks = [(d, w(3, width, width), w(width), w(1, width, width), w(width)) for d in (1, 2, 4, 8)]
    head = (w(width, 3), w(3))
    assert receptive_reach(front, blocks) == 2 + 15
    x = rng.standard_normal((1_000, n_in)).astype(np.float32)
    whole = tcn_probabilities(x, front, blocks, head)
    for chunk in (64, 100, 333):
        chunked = tcn_probabilities(x, front, blocks, head, chunk_frames=chunk)
        np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-5)
    assert np.array_equal(tcn_probabilities(x, front, blocks, head, chunk_frames=1_000), whole)
    # a wrong reach shows: chunks without real margins differ near every chunk edge
    wrong = np.concatenate([tcn_probabilities(x[i : i + 100], front, blocks, head) for i in range(0, 1_000, 100)])
    assert np.abs(wrong - whole).max() > 1e-3
