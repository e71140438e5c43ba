"""Resonances: a narrow peak is found with its frequency, gain and Q; plain noise has none."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from ai.mixing.resonance import _resonance_findings, band_top_hz, find_resonances
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


def test_the_cut_brings_the_peak_to_the_roles_limit_not_flat() -> None:
    """A peak 0.3 dB over the role's limit was told to cut 15 dB at Q 16 (a piano's most played note)."""
    ringing = eq(noise(seed=5), pedalboard.PeakFilter(cutoff_frequency_hz=1000, gain_db=12, q=8.0))
    spectrum, freqs = spectrum_of(ringing)
    (res, *_) = find_resonances(spectrum=spectrum, freqs=freqs, min_db=3.0)

    def cut(limit: float) -> float | None:
        found = _resonance_findings(
            name="Keys", filed="Keys", subject="Keys", role="keys", spectrum=spectrum, freqs=freqs, limits=(limit, 99.0)
        )
        return found[0].action["eq"]["gain_db"] if found else None

    assert cut(0.0) == pytest.approx(-res.gain_db, abs=0.5)  # no peak is normal: flatten it
    half = cut(res.prominence_db / 2)
    assert half is not None and half == pytest.approx(-res.gain_db / 2, abs=0.5)
    assert cut(res.prominence_db - 0.1) is None  # a hair over the limit: nothing worth cutting


def test_a_band_limit_is_no_resonance() -> None:
    """16-kHz speech resampled for a 44.1-kHz session: its last partials under the 8-kHz edge read "a narrow
    resonance at 7620 Hz, 33.7 dB above its smoothed spectrum" while the smoothed floor sank past the edge."""
    freqs = np.fft.rfftfreq(4096, 1.0 / 44100.0)
    spectrum = 1.0 / (1.0 + (freqs / 500.0) ** 2)  # a voice-like fall of 12 dB an octave
    spectrum[freqs > 7800.0] = 1e-6  # the stop band, 36 dB under the edge (the stem spectrum's floor)
    assert band_top_hz(spectrum, freqs) == pytest.approx(7800.0, rel=0.04)
    assert find_resonances(spectrum=spectrum, freqs=freqs, min_db=3.0) == []
    full = 1.0 / (1.0 + (freqs / 500.0) ** 2)  # the same fall with no edge: no band limit
    assert band_top_hz(full, freqs) is None


@pytest.mark.parametrize("freq", [1000.0, 2500.0])
def test_a_lone_sine_is_no_band_limit(freq: float) -> None:
    """A test tone falls as steeply under its frequency as over it: it read "holds nothing above 1000 Hz"."""
    freqs = np.fft.rfftfreq(4096, 1.0 / 44100.0)
    spectrum = np.full(freqs.shape, 1e-12)
    spectrum[np.argmin(np.abs(freqs - freq))] = 1.0
    assert band_top_hz(spectrum, freqs) is None
