"""The seed's analysis method, kept only as a reference for the benchmarks (never served).

The seed loaded the file with librosa at 44.1 kHz mono, took beat_track's tempo and beats,
named the key after the loudest bin of the mean STFT chroma (always "major": it had no mode),
and reported librosa's spectral centroid, roll-off, RMS and zero-crossing-rate means, each
computed from its own representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai.analysis.tonal import TONICS

SEED_SR = 44100


@dataclass(frozen=True)
class SeedResult:
    tempo: float
    beat_times: np.ndarray
    key: str
    duration: float
    spectral_centroid_mean: float
    spectral_rolloff_mean: float
    rms_mean: float
    zero_crossing_rate_mean: float


def seed_analyze(path: Path) -> SeedResult:
    """Decode ``path`` and analyse it the way the seed did."""
    import librosa

    y, sr = librosa.load(str(path), sr=SEED_SR, mono=True)
    tempo, beat_frames = librosa.beat.beat_track(y=y, sr=sr)
    beat_times = librosa.frames_to_time(beat_frames, sr=sr)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    key = f"{TONICS[int(np.argmax(chroma.mean(axis=1)))]} major"
    return SeedResult(
        tempo=float(np.atleast_1d(tempo)[0]),
        beat_times=beat_times,
        key=key,
        duration=float(len(y) / sr),
        spectral_centroid_mean=float(librosa.feature.spectral_centroid(y=y, sr=sr).mean()),
        spectral_rolloff_mean=float(librosa.feature.spectral_rolloff(y=y, sr=sr).mean()),
        rms_mean=float(librosa.feature.rms(y=y).mean()),
        zero_crossing_rate_mean=float(librosa.feature.zero_crossing_rate(y).mean()),
    )
