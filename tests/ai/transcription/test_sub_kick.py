"""An 808 kick (a clickless sine gliding to 40-62 Hz) is a kick, not the low and mid toms the network reads; a
tom's ring at 64 Hz or above stays a tom; a bass note already sounding under a hit is not the hit's tone."""

from __future__ import annotations

import numpy as np
import pytest

from ai.transcription.drums import KICK, SR, TOMS, DrumHit, drum_features, drum_hits, hits_of, kicks_from_sub_bass
from ai.transcription.sub_kick import is_sub_bass_kick, sub_bass_rise


def glide(settle: float, start: float = 160.0, decay: float = 0.45, seconds: float = 0.9) -> np.ndarray:
    """A sine falling from ``start`` to ``settle`` Hz (30 ms time constant), decaying, faded out: an 808 kick, or
    with a high ``settle`` an electronic tom."""
    t = np.arange(int(seconds * SR)) / SR
    freq = settle + (start - settle) * np.exp(-t / 0.03)
    tone = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / decay)
    faded: np.ndarray = tone * np.minimum(1.0, (t[-1] - t) / 0.02)
    return faded


def loop(hit: np.ndarray, times: list[float], seconds: float = 6.0) -> np.ndarray:
    y = np.zeros(int(seconds * SR))
    for at in times:
        a = int(at * SR)
        y[a : a + hit.size] += hit[: y.size - a]
    out: np.ndarray = (0.5 * y / np.abs(y).max()).astype(np.float32)
    return out


TIMES = [0.3 + 0.5 * i for i in range(10)]


@pytest.mark.parametrize("settle", [45.0, 55.0, 60.0])
def test_an_808_kick_is_read_as_a_kick(settle: float) -> None:
    y = loop(glide(settle), TIMES)
    before = hits_of(drum_features(y))  # the network alone: toms (45, 48), no kick
    assert any(h.pitch in TOMS for h in before)
    hits = drum_hits(y)
    kicks = [h.time for h in hits if h.pitch == KICK]
    assert not [h for h in hits if h.pitch in TOMS]
    assert len(kicks) == len(TIMES)
    assert np.max(np.abs(np.array(kicks) - TIMES)) < 0.03


@pytest.mark.parametrize("settle", [70.0, 85.0, 110.0])
def test_a_tone_at_a_toms_pitch_is_no_sub_bass_kick(settle: float) -> None:
    y = loop(glide(settle, start=settle * 1.6, decay=0.25), TIMES)
    assert not any(is_sub_bass_kick(y, SR, at) for at in TIMES)


def test_the_hits_tone_is_what_it_adds_not_a_bass_note_already_sounding() -> None:
    t = np.arange(6 * SR) / SR
    bass = 0.5 * np.sin(2 * np.pi * 49.0 * t)  # G1 held through
    tom = loop(glide(95.0, start=150.0, decay=0.25), TIMES)
    share, peak = sub_bass_rise(bass + tom, SR, TIMES[3])
    assert peak > 80.0  # the tom's 95 Hz, not the louder 49 Hz under it
    assert share > 0.0
    assert not is_sub_bass_kick(bass + tom, SR, TIMES[3])


def test_a_relabelled_tom_beside_the_networks_kick_is_one_kick_at_the_networks_time() -> None:
    y = loop(glide(50.0), [0.3])
    hits = [DrumHit(0.29, 45, 100), DrumHit(0.30, KICK, 90), DrumHit(0.301, 48, 110), DrumHit(0.5, 42, 60)]
    assert kicks_from_sub_bass(hits, y) == [DrumHit(0.30, KICK, 110), DrumHit(0.5, 42, 60)]
