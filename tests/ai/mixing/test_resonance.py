"""Resonances: a narrow peak is found with its frequency, gain and Q; plain noise has none."""

from __future__ import annotations

import pedalboard
import pytest

from ai.mixing.resonance import find_resonances
from tests.ai.mixing.tonal_signals import eq, noise, octaves, spectrum_of


def test_a_narrow_resonance_is_found_with_its_frequency_gain_and_q() -> None:
    ringing = eq(noise(seed=5), pedalboard.PeakFilter(cutoff_frequency_hz=1000, gain_db=12, q=8.0))
    spectrum, freqs = spectrum_of(ringing)
    (res, *_) = find_resonances(spectrum=spectrum, freqs=freqs, min_db=3.0)
    assert octaves(res.freq_hz, 1000) < 1 / 24
    assert res.gain_db == pytest.approx(12, abs=2.0)
    assert 5.7 <= res.q <= 11
    spectrum, freqs = spectrum_of(noise(seed=5))
    assert find_resonances(spectrum=spectrum, freqs=freqs, min_db=3.0) == []
