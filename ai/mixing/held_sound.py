"""Whether a track holds one sound: a drone, a held chord, steady noise, whose level never moves.

Such a track's long-term measures describe its one sound, not how it was mixed: its crest factor is its
waveform's (three steady sines read 7 dB, as a mix squashed flat does), and the peaks of its spectrum are its
notes, not a resonance of the instrument or the room (which only shows as the same peak under changing
notes). A drone pad sent alone read "over-compressed" on the mix bus and "a narrow resonance at 231 Hz" on
itself and the bus (session 37). :func:`band_movement` measures the movement on the frame-wise band powers the
analysis has already (``ai.mixing.measure.TrackSpectra.fine_power``); :func:`holds_one_sound` reads it.
"""

from __future__ import annotations

import numpy as np

MOVEMENT_RANGE_DB = 30.0
"""Frames more than this below the loudest (rests, tails) are left out of the band movement."""
MOVEMENT_BAND_RANGE_DB = 60.0
"""A band more than this below its frame's total counts as this far below it (an empty band's level is noise)."""
HELD_MOVEMENT_DB = 1.0
"""Band movement under which a track holds one sound. Three steady sines read 0.0, three sawtooth waves 0.0,
steady white noise 0.6, a held chord with vibrato and a slow swell 0.3; the bench songs' summed stems (data/mixing
song00, song03, song09) read 4.0-5.3 dB and, driven 24 dB into a tanh limiter, 3.0-4.1; a string stem 3.1 and a
real mix (the Beatles' Because) 2.4 (session 38)."""


def band_movement(*, fine_power: np.ndarray) -> float | None:
    """How far a track's band levels move from one STFT frame to the next (dB).

    Args:
        fine_power: np.ndarray [shape=(n_bands, n_frames)]: mean-square power per fine band and frame
            (``ai.mixing.measure.TrackSpectra.fine_power``).

    Per pair of consecutive frames within MOVEMENT_RANGE_DB of the loudest, the mean over the bands of the
    absolute change of the band's level, weighted by the band's share of the two frames' power; the median
    over the pairs. A held chord or drone reads about 0 (a waveform's phase leaves a power spectrum as it is),
    steady noise under 1, a song's mix 2-5 dB however hard it is limited (its kick, snare and chords still
    move the bands). None with fewer than two loud frames.
    """
    power = np.asarray(fine_power, dtype=np.float64)
    if power.ndim != 2 or power.shape[1] < 2:
        return None
    total = power.sum(axis=0)
    if float(total.max()) <= 0:
        return None
    loud = power[:, total > total.max() * 10 ** (-MOVEMENT_RANGE_DB / 10)]
    if loud.shape[1] < 2:
        return None
    frame_total = loud.sum(axis=0)
    level = 10 * np.log10(np.maximum(loud, frame_total * 10 ** (-MOVEMENT_BAND_RANGE_DB / 10)))
    share = loud / frame_total
    weight = 0.5 * (share[:, 1:] + share[:, :-1])
    moved = (np.abs(np.diff(level, axis=1)) * weight).sum(axis=0)
    return float(np.median(moved))


def holds_one_sound(*, fine_power: np.ndarray) -> bool:
    """True when the bands' levels of ``fine_power`` (np.ndarray [shape=(n_bands, n_frames)]) barely move from frame
    to frame (:func:`band_movement` under HELD_MOVEMENT_DB); False when they move or cannot be measured."""
    movement = band_movement(fine_power=fine_power)
    return movement is not None and movement < HELD_MOVEMENT_DB
