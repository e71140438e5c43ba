"""A float file whose samples go beyond full scale is not called clipped: its overs are intact."""

from __future__ import annotations

import numpy as np

from ai.analysis.pipeline import analyze
from ai.audio.decode import DecodedAudio

from .synth import progression

SR = 44100


def _mono(y: np.ndarray) -> DecodedAudio:
    return DecodedAudio(np.ascontiguousarray(y[None, :].astype(np.float32)), SR)


def test_overs_in_a_float_file_are_named_as_overs_not_clipping() -> None:
    y, _, _ = progression(["C", "F", "G7", "C"], bpm=100.0, sr=SR)
    hot = 3.0 * y / np.max(np.abs(y))  # peaks at +9.5 dBFS, every sample intact
    result = analyze(_mono(hot))
    assert result.peak_dbfs > 9.0
    over = [note for note in result.notes if "full scale" in note]
    assert len(over) == 1 and "beyond full scale" in over[0] and "probably clipped" not in over[0], result.notes


def test_clipping_at_full_scale_is_still_called_clipping() -> None:
    y, _, _ = progression(["C", "F", "G7", "C"], bpm=100.0, sr=SR)
    result = analyze(_mono(np.clip(8.0 * y, -1.0, 1.0)))
    assert any("probably clipped" in note for note in result.notes), result.notes
