"""The channel strip: filters with known responses, and the stereo fixes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ai.mixing.channel_strip import eq_plugins, process_track
from tests.ai.mixing.signals import SR, stereo, tone


def gain_at(plugins_for: dict, freq: float, sr: int = SR) -> float:
    """Gain (dB) of an EQ move at ``freq``, from the RMS of a steady sine through it."""
    x = stereo(tone(freq, amp=0.1, seconds=2.0, sr=sr))
    y = process_track(x, sr, [_move(plugins_for)])
    steady = slice(sr // 2, None)
    return 20 * math.log10(np.sqrt(np.mean(y[0, steady] ** 2)) / np.sqrt(np.mean(x[0, steady] ** 2)))


def _move(eq: dict):
    from ai.mixing.channel_strip import Move

    return Move("eq", eq, {"type": "test"})


# ----------------------------------------------------------------------------------- filters


def test_high_pass_is_a_fourth_order_butterworth() -> None:
    hp = {"type": "high_pass", "freq_hz": 200.0, "gain_db": 0.0, "q": 0.707}
    # |H|^2 = 1 / (1 + (fc / f)^8): -3.01 dB at fc, -14.3 dB at 2/3 fc, -24.1 dB an octave down.
    assert gain_at(hp, 200.0) == pytest.approx(-3.01, abs=0.3)
    assert gain_at(hp, 200.0 * 2 / 3) == pytest.approx(-14.3, abs=0.6)
    assert gain_at(hp, 100.0) == pytest.approx(-24.1, abs=0.8)
    assert gain_at(hp, 1000.0) == pytest.approx(0.0, abs=0.1)


def test_bell_and_shelves_give_their_gain() -> None:
    assert gain_at({"type": "cut", "freq_hz": 280.0, "gain_db": -7.0, "q": 1.4}, 280.0) == pytest.approx(-7.0, abs=0.2)
    assert gain_at({"type": "bell", "freq_hz": 3500.0, "gain_db": 4.0, "q": 2.0}, 3500.0) == pytest.approx(4.0, abs=0.2)
    # A shelf's corner is its half-gain point; far past it the whole gain applies.
    assert gain_at({"type": "high_shelf", "freq_hz": 2000.0, "gain_db": -6.0, "q": 0.707}, 8000.0) == pytest.approx(
        -6.0, abs=0.4
    )
    assert gain_at({"type": "low_shelf", "freq_hz": 200.0, "gain_db": 6.0, "q": 0.707}, 200.0) == pytest.approx(
        3.0, abs=0.3
    )
    with pytest.raises(ValueError):
        eq_plugins({"type": "notch", "freq_hz": 100.0}, SR)


# ----------------------------------------------------------------------------------- stereo


def test_apply_stereo_flips_and_narrows() -> None:
    from ai.mixing.channel_strip import apply_stereo

    x = stereo(tone(220, amp=0.3))
    flipped = np.stack([x[0], -x[1]])
    apply_stereo(flipped, flip_right=True)
    assert np.array_equal(flipped, x)
    wide = np.stack([x[0], np.zeros_like(x[1])])  # all in the left: mid and side equal
    apply_stereo(wide, side_gain_db=-6.0)
    mid, side = (wide[0] + wide[1]) / 2, (wide[0] - wide[1]) / 2
    assert np.allclose(mid, x[0] / 2, atol=1e-6)
    assert np.allclose(side, x[0] / 2 * 10 ** (-6 / 20), atol=1e-6)


def test_the_dc_blocker_takes_out_dc_and_leaves_a_30_hz_kick_as_it_was() -> None:
    from ai.audio.stem_file import write_stem_file
    from ai.mixing.channel_strip import strip_blocks
    from ai.mixing.measure import dc_offset
    from tests.ai.mixing.signals import kick

    thump = stereo(kick(freq=30.0, every=0.5))
    offset = np.float32(0.01)
    out = process_track(thump + offset, SR, [], dc_block=True)
    steady = process_track(stereo(tone(440.0, amp=0.1)) + offset, SR, [], dc_block=True)
    assert abs(dc_offset(steady, SR)) < 1e-5
    level = 20 * math.log10(float(np.sqrt(np.mean(out[:, SR:] ** 2))) / float(np.sqrt(np.mean(thump[:, SR:] ** 2))))
    assert abs(level) < 0.1
    # Without it nothing is touched; a stem of DC alone comes out silent, with no thump at its start.
    assert process_track(thump, SR, []) is thump
    assert float(np.abs(process_track(np.full((2, SR), 0.5, dtype=np.float32), SR, [], dc_block=True)).max()) < 1e-4
    # A block at a time (a stem file): the same samples.
    with write_stem_file(iter([thump + offset]), channels=2, sample_rate=SR) as stem:
        blocks = np.concatenate(list(strip_blocks(stem, SR, [], dc_block=True)), axis=1)
    assert np.allclose(blocks, out, atol=1e-6)
