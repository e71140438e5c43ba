"""Extra percussion lines (no class) laid over a training session's drums.

A false hat is most often a maraca, claves or a triangle (session 14's test: 519 false hats at
sf_GMbank's maracas), and the grooves play such percussion rarely. These lines play shakers,
tambourine, claves, wood blocks, triangles, agogos, guiros, cowbell, clap or rim click on the
groove's own grid, alone or beside its hats; they have no class, so they teach what a hat is not
without touching the labels.
"""

from __future__ import annotations

import numpy as np

Note = tuple[int, float, float, int]  # pitch, start, end, velocity (as training.drum_transcription)

PERCUSSION = {69: 0.1, 70: 0.1, 82: 0.1, 54: 0.12, 75: 0.1, 76: 0.05, 77: 0.05, 80: 0.05, 81: 0.05}
PERCUSSION |= {67: 0.025, 68: 0.025, 73: 0.025, 74: 0.025, 56: 0.08, 39: 0.05, 37: 0.05}
"""GM note -> chance of a line playing it: the hat-like shakers, tambourine, claves and triangles most."""
STEP_S = (0.08, 0.5)
"""The shortest and longest grid step a line may play on."""


def groove_step(onsets: np.ndarray, rng: np.random.Generator) -> float:
    """The clip's grid step: the 20th percentile of the gaps between its drum onsets (over 40 ms), or a
    random one where the clip has too few notes."""
    gaps = np.diff(np.sort(onsets))
    gaps = gaps[gaps > 0.04]
    step = float(np.percentile(gaps, 20)) if gaps.size >= 4 else float(rng.uniform(0.1, 0.3))
    return float(np.clip(step, *STEP_S))


def percussion_lines(
    drums: list[Note], clips: list[tuple[float, float]], rng: np.random.Generator, share: float
) -> list[Note]:
    """For a ``share`` of the ``clips`` ((start, end) s), one or two percussion lines: a note from
    :data:`PERCUSSION` every 1, 2 or 4 grid steps from a random offset, some steps left out, with
    random accents and a little timing jitter."""
    keys = np.asarray(list(PERCUSSION))
    chances = np.asarray(list(PERCUSSION.values()))
    out: list[Note] = []
    for start, end in clips:
        if rng.random() >= share:
            continue
        onsets = np.asarray([note[1] for note in drums if start <= note[1] < end])
        step = groove_step(onsets, rng)
        first = float(onsets.min()) if onsets.size else start
        for _ in range(int(rng.integers(1, 3))):
            pitch = int(rng.choice(keys, p=chances / chances.sum()))
            every = int(rng.choice([1, 2, 2, 4]))
            density, loud = float(rng.uniform(0.5, 1.0)), float(rng.uniform(60, 120))
            t = first + int(rng.integers(every)) * step
            while t < end:
                if rng.random() < density:
                    at = max(start, t + float(rng.normal(0.0, 0.005)))
                    velocity = int(np.clip(loud * rng.uniform(0.6, 1.0), 20, 127))
                    out.append((pitch, at, at + 0.1, velocity))
                t += every * step
    return out
