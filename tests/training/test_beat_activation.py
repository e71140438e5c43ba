"""The beat activation trainer: its targets, its held-out rule, and a toy run end to end (the
written numpy network must reproduce Keras' output, or the command fails)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ai.analysis.beat_net import load
from ai.analysis.constants import FRAME_RATE
from ai.analysis.features import first_mel_band_from
from training import beat_activation
from training.beat_activation import corpus_entries, held_out, targets


def test_targets_mark_the_nearest_frame_and_half_its_neighbours() -> None:
    t = targets([1.0], 100)
    k = round(1.0 * FRAME_RATE)
    assert t[k] == 1.0 and t[k - 1] == t[k + 1] == 0.5
    assert t.sum() == 2.0
    assert not targets(None, 10).any()
    assert targets([99.0], 10).sum() == 0.0  # beyond the end: nothing


def _click_corpus(folder: Path, n: int) -> None:
    sr = 22050
    truth = []
    (folder / "audio").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        bpm = 90.0 + 10.0 * i
        beats = np.arange(0.25, 7.5, 60.0 / bpm)
        y = 0.01 * rng.standard_normal(8 * sr)
        for j, b in enumerate(beats):
            start = int(b * sr)
            y[start : start + 300] += (1.0 if j % 4 == 0 else 0.5) * np.hanning(600)[300:]
        name = f"audio/{i:04d}.wav"
        sf.write(folder / name, y.astype(np.float32), sr)
        truth.append({"file": name, "bpm": bpm, "beats_s": beats.tolist(), "downbeats_s": beats[::4].tolist()})
    (folder / "ground_truth.json").write_text(json.dumps(truth))


def test_the_held_out_quarter_is_fixed_and_split_by_the_suffix(tmp_path: Path) -> None:
    _click_corpus(tmp_path / "c", 12)
    _, every = corpus_entries(str(tmp_path / "c"))
    _, fit = corpus_entries(f"{tmp_path / 'c'}@fit")
    _, hold = corpus_entries(f"{tmp_path / 'c'}@hold")
    assert len(every) == 12 and len(fit) + len(hold) == 12
    assert all(held_out(e["file"]) for e in hold) and not any(held_out(e["file"]) for e in fit)
    with pytest.raises(SystemExit):
        corpus_entries(f"{tmp_path / 'c'}@other")


def test_a_toy_network_trains_and_is_written_as_an_ensemble(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beat_activation, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(beat_activation, "CROP_FRAMES", 128)
    _click_corpus(tmp_path / "c", 12)
    out = tmp_path / "net.npz"
    beat_activation.main(
        [str(tmp_path / "c"), "--epochs", "1", "--width", "4", "--blocks", "2", "--batch", "4", "--out", str(out)]
    )
    net = load(out)
    assert len(net.members) == 1 and net.frame_rate == pytest.approx(FRAME_RATE)
    both = tmp_path / "both.npz"
    beat_activation.main(["--combine", str(out), str(out), "--out", str(both)])
    ensemble = load(both)
    x = np.random.default_rng(1).random((50, 64)).astype(np.float32)
    assert len(ensemble.members) == 2
    np.testing.assert_allclose(ensemble.activations(x), net.activations(x), atol=1e-6)


def test_the_band_limited_input_is_cached_apart_and_empty_above_the_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--band-share's windows: the item as an 8 kHz file holds it (nothing above 4 kHz), cached under its own key."""
    monkeypatch.setattr(beat_activation, "CACHE", tmp_path / "cache")
    _click_corpus(tmp_path / "c", 1)
    path = tmp_path / "c" / "audio" / "0000.wav"
    full, band = beat_activation.item_input(path), beat_activation.item_input(path, 8000)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2
    above = first_mel_band_from(4500.0)
    # the noise and the clicks reach 11 kHz; the 8 kHz copy leaves only the STFT's leakage there
    assert full[:, above:].mean() > 1.0 and band[:, above:].max() < 0.1
    assert abs(full.shape[0] - band.shape[0]) <= 1
    np.testing.assert_array_equal(beat_activation.item_input(path, 8000), band)  # read back from the cache


def test_fine_tuning_starts_from_the_given_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--init: no epoch better than the start (none run) writes the initial weights back unchanged, so
    import_weights is the inverse of export; --band-share windows go through the same run."""
    monkeypatch.setattr(beat_activation, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(beat_activation, "CROP_FRAMES", 128)
    _click_corpus(tmp_path / "c", 12)
    small = ["--width", "4", "--blocks", "2", "--batch", "4", "--band-share", "0.5"]
    first, again = tmp_path / "first.npz", tmp_path / "again.npz"
    beat_activation.main([str(tmp_path / "c"), "--epochs", "1", *small, "--out", str(first)])
    beat_activation.main(
        [str(tmp_path / "c"), "--epochs", "0", *small, "--init", str(first), "--init-member", "0", "--out", str(again)]
    )
    x = np.random.default_rng(1).random((50, 64)).astype(np.float32)
    np.testing.assert_array_equal(load(again).activations(x), load(first).activations(x))
