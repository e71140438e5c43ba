"""The time before a recording's first beat, as a MIDI file that follows its beats writes it.

A file imported at 0 s must spend that time in ticks at some tempo. Beats of the first interval go back
from the first beat towards 0 s (a remainder under LEAD_IN_MERGE of a beat joins the earliest of them: a
slower tempo rather than a very fast one). A first beat closer to 0 s than MIN_LEAD_IN_S per quarter gets a
16th of its own before it instead (:func:`lead_in_sixteenth`: a beat there would be a tempo DAWs clamp; the
first beat used to be moved to 0 s, 16-23 ms early on a chorale); one sooner than a 16th at 1000 BPM (15 ms) starts
the grid itself. Those beats (or that 16th), with the detected ones before the first downbeat, make a lead-in
measure of its own meter (1/4 for a one-beat pickup, 5/16 for a 16th and a beat), so the first downbeat
opens a bar. The accompaniment's grid
(ai.generation.accompaniment) and the transcription's tempo map (ai.transcription.tempo_map) both use it.
"""

from __future__ import annotations

import numpy as np

LEAD_IN_MERGE = 0.25
"""A remainder before the first beat shorter than this share of a beat joins the earliest lead-in beat."""
MIN_LEAD_IN_S = 0.06
"""A quarter note at 1000 BPM. A lead-in beat shorter than this (per quarter) would be a tempo that DAWs
clamp (Ableton at 999 BPM), which moves the whole file late."""


SIXTEENTH_QUARTERS = 0.25
"""A lead-in shorter than a beat is a 16th, a meter's unit (x/16) DAWs commonly take, where a 32nd's is not."""


def lead_in_sixteenth(first_beat: float, quarters_per_beat: float) -> bool:
    """Whether the time before a first beat at ``first_beat`` s is a 16th of its own: too short for a lead-in
    beat (under MIN_LEAD_IN_S per quarter) and long enough for a 16th under 1000 BPM (MIN_LEAD_IN_S / 4)."""
    return MIN_LEAD_IN_S * SIXTEENTH_QUARTERS <= first_beat < MIN_LEAD_IN_S * quarters_per_beat


def lead_in(beats: np.ndarray, first_interval: float, quarters_per_beat: float) -> tuple[list[float], np.ndarray]:
    """(the lead-in beats' times from 0 s, the detected ``beats``): ``[0.0, ...]`` before the first beat; ``[]``
    where it comes sooner than MIN_LEAD_IN_S per quarter: the time before it is a 16th of its own
    (:func:`lead_in_sixteenth`), or, sooner than a 16th at 1000 BPM, the first beat is moved to 0 s."""
    shortest = MIN_LEAD_IN_S * quarters_per_beat
    if lead_in_sixteenth(float(beats[0]), quarters_per_beat):
        return [], beats
    if beats[0] < shortest:
        moved = beats.copy()
        moved[0] = 0.0
        return [], moved
    whole, rest = divmod(float(beats[0]) / first_interval, 1.0)
    long_rest = rest >= LEAD_IN_MERGE and rest * first_interval >= shortest
    slots = int(whole) + 1 if long_rest or whole == 0 else int(whole)
    return [0.0] + [float(beats[0]) - k * first_interval for k in range(slots - 1, 0, -1)], beats


def lead_in_meter(beats: int, denominator: int, *, compound: bool, sixteenth: bool = False) -> tuple[int, int]:
    """(numerator, denominator) of a lead-in measure of ``beats`` counted beats: eighths in a compound
    meter (a dotted-quarter beat is 3/8), else the meter's own unit; in 16ths after a lead-in 16th
    (``sixteenth``: 1/16, a 16th and a quarter 5/16)."""
    if sixteenth:
        per_beat = 6 if compound else 16 // denominator
        return 1 + beats * per_beat, 16
    return (3 * beats, 8) if compound else (beats, denominator)
