"""A random production chain that makes a clean FluidSynth render sound recorded and released.

``produce(y, sr=..., rng=...)`` applies, each with a probability and random parameters, a room
(reverb), a tonal tilt / band limit, bus compression with a limiter to a loud master, background
noise and an MP3 round trip, then sets the peak level. It returns the audio and a dict saying what
was applied, with every parameter, so the corpus can record it. Nothing moves in time: the MP3
encoder's delay is measured on a click and removed, so annotations made on the dry render hold.

Used by training/real_corpus.py.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from typing import Protocol, TypedDict

import numpy as np
import pyloudnorm
from pedalboard import Compressor, HighpassFilter, Limiter, LowpassFilter, PeakFilter, Pedalboard, Reverb
from pedalboard.io import AudioFile
from scipy.signal import resample_poly

P_ROOM = 0.7
P_MASTER = 0.6
P_TILT = 0.5
P_NOISE = 0.3
P_MP3 = 0.4
MP3_RATE = 44100  # real MP3s are 44.1 kHz: encode there, not at the corpus rate
MP3_KBPS = (64, 96, 128, 160, 192)
PEAK_DBFS = (-30.0, -8.0)


class NoiseParams(TypedDict):
    color: str  # "white" | "pink"
    snr_db: float


class Stage(Protocol):
    """A production stage: the processed audio and the parameters it drew."""

    def __call__(
        self, y: np.ndarray, *, sr: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, Mapping[str, object]]: ...


def _db(value: float) -> float:
    return float(10.0 ** (value / 20.0))


def _rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)) + 1e-20))


def room(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """Freeverb-style room: size 0.1-0.9, wet 0.05-0.4."""
    params = {
        "room_size": round(float(rng.uniform(0.1, 0.9)), 3),
        "wet": round(float(rng.uniform(0.05, 0.4)), 3),
        "damping": round(float(rng.uniform(0.2, 0.8)), 3),
    }
    reverb = Reverb(
        room_size=params["room_size"],
        damping=params["damping"],
        wet_level=params["wet"],
        dry_level=1.0 - params["wet"] / 2,
        width=1.0,
    )
    return reverb(y.astype(np.float32), sr), params


def tilt(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """High-pass 40-200 Hz, low-pass 3-12 kHz (capped below Nyquist), one peak EQ of +-6 dB."""
    lowpass = float(np.exp(rng.uniform(np.log(3000.0), np.log(12000.0))))
    params = {
        "highpass_hz": round(float(np.exp(rng.uniform(np.log(40.0), np.log(200.0)))), 1),
        "lowpass_hz": round(min(lowpass, 0.47 * sr), 1),
        "peak_hz": round(float(np.exp(rng.uniform(np.log(150.0), np.log(6000.0)))), 1),
        "peak_db": round(float(rng.uniform(-6.0, 6.0)), 2),
        "peak_q": round(float(rng.uniform(0.5, 2.0)), 2),
    }
    board = Pedalboard(
        [
            HighpassFilter(cutoff_frequency_hz=params["highpass_hz"]),
            LowpassFilter(cutoff_frequency_hz=params["lowpass_hz"]),
            PeakFilter(cutoff_frequency_hz=params["peak_hz"], gain_db=params["peak_db"], q=params["peak_q"]),
        ]
    )
    return board(y.astype(np.float32), sr), params


def master(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """Bus compressor, gain to a loudness target of -14..-7 LUFS, limiter at -1 dBFS."""
    params = {
        "threshold_db": round(float(rng.uniform(-25.0, -10.0)), 2),
        "ratio": round(float(rng.uniform(2.0, 6.0)), 2),
        "attack_ms": round(float(rng.uniform(1.0, 30.0)), 1),
        "release_ms": round(float(rng.uniform(50.0, 300.0)), 1),
        "target_lufs": round(float(rng.uniform(-14.0, -7.0)), 2),
        "limiter_release_ms": round(float(rng.uniform(30.0, 200.0)), 1),
    }
    y = y.astype(np.float32)
    y = y / max(float(np.max(np.abs(y))), 1e-9) * _db(-6.0)  # the compressor's threshold is absolute
    compressor = Compressor(
        threshold_db=params["threshold_db"],
        ratio=params["ratio"],
        attack_ms=params["attack_ms"],
        release_ms=params["release_ms"],
    )
    y = compressor(y.astype(np.float32), sr)  # float32 already (numpy keeps it; its stubs say float64)
    meter = pyloudnorm.Meter(sr)
    loudness = meter.integrated_loudness(y.astype(np.float64))
    if np.isfinite(loudness):
        y = y * _db(params["target_lufs"] - loudness)
    y = Limiter(threshold_db=-1.0, release_ms=params["limiter_release_ms"])(y.astype(np.float32), sr)
    params["lufs"] = round(float(meter.integrated_loudness(y.astype(np.float64))), 2)
    return y, params


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with a 1/f power spectrum, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return noise / _rms(noise)


def noise(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, NoiseParams]:
    """White or pink noise at an SNR of 20-45 dB (to the RMS of the whole excerpt)."""
    params: NoiseParams = {
        "color": str(rng.choice(["white", "pink"])),
        "snr_db": round(float(rng.uniform(20.0, 45.0)), 2),
    }
    n: int = y.shape[-1]
    hiss = rng.standard_normal(n) if params["color"] == "white" else pink_noise(n, rng)
    hiss = hiss / _rms(hiss) * _rms(y) * _db(-params["snr_db"])
    return (y + hiss).astype(np.float32), params


def _mp3(y: np.ndarray, kbps: int) -> np.ndarray:
    """Encode ``y`` (mono, MP3_RATE) as an MP3 and decode it again, as a reader would."""
    data = AudioFile.encode(y.astype(np.float32)[None, :], MP3_RATE, "mp3", 1, quality=kbps)
    with AudioFile(io.BytesIO(bytes(data))) as handle:
        decoded: np.ndarray = handle.read(handle.frames)[0]
        return decoded


@functools.cache
def mp3_delay(kbps: int) -> int:
    """Samples (at MP3_RATE) by which an MP3 round trip delays the signal, measured on a click.

    LAME's encoder delay plus the decoder's (576 + 529 = 1105 samples) is not removed by the
    decoder pedalboard uses, so it is measured once per bitrate and cut off.
    """
    click = np.zeros(MP3_RATE * 2, dtype=np.float32)
    at = MP3_RATE // 2
    click[at : at + 4] = 0.8
    decoded = _mp3(click, kbps)
    span = 400
    corr = np.correlate(decoded[: at + 4 * span], click[at - span : at + span], mode="valid")
    return int(np.argmax(corr)) - (at - span)


def mp3_round_trip(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, int]]:
    """An MP3 at 64-192 kbps (44.1 kHz), decoded, delay removed, back at ``sr``."""
    kbps = int(rng.choice(MP3_KBPS))
    up = resample_poly(y, MP3_RATE, sr) if sr != MP3_RATE else y
    peak = float(np.max(np.abs(up)))
    scale = 0.95 / peak if peak > 0.95 else 1.0  # an MP3 is 16-bit at heart: keep it out of clipping
    delay = mp3_delay(kbps)
    decoded = _mp3(up * scale, kbps)[delay : delay + up.size] / scale
    decoded = np.pad(decoded, (0, up.size - decoded.size))
    out = resample_poly(decoded, sr, MP3_RATE) if sr != MP3_RATE else decoded
    return out[: y.size].astype(np.float32), {"kbps": kbps, "delay_samples_44k": delay}


STAGES: tuple[tuple[str, float, Stage], ...] = (
    ("room", P_ROOM, room),
    ("tilt", P_TILT, tilt),
    ("master", P_MASTER, master),
    ("noise", P_NOISE, noise),
    ("mp3", P_MP3, mp3_round_trip),
)


def produce(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, object]]:
    """Apply the random production chain to mono ``y`` [shape=(n,)]; returns (audio, what was applied).

    The stages run in a fixed order (room, tilt, master, noise, mp3); whether each runs is drawn
    first, so the parameters drawn for one stage do not depend on the others being applied. The
    result is scaled to a random peak of -30..-8 dBFS.
    """
    chosen = [(name, stage) for name, p, stage in STAGES if rng.random() < p]
    applied: dict[str, object] = {}
    y = np.asarray(y, dtype=np.float32)
    for name, stage in chosen:
        y, applied[name] = stage(y, sr=sr, rng=rng)
    peak_dbfs = round(float(rng.uniform(*PEAK_DBFS)), 2)
    y = y / max(float(np.max(np.abs(y))), 1e-9) * _db(peak_dbfs)
    applied["peak_dbfs"] = peak_dbfs
    return y.astype(np.float32), applied
