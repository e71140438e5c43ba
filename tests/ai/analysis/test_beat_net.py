"""The beat activation network's numpy evaluation, its weights file, and the shipped model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.analysis.beat_net import SHIPPED_MODEL, BeatNet, beat_activations, from_arrays, load, network_input
from ai.tcn import conv1d


def _reference_conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """Direct definition of a 'same'-padded dilated convolution (Keras' cross-correlation)."""
    k = kernel.shape[0]
    half = (k - 1) // 2
    out = np.zeros((x.shape[0], kernel.shape[2]))
    for t in range(x.shape[0]):
        out[t] = bias
        for tap in range(k):
            s = t + (tap - half) * dilation
            if 0 <= s < x.shape[0]:
                out[t] += x[s] @ kernel[tap]
    return out


@pytest.mark.parametrize(("k", "dilation"), [(1, 1), (3, 1), (5, 4), (5, 16)])
def test_convolution_matches_its_definition(k: int, dilation: int) -> None:
    rng = np.random.default_rng(k * 100 + dilation)
    x = rng.standard_normal((40, 3))
    kernel = rng.standard_normal((k, 3, 2))
    bias = rng.standard_normal(2)
    np.testing.assert_allclose(
        conv1d(x, kernel, bias, dilation), _reference_conv(x, kernel, bias, dilation), atol=1e-10
    )


def _tiny_net(rng: np.random.Generator, width: int = 4, n_mels: int = 6) -> BeatNet:
    front = ((rng.standard_normal((3, n_mels, width)), rng.standard_normal(width)),)
    blocks = (
        (
            2,
            rng.standard_normal((5, width, width)),
            rng.standard_normal(width),
            rng.standard_normal((1, width, width)),
            rng.standard_normal(width),
        ),
    )
    head = (rng.standard_normal((width, 2)), rng.standard_normal(2))
    return BeatNet(front, blocks, head, 43.0)


def test_weights_round_trip_through_a_file(tmp_path: Path) -> None:
    net = _tiny_net(np.random.default_rng(1))
    np.savez(tmp_path / "net.npz", **net.to_arrays())
    loaded = load(tmp_path / "net.npz")
    x = np.random.default_rng(2).standard_normal((30, 6)).astype(np.float32)
    np.testing.assert_allclose(loaded.activations(x), net.activations(x), atol=1e-5)
    assert loaded.frame_rate == 43.0
    out = loaded.activations(x)
    assert out.shape == (30, 2) and ((out >= 0) & (out <= 1)).all()


def test_mismatched_weights_are_refused() -> None:
    arrays = _tiny_net(np.random.default_rng(3)).to_arrays()
    arrays["head_kernel"] = np.zeros((5, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="head kernel"):
        from_arrays(arrays)
    del arrays["front0_kernel"]
    with pytest.raises(ValueError):
        from_arrays(arrays)


def test_input_does_not_depend_on_level_and_silence_is_zero() -> None:
    mel = np.abs(np.random.default_rng(4).standard_normal((64, 50))).astype(np.float32)
    np.testing.assert_allclose(network_input(mel), network_input(mel * 1e-3), rtol=1e-4, atol=1e-5)
    assert network_input(mel).shape == (50, 64)
    assert not network_input(np.zeros((64, 10))).any()


def test_shipped_network_peaks_on_the_beats_of_a_click_track() -> None:
    from ai.analysis.constants import ANALYSIS_SR, FRAME_RATE
    from ai.analysis.features import compute_features
    from tests.ai.analysis.test_rhythm import click_track

    net = load(SHIPPED_MODEL)
    y, beats, _ = click_track(120.0, 4, seconds=16.0)
    act = beat_activations(compute_features(y, ANALYSIS_SR), net)
    on = np.round(beats * FRAME_RATE).astype(int)
    off = np.round((beats[:-1] + 0.25) * FRAME_RATE).astype(int)
    # Beats sit far above the sixteenth-note positions between them.
    assert np.median(act.beat[on]) > 0.3
    assert np.median(act.beat[on]) > 3 * np.median(act.beat[off])


def test_an_ensemble_run_side_by_side_gives_the_mean_of_its_members() -> None:
    """The members after the first run on the side pool; the answer is their plain mean, in member order."""
    from ai.analysis.beat_net import BeatNetEnsemble

    rng = np.random.default_rng(3)
    members = tuple(_tiny_net(rng) for _ in range(3))
    x = rng.random((200, 6), dtype=np.float32)
    expected = np.mean([net.activations(x) for net in members], axis=0, dtype=np.float32)
    got = BeatNetEnsemble(members).activations(x)
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert not np.array_equal(got, members[0].activations(x))  # the members differ: a mean of one would fail
