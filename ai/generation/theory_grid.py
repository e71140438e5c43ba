"""The bar grid of the music-theory backend (:mod:`ai.generation.theory`) and the small helpers its
bass and melody generators share: the 16th-note grid of a request's meter (:class:`_Grid`,
:func:`_grid_for`), scale pitches in a range, octave folding, the seeded softmax and weighted
choices, the chord tones that may sound, the nearest allowed pitch and the start of a primer's
last bar. Every random choice takes the caller's ``np.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.base import GenerationRequest
from ai.generation.feel import pulse_groups
from ai.music_theory import Chord, Key, snap_to_scale
from utils.errors import InvalidParameter

# --- the bar grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """A 16th-note grid: ``bars`` bars of ``pulses`` starting at ``offset`` seconds."""

    pulses: tuple[int, ...]
    step_seconds: float
    offset: float
    bars: int

    @property
    def steps_per_bar(self) -> int:
        return int(sum(self.pulses))

    @property
    def pulse_starts(self) -> tuple[int, ...]:
        return tuple(int(s) for s in np.cumsum((0, *self.pulses[:-1])))

    def time(self, bar: int, step: float) -> float:
        return self.offset + (bar * self.steps_per_bar + step) * self.step_seconds

    def pulse_of(self, step: int) -> int:
        starts = self.pulse_starts
        return max(i for i, s in enumerate(starts) if s <= step)


def _grid_for(request: GenerationRequest) -> _Grid:
    try:
        pulses = pulse_groups(request.beats_per_bar, request.beat_unit)
    except ValueError as exc:
        raise InvalidParameter("time_signature", str(exc)) from exc
    return _Grid(pulses, 60.0 / request.tempo / 4.0, request.primer_seconds, request.bars)


def _scale_pitches(pitch_classes: frozenset[int], low: int, high: int) -> list[int]:
    return [p for p in range(low, high + 1) if p % 12 in pitch_classes]


def _softmax_choice(rng: np.random.Generator, scores: np.ndarray, temperature: float) -> int:
    z = scores / max(temperature, 0.05)
    z = z - np.max(z)
    p = np.exp(z)
    return int(rng.choice(len(scores), p=p / p.sum()))


def _weighted_choice(rng: np.random.Generator, options: dict[str, float], temperature: float) -> str:
    names = [k for k, w in options.items() if w > 0]
    weights = np.array([options[k] for k in names]) ** (1.0 / max(temperature, 0.1))
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _stable_pcs(chord: Chord, key: Key, chromatic: bool) -> list[int]:
    """The chord's pitch classes that may be played (all of them, or those in the scale)."""
    pcs = [pc for pc in chord.pitch_classes if chromatic or pc in key.pitch_classes]
    if pcs:
        return pcs
    return [snap_to_scale(60 + chord.root, key.pitch_classes) % 12]


def _nearest_in(pitches: Sequence[int], target: float) -> int:
    return min(pitches, key=lambda p: (abs(p - target), p))


def _last_bar_start(primer_seconds: float, bar_seconds: float) -> float:
    """Start of the primer's last complete bar on its own grid (0 when it is shorter than a bar)."""
    full = int(primer_seconds / bar_seconds + 1e-6)
    return (full - 1) * bar_seconds if full >= 1 else 0.0
