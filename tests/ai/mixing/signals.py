"""Synthetic stems with known content, and made-up findings, for the mixing tests."""

from __future__ import annotations

import numpy as np
import scipy.signal

from ai.audio.decode import DecodedAudio
from ai.mixing.findings import Suggestion
from ai.mixing.measure import TrackInput

SR = 22050
SECONDS = 6.0


def n_samples(seconds: float = SECONDS, sr: int = SR) -> int:
    return int(seconds * sr)


def tone(freq: float, *, amp: float = 0.5, seconds: float = SECONDS, sr: int = SR) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(n_samples(seconds, sr)) / sr)).astype(np.float32)


def band_noise(
    low: float, high: float, *, amp: float = 0.1, seconds: float = SECONDS, sr: int = SR, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sos = scipy.signal.butter(4, [low, high], btype="band", fs=sr, output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal(n_samples(seconds, sr)))
    return (amp * noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def kick(
    *, amp: float = 0.8, freq: float = 55.0, every: float = 0.5, seconds: float = SECONDS, sr: int = SR
) -> np.ndarray:
    """Decaying sine bursts (a kick's fundamental) every ``every`` seconds."""
    n = n_samples(seconds, sr)
    t = np.arange(int(0.45 * sr)) / sr
    hit = np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.15)
    out = np.zeros(n)
    for start in range(0, n - hit.size, int(every * sr)):
        out[start : start + hit.size] += hit
    return (amp * out).astype(np.float32)


def low_notes(*, on: float = 0.5, every: float = 2.0, amp: float = 0.2) -> np.ndarray:
    """A low C (65.4 Hz) with four overtones, sounding ``on`` s of every ``every`` s."""
    t = np.arange(n_samples()) / SR
    note = sum(amp / k * np.sin(2 * np.pi * 65.4 * k * t) for k in range(1, 6))
    return (note * ((t % every) < on)).astype(np.float32)


def stereo(mono: np.ndarray, *, width_noise: float = 0.0, seed: int = 1) -> np.ndarray:
    if width_noise == 0.0:
        return np.stack([mono, mono])
    rng = np.random.default_rng(seed)
    side = (width_noise * rng.standard_normal(mono.size)).astype(np.float32)
    return np.stack([mono + side, mono - side])


def track(name: str, samples: np.ndarray, *, sr: int = SR, role: str | None = None) -> TrackInput:
    if samples.ndim == 1:
        samples = samples[np.newaxis, :]
    return TrackInput(name, DecodedAudio(np.ascontiguousarray(samples, dtype=np.float32), sr), role)


def band_song(seed: int = 0) -> dict[str, np.ndarray]:
    """A small clean 'song': kick, bass, guitar, vocals, hats as stereo arrays at SR."""
    env = (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * np.arange(n_samples()) / SR)).astype(np.float32)
    return {
        "Kick": stereo(kick(amp=0.7)),
        "Bass": stereo(band_noise(90, 220, amp=0.12, seed=seed + 1) * env),
        "Guitar 1": stereo(band_noise(400, 3000, amp=0.05, seed=seed + 2), width_noise=0.01, seed=seed + 3),
        "Vocals": stereo(band_noise(700, 3500, amp=0.08, seed=seed + 4) * env[::-1].copy()),
        "Hi-hats": stereo(band_noise(7000, 10000, amp=0.02, seed=seed + 5)),
    }


def drums(seconds: float = 8.0) -> np.ndarray:
    """Kick thumps plus noise clicks: a peaky signal (true peak far above its loudness)."""
    rng = np.random.default_rng(3)
    y = kick(amp=0.6, every=0.5, seconds=seconds)
    clicks = np.zeros_like(y)
    for start in range(SR // 4, y.size - 400, SR // 2):
        clicks[start : start + 400] += rng.normal(0, 0.5, 400) * np.exp(-np.arange(400) / 40)
    return stereo((0.25 * (y + clicks)).astype(np.float32))


def crash_hits(seconds: float = 31.0, hits: tuple[float, ...] = (2.0, 14.0, 26.0)) -> np.ndarray:
    """Three cymbal hits in ``seconds`` (decaying high noise, peak about -29 dBFS): 98 % of it silence."""
    rng = np.random.default_rng(7)
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    t = np.arange(int(0.3 * SR)) / SR
    for at in hits:
        start = int(at * SR)
        out[start : start + t.size] = 0.02 * rng.standard_normal(t.size) * np.exp(-t / 0.05)
    return stereo(out)


def suggestion(kind: str, track_name: str | None, action: dict | None, **kw) -> Suggestion:
    return Suggestion(kind, "m", kw.pop("priority", "medium"), track_name, "s", 0.8, {}, action, **kw)


_VOWEL_FORMANTS = ((730.0, 1090.0, 2440.0), (530.0, 1840.0, 2480.0), (270.0, 2290.0, 3010.0), (570.0, 840.0, 2410.0))


def voice_line(
    seconds: float = 12.0, *, sung: bool, seed: int = 0, sr: int = SR, cadence_s: float | None = None
) -> np.ndarray:
    """A voice-like line [shape=(n,)], float32: syllables, each a vowel's three formants over a glottal pulse
    train, with hiss (a consonant) before each. Spoken (``sung=False``): 120-250 ms syllables whose pitch
    glides (a speaker's intonation, 110-170 Hz, never held) and pauses; sung: 300-500 ms syllables held on
    the notes of a scale from G3 with a slight vibrato. No words, but a voice-activity network hears a voice
    in both (real speech and singing are not shipped with the tests). ``cadence_s``: a spoken syllable starts every
    ``cadence_s`` (at least 0.3 s), a steady cadence whose onsets beat like a pulse."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    total = 0
    while total < seconds * sr:
        if sung:
            n = int(rng.uniform(0.3, 0.5) * sr)
            note = 196.0 * 2.0 ** (rng.integers(0, 8) / 12.0)
            f0 = note * (1.0 + 0.01 * np.sin(2.0 * np.pi * 5.5 * np.arange(n) / sr))
        else:
            n = int(rng.uniform(0.12, 0.25) * sr)
            glide = rng.choice((-1.0, 1.0)) * rng.uniform(0.2, 0.4)
            f0 = rng.uniform(110.0, 170.0) * np.exp(np.linspace(0.0, glide, n))
        saw = np.cumsum(f0 / sr) % 1.0
        pulses = np.where(saw < 0.6, np.sin(np.pi * saw / 0.6) ** 2, 0.0)
        syllable = np.zeros(n)
        for k, freq in enumerate(_VOWEL_FORMANTS[rng.integers(len(_VOWEL_FORMANTS))]):
            r = np.exp(-np.pi * (80.0 + 20.0 * k) / sr)
            a = [1.0, -2.0 * r * np.cos(2.0 * np.pi * freq / sr), r * r]
            syllable += scipy.signal.lfilter([1.0 - r], a, pulses) / (k + 1)
        high = scipy.signal.butter(2, 3000.0 / (sr / 2), "high")
        hiss = scipy.signal.lfilter(*high, rng.normal(0.0, 0.02, int(0.05 * sr)))
        pause = np.zeros(int(0.2 * sr) if not sung and rng.random() < 0.2 else 0)
        if cadence_s is not None and not sung:
            pause = np.zeros(max(0, int(cadence_s * sr) - n - len(hiss)))
        parts += [hiss, syllable * np.sin(np.pi * np.arange(n) / n) ** 0.5, pause]
        total += n + len(hiss) + len(pause)
    y = np.concatenate(parts)[: int(seconds * sr)]
    return (0.3 * y / np.abs(y).max()).astype(np.float32)
