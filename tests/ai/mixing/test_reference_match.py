"""Reference matching: the EQ moves between two masters."""

from __future__ import annotations

import pedalboard
import pytest

from ai.mixing.reference_match import reference_eq
from tests.ai.mixing.tonal_signals import eq, noise, octaves, spectrum_of


def test_reference_eq_returns_the_moves_between_two_masters() -> None:
    ours = noise(seed=6)
    brighter = eq(
        eq(ours, pedalboard.LowShelfFilter(cutoff_frequency_hz=100, gain_db=6, q=0.707)),
        pedalboard.PeakFilter(cutoff_frequency_hz=2000, gain_db=-4, q=1.0),
    )
    spectrum, freqs = spectrum_of(ours)
    moves = reference_eq(ours=spectrum, reference=spectrum_of(brighter)[0], freqs=freqs)
    assert 2 <= len(moves) <= 6
    low = [m for m in moves if m["type"] == "low_shelf"]
    bell = [m for m in moves if m["type"] == "bell" and octaves(m["freq_hz"], 2000) <= 1 / 3]
    assert low and low[0]["gain_db"] == pytest.approx(6, abs=1.5) and octaves(low[0]["freq_hz"], 100) <= 0.5
    assert bell and bell[0]["gain_db"] == pytest.approx(-4, abs=1.5)
    assert reference_eq(ours=spectrum, reference=spectrum, freqs=freqs) == []
