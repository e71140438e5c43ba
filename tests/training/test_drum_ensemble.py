"""--stage ensemble (training/drum_transcription.py): model files trained from different seeds joined into one
model whose activations are their average, with thresholds chosen for that average."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ai.transcription import drums
from ai.transcription.drums import CLASS_NAMES, SHIPPED_MODEL, mel_frames, network_input
from training.drum_transcription import main


def _clicks() -> np.ndarray:
    y = np.zeros(drums.SR * 3, dtype=np.float32)
    rng = np.random.default_rng(3)
    for second in (0.5, 1.0, 1.5, 2.0, 2.5):
        start = int(second * drums.SR)
        y[start : start + 400] += rng.standard_normal(400).astype(np.float32) * np.exp(-np.arange(400) / 80)
    return y


def test_the_ensemble_stage_joins_the_models_and_chooses_their_thresholds(tmp_path: Path) -> None:
    shipped = drums.load(SHIPPED_MODEL)
    kernel, bias = shipped.head
    other = dataclasses.replace(shipped, head=(kernel * np.float32(0.9), bias))
    drums.save(tmp_path / "a.npz", shipped)
    drums.save(tmp_path / "b.npz", other)
    x = network_input(mel_frames(_clicks()))
    y = np.zeros((x.shape[0], len(CLASS_NAMES)), dtype=np.float32)
    y[[round(s * drums.FRAME_RATE) for s in (0.5, 1.0, 1.5, 2.0, 2.5)], CLASS_NAMES.index("snare")] = 1.0
    data = tmp_path / "data"
    data.mkdir()
    np.savez(data / "val.npz", x=x.astype(np.float16), y=y, lengths=np.asarray([x.shape[0]]))
    out = tmp_path / "ensemble.npz"

    main(["--stage", "ensemble", "--model", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"),
          "--data", str(data), "--out", str(out)])  # fmt: skip

    joined = drums.load(out)
    assert len(joined.networks()) == 2
    assert np.allclose(joined.activations(x), (shipped.activations(x) + other.activations(x)) / 2, atol=1e-6)
    assert joined.thresholds.shape == (len(CLASS_NAMES),) and float(joined.thresholds.min()) > 0.0
