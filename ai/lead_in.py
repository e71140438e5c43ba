"""The time before a recording's first beat, as a MIDI file that follows its beats writes it.

A file imported at 0 s must spend that time in ticks at some tempo, and every tempo it writes stays within
MIN_BPM..MAX_BPM, which DAWs keep as written (Cubase clamps at 300 BPM, FL Studio at 522, Logic and Ableton at 999:
a clamped lead-in moves the whole file late). Beats of the first interval go back from the first beat towards 0 s
(a remainder under LEAD_IN_MERGE of a beat, or under a beat at MAX_BPM, joins the earliest of them: a slower tempo
rather than a too fast one). A first beat closer to 0 s than a quarter at MAX_BPM (MIN_LEAD_IN_S) per beat's quarter
gets a 16th of its own before it instead (:func:`lead_in_sixteenth`, 75-300 BPM). One sooner than a 16th at MAX_BPM
(SNAP_S, 50 ms) has no room for any lead-in a DAW keeps: a 16th there is over 300 BPM, a shorter note value a meter
(x/32, x/64) DAWs do not all take. It starts the grid (:func:`snapped_beats`): the file's first beat line is at 0 s,
at most 50 ms before the beat it stands for; the notes and every later beat keep their times. Those beats (or that
16th), with the detected ones before the first downbeat, make a lead-in measure of its own meter (1/4 for a
one-beat pickup, 5/16 for a 16th and a beat), so the first downbeat opens a bar. The accompaniment's grid
(ai.generation.accompaniment) and the transcription's tempo map (ai.transcription.tempo_map) both use it.
"""

from __future__ import annotations

import numpy as np

LEAD_IN_MERGE = 0.25
"""A remainder before the first beat shorter than this share of a beat joins the earliest lead-in beat."""
MIN_BPM, MAX_BPM = 20.0, 300.0
"""The tempos a lead-in may be written at: every DAW keeps them (Cubase clamps above 300 BPM)."""
MIN_LEAD_IN_S = 60.0 / MAX_BPM
"""A quarter note at MAX_BPM: a lead-in beat shorter than this (per quarter) would be a tempo DAWs clamp. Until
session 36 a quarter at 1000 BPM (60 ms): lead-in beats of 60-200 ms were written at 300-1000 BPM."""


SIXTEENTH_QUARTERS = 0.25
"""A lead-in shorter than a beat is a 16th, a meter's unit (x/16) DAWs commonly take, where a 32nd's is not."""


SNAP_S = MIN_LEAD_IN_S * SIXTEENTH_QUARTERS
"""A 16th at MAX_BPM (50 ms): a first beat sooner than this after 0 s starts the grid (:func:`snapped_beats`)."""


def lead_in_sixteenth(first_beat: float, quarters_per_beat: float) -> bool:
    """Whether the time before a first beat at ``first_beat`` s is a 16th of its own: too short for a lead-in
    beat (under MIN_LEAD_IN_S per quarter) and long enough for a 16th at MAX_BPM (SNAP_S)."""
    return SNAP_S <= first_beat < MIN_LEAD_IN_S * quarters_per_beat


def snapped_beats(beats: list[float]) -> list[float]:
    """Beat times (s, increasing) as the file's grid places them: a first beat under SNAP_S moved to 0 s (what
    :func:`lead_in` does), so that an answer's beat times are the file's."""
    return [0.0, *beats[1:]] if beats and 0.0 < beats[0] < SNAP_S else list(beats)


def lead_in(beats: np.ndarray, first_interval: float, quarters_per_beat: float) -> tuple[list[float], np.ndarray]:
    """(the lead-in beats' times from 0 s, the detected ``beats``): ``[0.0, ...]`` before the first beat; ``[]``
    where it comes sooner than MIN_LEAD_IN_S per quarter: the time before it is a 16th of its own
    (:func:`lead_in_sixteenth`), or, sooner than SNAP_S, the first beat is moved to 0 s."""
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
