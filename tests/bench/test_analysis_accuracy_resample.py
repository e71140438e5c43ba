"""bench/analysis_accuracy.py --resample: the engine reads each file at the asked rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from bench.analysis_accuracy import decode_at


def test_decode_at_resamples_every_channel_and_keeps_the_band_below_nyquist(tmp_path: Path) -> None:
    sr = 44100
    t = np.arange(2 * sr) / sr
    low, high = np.sin(2 * np.pi * 440.0 * t), np.sin(2 * np.pi * 6000.0 * t)  # 6 kHz is above 8 kHz's Nyquist
    path = tmp_path / "two_tones.wav"
    sf.write(path, np.stack([0.5 * (low + high), 0.5 * low], axis=1), sr)
    audio = decode_at(path, 8000)
    assert audio.sample_rate == 8000
    assert audio.samples.shape == (2, 16000)
    assert audio.samples.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(audio.samples[0]))
    assert spectrum[880] > 1000 * spectrum[1000:].max()  # 440 Hz kept (bin 880 at 0.5 Hz), nothing aliased in
    assert decode_at(path, None).sample_rate == sr
