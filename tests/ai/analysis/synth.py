"""Synthetic music with known answers: harmonic tones, chord progressions, click tracks."""

from __future__ import annotations

import numpy as np

SR = 22050


def note(
    midi: float,
    duration: float,
    *,
    sr: int = SR,
    tuning_cents: float = 0.0,
    harmonics: int = 6,
    amplitude: float = 0.2,
    decay: float = 2.0,
) -> np.ndarray:
    """A plucked harmonic tone [shape=(n,)]: partials h*f0 with amplitude 0.6**(h-1), 5 ms attack."""
    n = int(round(duration * sr))
    t = np.arange(n) / sr
    f0 = 440.0 * 2.0 ** ((midi - 69 + tuning_cents / 100.0) / 12.0)
    out = np.zeros(n)
    for h in range(1, harmonics + 1):
        if h * f0 < sr / 2:
            out += 0.6 ** (h - 1) * np.sin(2 * np.pi * h * f0 * t)
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-decay * t)
    tone: np.ndarray = (amplitude * out * envelope).astype(np.float32)
    return tone


CHORD_INTERVALS = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10)}
ROOTS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11}


def parse(label: str) -> tuple[int, str]:
    root = label[:2] if len(label) > 1 and label[1] in "#b" else label[:1]
    return ROOTS[root], label[len(root) :]


def progression(
    labels: list[str],
    *,
    bpm: float = 120.0,
    beats_per_chord: int = 4,
    repeats: int = 2,
    sr: int = SR,
    tuning_cents: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chords struck on every beat (voiced around middle C) over a bass root on every downbeat.

    Returns (audio [shape=(n,)], beat_times, downbeat_times), one chord per bar.
    """
    beat = 60.0 / bpm
    sequence = labels * repeats
    n = int(round(len(sequence) * beats_per_chord * beat * sr)) + sr
    y = np.zeros(n, dtype=np.float32)
    beats, downbeats = [], []
    for bar, label in enumerate(sequence):
        root, quality = parse(label)
        pitches = [60 + ((root + i) % 12) for i in CHORD_INTERVALS[quality]]
        for k in range(beats_per_chord):
            start = (bar * beats_per_chord + k) * beat
            beats.append(start)
            i = int(round(start * sr))
            for p in pitches:
                tone = note(p, beat, sr=sr, tuning_cents=tuning_cents, amplitude=0.12)
                y[i : i + len(tone)] += tone[: n - i]
            if k == 0:
                downbeats.append(start)
                bass = note(
                    36 + root, beat * beats_per_chord, sr=sr, tuning_cents=tuning_cents, amplitude=0.3, decay=0.8
                )
                y[i : i + len(bass)] += bass[: n - i]
    return y, np.array(beats), np.array(downbeats)


def clicks(bpm: float, duration: float, *, beats_per_bar: int = 4, sr: int = SR) -> np.ndarray:
    """A click track [shape=(n,)] with accented (louder, lower) downbeats."""
    n = int(duration * sr)
    y = np.zeros(n, dtype=np.float32)
    rng = np.random.default_rng(0)
    for k, start in enumerate(np.arange(0.0, duration, 60.0 / bpm)):
        i = int(start * sr)
        length = min(int(0.03 * sr), n - i)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (0.005 * sr))
        accent = 0.9 if k % beats_per_bar == 0 else 0.4
        y[i : i + length] += (accent * burst).astype(np.float32)
    return y


def drum_kit(seconds: float = 16.0, bpm: float = 110.0, *, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A drum loop alone [shape=(n,)]: a pitch-swept kick and a noisy snare with a 190 Hz body alternating on the
    beats, a hi-hat on every eighth, a tom fill (modes at 1, 1.59 and 2.14 of 110, 82 and 65 Hz) every 16 beats."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * sr))
    beat = 60.0 / bpm
    t = np.arange(int(0.5 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 2 * (1 - np.exp(-t * 30)))) * np.exp(-t * 8)
    snare = 0.5 * rng.standard_normal(t.size) * np.exp(-t * 18) + 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t * 25)
    hat = np.diff(rng.standard_normal(int(0.08 * sr)), prepend=0.0) * np.exp(-np.arange(int(0.08 * sr)) / sr * 60) * 0.2

    def tom(f0: float) -> np.ndarray:
        return sum(a * np.sin(2 * np.pi * f0 * r * t) for r, a in ((1, 0.6), (1.59, 0.3), (2.14, 0.2))) * np.exp(-t * 7)

    def hit(at: float, sound: np.ndarray) -> None:
        i = int(at * sr)
        n = min(sound.size, out.size - i)
        if n > 0:
            out[i : i + n] += sound[:n]

    for b in range(int(seconds / beat)):
        at = b * beat
        hit(at, kick if b % 2 == 0 else snare)
        hit(at, hat)
        hit(at + beat / 2, hat)
        if b % 16 == 14:
            hit(at + beat / 2, tom(110.0))
        if b % 16 == 15:
            hit(at, tom(82.0))
            hit(at + beat / 2, tom(65.0))
    groove: np.ndarray = (0.5 * out / np.abs(out).max()).astype(np.float32)
    return groove
