"""Generated audio that is not music, for the no-pulse and no-key rules (tests/ai/analysis/test_no_pulse.py)
and their margins (bench/noise_margins.py): coloured noise, random clicks, noise-burst drum loops, a held organ
chord."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt


def coloured_noise(rng: np.random.Generator, n: int, colour: str, sr: int) -> np.ndarray:
    """``n`` samples of white, pink (-3 dB/octave) or brown (-6 dB/octave) noise at unit RMS."""
    white = rng.standard_normal(n)
    if colour == "white":
        return white
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    freqs[0] = freqs[1]
    y = np.fft.irfft(np.fft.rfft(white) / (np.sqrt(freqs) if colour == "pink" else freqs), n)
    result: np.ndarray = y / y.std()
    return result


def poisson_clicks(rng: np.random.Generator, seconds: float, rate: float, sr: int, *, tone: bool = False) -> np.ndarray:
    """20-ms clicks (3 ms decay) of noise, or of a 1.5 kHz tone, at random (Poisson) times, ``rate`` a second."""
    y = np.zeros(int(seconds * sr))
    t = rng.exponential(1.0 / rate)
    length = int(0.02 * sr)
    decay = np.exp(-np.arange(length) / (0.003 * sr))
    while t < seconds - 0.05:
        i = int(t * sr)
        burst = np.sin(2 * np.pi * 1500.0 * np.arange(length) / sr) if tone else rng.standard_normal(length)
        y[i : i + length] += rng.uniform(0.2, 0.8) * burst * decay
        t += rng.exponential(1.0 / rate)
    return y


def burst_loop(rng: np.random.Generator, seconds: float, bpm: float, sr: int, *, kick_cut: float = 400.0) -> np.ndarray:
    """A drum loop of noise bursts only: a kick of noise low-passed at ``kick_cut`` on 1 and 3, a snare
    burst on 2 and 4, a high-passed hat on every eighth, peaking at 0.7."""
    low = butter(4, kick_cut, "low", fs=sr, output="sos")
    high = butter(4, 6000.0, "high", fs=sr, output="sos")
    y = np.zeros(int(seconds * sr))
    length = int(0.15 * sr)
    for k, start in enumerate(np.arange(0.0, seconds - 0.2, 30.0 / bpm)):
        i = int(start * sr)
        burst = rng.standard_normal(length)
        decay = np.exp(-np.arange(length) / (0.03 * sr))
        if k % 4 == 0:
            y[i : i + length] += 3.2 * sosfilt(low, burst) * decay
        elif k % 4 == 2:
            y[i : i + length] += 0.4 * burst * decay
        y[i : i + length] += 0.15 * sosfilt(high, burst) * np.exp(-np.arange(length) / (0.01 * sr))
    result: np.ndarray = 0.7 * y / np.abs(y).max()
    return result


def organ_chord(
    rng: np.random.Generator, seconds: float, sr: int, midi: tuple[int, ...] = (57, 60, 64, 69)
) -> np.ndarray:
    """A chord held for ``seconds`` (A minor by default) on three organ ranks (8', 4', 2') tuned a few cents apart,
    so that their partials beat against each other, as a church organ's do; 50 ms fades. Peak 0.3."""
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for note in midi:
        f0 = 440.0 * 2.0 ** ((note - 69) / 12.0)
        for rank, cents in ((1, 0.0), (2, 3.0), (4, -4.0)):
            for k in range(1, 7):
                f = f0 * rank * k * 2.0 ** (cents / 1200.0)
                if f < sr / 2.2:
                    y += np.sin(2.0 * np.pi * f * t + rng.uniform(0.0, 2.0 * np.pi)) / (k * rank)
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.05)
    result: np.ndarray = 0.3 * y / np.max(np.abs(y)) * ramp
    return result
