"""The onset envelopes and the semitone spectrum are made a block at a time (bounded memory for long
files): each equals the whole-array computation it replaced, to the bit, for any block size."""

from __future__ import annotations

import numpy as np
import pytest

import ai.analysis.features as features
from ai.analysis.constants import MIDI_MIN, N_SEMITONES


def _whole_flux(spec: np.ndarray, *, max_filter: bool) -> np.ndarray:
    ref = float(spec.max())
    log_spec = np.log1p((features._LOG_GAMMA / ref) * spec).astype(np.float32)
    reference = log_spec[:, :-1]
    if max_filter:
        reference = reference.copy()
        np.maximum(reference[1:], log_spec[:-1, :-1], out=reference[1:])
        np.maximum(reference[:-1], log_spec[1:, :-1], out=reference[:-1])
    diff = log_spec[:, 1:] - reference
    np.maximum(diff, 0.0, out=diff)
    flux = np.zeros(spec.shape[1], dtype=np.float32)
    flux[1:] = diff.mean(axis=0)
    return flux


@pytest.mark.parametrize("block", [2, 7, 64, 998, 999, 5000])  # 998: a last block of one difference
def test_onset_flux_in_blocks_equals_the_whole(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(features, "_FLUX_BLOCK", block)
    rng = np.random.default_rng(2)
    spec = (rng.random((64, 1_000)) ** 3).astype(np.float32)
    for max_filter in (True, False):
        assert np.array_equal(features._log_flux(spec, max_filter=max_filter), _whole_flux(spec, max_filter=max_filter))
    assert not np.any(features._log_flux(np.zeros((64, 50), dtype=np.float32), max_filter=True))


def test_semitone_spectrum_in_row_blocks_equals_one_bincount() -> None:
    rng = np.random.default_rng(4)
    n_frames, n_peaks = 300, 20_000
    t_idx = np.sort(rng.integers(0, n_frames, n_peaks))
    freq = 440.0 * 2.0 ** ((rng.uniform(MIDI_MIN - 3, MIDI_MIN + N_SEMITONES + 3, n_peaks) - 69) / 12)
    amp = rng.random(n_peaks) * 10.0 ** rng.uniform(-4, 1, n_peaks)  # float64 sums that round differently by order
    midi = 69.0 + 12.0 * np.log2(freq / 440.0) - 12.5 / 100.0
    row = np.round(midi).astype(np.int64) - MIDI_MIN
    keep = (row >= 0) & (row < N_SEMITONES)
    whole = np.bincount(row[keep] * n_frames + t_idx[keep], weights=amp[keep], minlength=N_SEMITONES * n_frames)
    expected = whole.reshape(N_SEMITONES, n_frames).astype(np.float32)
    assert np.array_equal(features._semitone_spectrum(t_idx, freq, amp, n_frames, 12.5), expected)
