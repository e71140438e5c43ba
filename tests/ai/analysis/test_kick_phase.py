"""A grid half a beat off a four-on-the-floor kick moves onto it; a grid on the kick, a kick on some beats only and
a short grid keep their phase."""

from __future__ import annotations

import numpy as np

from ai.analysis.rhythm.kick_phase import MIN_BEATS, half_beat_later, kick_like, kicks_between_beats

PERIOD = 20.0  # frames a beat


def kick_envelope(beats: int, *, every: int = 1, offset: float = 0.0) -> np.ndarray:
    """A low-band onset envelope with a kick on every ``every``-th beat, ``offset`` frames late, and noise."""
    rng = np.random.default_rng(0)
    env = 0.05 * rng.random(int(PERIOD * (beats + 2)))
    for beat in range(0, beats, every):
        env[int(round(PERIOD * beat + offset))] += 1.0
    return env


def test_beats_between_the_kicks_are_half_a_beat_off() -> None:
    env = kick_envelope(32)
    off = np.arange(32) * PERIOD + PERIOD / 2  # the grid on the off-beats
    assert kicks_between_beats(env, off[:-1])
    moved = half_beat_later(off[:-1])
    assert np.allclose(moved[:-1], np.arange(1, 31) * PERIOD)
    assert not kicks_between_beats(env, moved)


def test_a_grid_on_the_kick_or_a_kick_on_some_beats_keeps_its_phase() -> None:
    on = np.arange(32) * PERIOD
    assert not kicks_between_beats(kick_envelope(32), on)
    # a kick on one and three read on a grid of half notes' midpoints: half the midpoints only
    assert not kicks_between_beats(kick_envelope(32, every=2), on + PERIOD / 2)
    assert not kicks_between_beats(kick_envelope(32), (np.arange(MIN_BEATS - 1) * PERIOD + PERIOD / 2))


def test_a_kick_rises_in_the_low_bands_a_hat_up_high() -> None:
    """Noise hats reach the low band too (the share test alone moved beats onto them): only a low-heavy onset is a
    kick."""
    frames, bands = 400, 64
    kick, hat = np.full((bands, frames), 1e-3), np.full((bands, frames), 1e-3)
    hits = np.arange(10, 390, 20)
    for f in hits:
        kick[:8, f : f + 6] = 1.0  # the lowest eighth of the bands
        kick[8:, f : f + 2] = 0.02
        hat[32:, f : f + 2] = 1.0  # the upper half
        hat[:32, f : f + 2] = 0.05
    assert kick_like(kick, hits.astype(np.float64))
    assert not kick_like(hat, hits.astype(np.float64))
