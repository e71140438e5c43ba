"""Rumble at 1 Hz resolution: a bump under the cut-off counts, the skirt of the part's own low end does not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from ai.mixing.low_end import low_end
from ai.mixing.measure import measure_track
from ai.mixing.track_findings import track_findings
from tests.ai.mixing.signals import SR, kick, stereo, tone


def measure(name: str, samples: np.ndarray, role: str):
    return measure_track(DecodedAudio(samples, SR), name=name, role=role)


def bass_line(amp: float = 0.3) -> np.ndarray:
    """Notes on E1 (41.2 Hz) and A1 (55 Hz) with two overtones, one a second."""
    t = np.arange(SR) / SR
    out = []
    for k in range(6):
        f = 41.2 if k % 2 == 0 else 55.0
        note = sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3)) * np.exp(-t / 0.6)
        out.append(note)
    return (amp * np.concatenate(out) / 1.5).astype(np.float32)


def test_a_kicks_skirt_below_30_hz_is_not_rumble() -> None:
    # A 55 Hz thump decaying in 0.15 s puts 1-2 % of its energy under 30 Hz, combed into lines by
    # the repeated hits: the skirt falls toward low frequencies, so none of it is an excess.
    m = measure("Kick", stereo(kick()), "kick")
    assert m.rumble_cutoff_hz == 30
    assert m.rumble_share < 0.005
    assert not [s for s in track_findings(m) if s.type == "rumble"]


@pytest.mark.parametrize("role", ["bass", "kick", "drums", "music"])
def test_rumble_at_18_to_25_hz_on_full_range_roles(role: str) -> None:
    part = bass_line() if role in ("bass", "music") else kick()
    rms = float(np.sqrt(np.mean(part.astype(np.float64) ** 2)))
    hum = tone(21.0, amp=rms * 10 ** (-12 / 20) * math.sqrt(2), seconds=part.size / SR)[: part.size]
    clean = measure("Part", stereo(part), role)
    m = measure("Part", stereo(part + hum), role)
    share = 10 ** (-12 / 10) / (1 + 10 ** (-12 / 10))  # the hum's power out of the total
    assert clean.rumble_share < 0.005
    assert m.rumble_share == pytest.approx(share, rel=0.15)
    assert m.rumble_peak_hz == pytest.approx(21.0, abs=1.0)
    assert m.rumble_steady_share == pytest.approx(m.rumble_share, rel=0.2)
    (found,) = [s for s in track_findings(m) if s.type == "rumble"]
    assert not found.info and found.priority == "high"
    assert found.action == {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 30.0, "gain_db": 0.0, "q": 0.707}}


def test_a_low_note_just_above_the_cut_off_is_not_rumble() -> None:
    # A five-string bass's low B (30.9 Hz) against the 30 Hz cut-off: with 1 Hz bins it stays above.
    t = np.arange(4 * SR) / SR
    low_b = (0.3 * np.sin(2 * np.pi * 33.0 * t)).astype(np.float32)
    assert measure("Bass", stereo(low_b), "bass").rumble_share < 0.005


def test_dc_offset_is_not_rumble() -> None:
    mid = (tone(200.0, amp=0.3) + 0.02).astype(np.float32)
    total = float(np.mean(mid.astype(np.float64) ** 2))
    assert low_end(mid=mid, sr=SR, cutoff_hz=30.0, total_power=total).share < 0.001


def test_silence_has_no_rumble() -> None:
    result = low_end(mid=np.zeros(SR, dtype=np.float32), sr=SR, cutoff_hz=30.0, total_power=0.0)
    assert (result.share, result.steady_share, result.peak_hz) == (0.0, 0.0, None)
