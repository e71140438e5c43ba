"""The analysis contract: the rate, frame and hop every analysis representation is computed at.

Everything else is derived from these. The seed analysed at 44.1 kHz; 22.05 kHz keeps every
feature we use (onsets, chroma up to ~5 kHz, spectral shape for the seed's means) at half the cost.
"""

from __future__ import annotations

ANALYSIS_SR = 22050
"""Sample rate (Hz) the mono signal is resampled to, once, before any feature."""

N_FFT = 2048
"""STFT frame length in samples (~93 ms at ANALYSIS_SR)."""

HOP = 512
"""STFT hop in samples (~23.2 ms at ANALYSIS_SR); every frame-rate feature uses it."""

FRAME_RATE = ANALYSIS_SR / HOP
"""Frames per second of every frame-rate feature (~43.07)."""

N_MELS = 64
"""Mel bands of the onset-detection spectrogram."""

MEL_FMIN = 30.0
MEL_FMAX = 8000.0

LOW_ONSET_FMAX = 150.0
"""Upper edge (Hz) of the band the kick/bass onset envelope is computed from."""

MIDI_MIN = 24
"""Lowest pitch (C1, ~32.7 Hz) of the semitone spectrum."""

N_SEMITONES = 84
"""Pitches in the semitone spectrum: MIDI 24 (C1) .. 107 (B7)."""

PITCH_FMIN = 40.0
PITCH_FMAX = 5000.0
"""Spectral peaks outside [PITCH_FMIN, PITCH_FMAX] Hz do not enter the pitch representations."""

BASS_MIDI_MAX = 55
"""Highest pitch (G3, ~196 Hz) counted in the bass chroma."""
