"""EQ curves: the responses we compute are the ones pedalboard applies."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from ai.mixing.eq_curves import eq_response_db
from tests.ai.mixing.tonal_signals import SR, eq


@pytest.mark.parametrize(
    ("kind", "plugin"),
    [
        ("bell", pedalboard.PeakFilter(cutoff_frequency_hz=280, gain_db=8, q=1.0)),
        ("high_shelf", pedalboard.HighShelfFilter(cutoff_frequency_hz=6000, gain_db=-10, q=0.707)),
        ("low_shelf", pedalboard.LowShelfFilter(cutoff_frequency_hz=100, gain_db=6, q=0.707)),
    ],
)
def test_eq_response_is_what_pedalboard_applies(kind: str, plugin: pedalboard.Plugin) -> None:
    impulse = np.zeros(1 << 14, dtype=np.float32)
    impulse[0] = 1.0
    measured = 20 * np.log10(np.abs(np.fft.rfft(eq(impulse, plugin))))
    freqs = np.fft.rfftfreq(impulse.size, 1 / SR)
    ours = eq_response_db(
        kind=kind, freq_hz=plugin.cutoff_frequency_hz, gain_db=plugin.gain_db, q=plugin.q, freqs=freqs
    )
    band = (freqs > 20) & (freqs < 18000)
    assert np.max(np.abs(measured[band] - ours[band])) < 0.05
