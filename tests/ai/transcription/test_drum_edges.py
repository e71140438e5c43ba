"""The end of a file is no drum hit: a sound cut off there rises into the STFT's zero padding."""

from __future__ import annotations

import numpy as np

from ai.audio.decode import DecodedAudio
from ai.transcription.drums import pick_peaks, transcribe_drums
from ai.transcription.transcribe import transcribe

SR = 44100


def test_an_activation_still_rising_at_the_end_is_no_peak() -> None:
    a = np.zeros(50, dtype=np.float32)
    a[[0, 1]] = [0.9, 0.2]  # a hit on the first frame counts: a file may start on one
    a[-3:] = [0.1, 0.5, 0.9]
    assert pick_peaks(a, 0.4).tolist() == [0]


def test_a_held_chord_cut_off_at_the_end_has_no_hits() -> None:
    t = np.arange(4 * SR) / SR
    chord = (
        0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 554.37 * t) + 0.2 * np.sin(2 * np.pi * 659.25 * t)
    )
    for y in (chord, np.full(4 * SR, 0.05)):  # a held chord; DC
        assert transcribe_drums(DecodedAudio(y[None, :].astype(np.float32), SR)) == []


def test_a_constant_signal_has_no_hits() -> None:
    # 10 s of DC at -6 dBFS: its steps into the resampler's and the STFT's zeros at the ends were a snare.
    dc = DecodedAudio(np.full((2, 10 * SR), 0.5, dtype=np.float32), SR)
    assert transcribe_drums(dc) == []
    assert transcribe(dc, instrument="drums").notes == []
