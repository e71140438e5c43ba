"""Sub-bass kicks that the drum network reads as toms.

A TR-808's kick, and the trap and hip-hop "808" made from it, is a sine gliding down to 40-65 Hz with no
beater click. The network learned kicks from sampled and GM kits, whose kicks all carry a click, and reads
a clickless sweep as a low and a mid tom: 12 of 12 synthetic 808 kicks came back as notes 45 and 48 with no
36, and so did Hydrogen ElectricEmpireKit's EE_Kick_Low_2 (session 33, /tmp/s33_kits.py).

A tom's membrane sounds at 64 Hz or above: the Hydrogen kits' floor toms ring at 64-86 Hz once their attack has
passed, those at 64 Hz with 40-50 % of their energy above 100 Hz. The 808s settle at 40-62 Hz, 97-100 % of their
energy below 100 Hz. So a tom hit whose sound after its attack is a tone under 63 Hz, almost all below 100 Hz, is
a kick. "After its attack" is the 60-260 ms after the hit, where an 808's glide (from 120-250 Hz, ~30 ms) has
settled; its sound is the rise of that spectrum over the 200 ms before the hit, so a bass note already sounding
does not count.
"""

from __future__ import annotations

import numpy as np

SUB_SHARE = 0.9
"""Share of the hit's added energy below SUB_HZ at or above which a tom may be a sub-bass kick (808s 0.97-1.00;
toms under 63 Hz: none, floor toms at 64 Hz 0.50-0.64)."""
SUB_HZ = 100.0
PEAK_HZ = 63.0
"""The added energy's peak (25-400 Hz) must lie below this: 808s 40-62 Hz, toms 64 Hz and above."""
SETTLED_S = 0.06
"""Where the hit's tone is read from, after the hit: an 808's glide has fallen to within a sixth of its way."""
WINDOW_S = 0.2
N_FFT = 8192
"""Zero-padded FFT length: 2.7 Hz bins at 22,050 Hz, fine enough to place a 50-65 Hz peak."""


def sub_bass_rise(y: np.ndarray, sample_rate: int, time: float) -> tuple[float, float]:
    """(share of the added energy below SUB_HZ, the added energy's peak in Hz between 25 and 400 Hz) of a hit at
    ``time`` s in the mono signal ``y``: the power spectrum of WINDOW_S from SETTLED_S after the hit less that of the
    WINDOW_S before it, negative bins left out. (0.0, 0.0) where nothing rises."""
    n = int(round(WINDOW_S * sample_rate))
    hit = int(round(time * sample_rate))
    window = np.hanning(n)

    def power(start: int) -> np.ndarray:
        frame = np.zeros(n)
        a, b = max(start, 0), min(start + n, y.size)
        if b > a:
            frame[a - start : b - start] = y[a:b]
        spectrum: np.ndarray = np.abs(np.fft.rfft(frame * window, N_FFT)) ** 2
        return spectrum

    rise = np.maximum(power(hit + int(round(SETTLED_S * sample_rate))) - power(hit - n), 0.0)
    total = float(rise.sum())
    if total <= 0.0:
        return 0.0, 0.0
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    band = (freqs >= 25.0) & (freqs <= 400.0)
    peak = float(freqs[band][np.argmax(rise[band])])
    return float(rise[freqs < SUB_HZ].sum()) / total, peak


def is_sub_bass_kick(y: np.ndarray, sample_rate: int, time: float) -> bool:
    """Whether the hit at ``time`` adds a sub-bass tone (an 808 kick) rather than a tom's."""
    share, peak = sub_bass_rise(y, sample_rate, time)
    return share >= SUB_SHARE and 0.0 < peak < PEAK_HZ


__all__ = ["PEAK_HZ", "SUB_SHARE", "is_sub_bass_kick", "sub_bass_rise"]
