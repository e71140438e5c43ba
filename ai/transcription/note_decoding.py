"""Notes from basic-pitch's posteriorgrams, read off the onset peaks, with a harmonics check.

basic-pitch's own note creation (``note_creation.output_to_notes_polyphonic``) keeps an onset only
where the note posteriorgram then stays over the frame threshold for the minimum length, and adds
notes without onsets where the note posteriorgram alone is high (its "melodia trick"). On piano
chorales (bench/transcription.py's tuning chorales, through FluidR3) the engine's settings of it
missed mostly onsets the model saw clearly (onset peak ~0.8) whose note posterior then stayed under
0.5, half of them an octave from a note found at the same onset; its false notes were mostly
octaves too. So:

1. a note starts at every peak in time of the onset posteriorgram at or over ``onset_threshold``
   whose note posterior averages ``support_threshold`` over the next :data:`SUPPORT_FRAMES` frames
   (the note sounds, however softly), and that stands ``minimum_dip`` over the onset posterior's
   lowest value in the :data:`DIP_FRAMES` frames before it (a ripple on a held note's onset decay
   is no new attack);
2. of peaks at one pitch within :data:`REPEAT_FRAMES` of each other, the strongest (one attack,
   two peaks);
3. harmonics check, for notes that start together (within :data:`OCTAVE_FRAMES`): a note is the
   second harmonic of a note an octave below when its support is under ``upper_octave_ratio`` times
   that note's, the third or fourth (a twelfth or two octaves up) under ``harmonic_ratio`` times;
   the lower note of an octave is a subharmonic reading of the upper one when its support is under
   ``lower_octave_ratio`` times the upper one's. A real octave keeps both: its upper note sounds on
   its own. (The ratios were chosen on tuning chorales and band stems; bench/README.md.)
4. a note lasts until its note posterior stays under ``frame_threshold`` for :data:`GAP_FRAMES`
   frames (basic-pitch's energy tolerance) or the next note at its pitch starts.

Pure numpy on arrays [shape=(frames, 88)], piano keys from MIDI 21; frame indices out, as basic-pitch's
decoder gives them (so its pitch bends and frame times apply unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

LOWEST_MIDI = 21  # the posteriorgrams' first column: A0
OCTAVE = 12
SUPPORT_FRAMES = 3
"""Frames after an onset whose note posterior is averaged (35 ms at 86 frames/s)."""
REPEAT_FRAMES = 4
"""Onset peaks at one pitch within this many frames (46 ms) of a stronger one are its attack."""
OCTAVE_FRAMES = 2
"""Notes an octave apart starting within this many frames (23 ms) start together."""
DIP_FRAMES = 5
"""An onset peak must stand ``minimum_dip`` over the lowest onset posterior of this many frames (58 ms)
before it: the ripples on the decay of a strong onset (a bass note's, held) are no new attack."""
HARMONIC_INTERVALS = (OCTAVE, OCTAVE + 7, 2 * OCTAVE)
"""Upper notes checked against a note starting together below them: the 2nd, 3rd and 4th harmonics."""
GAP_FRAMES = 11
"""A note ends after this many frames under the frame threshold (basic-pitch's ``energy_tol``)."""
LOOK_BEHIND = DIP_FRAMES + REPEAT_FRAMES + OCTAVE_FRAMES
"""How many frames before a frame decide whether a note starts there: the onset dip's, widened by the
repeat check's and then the harmonics check's windows (each looks at the step before it around it)."""
LOOK_AHEAD = SUPPORT_FRAMES + REPEAT_FRAMES + OCTAVE_FRAMES
"""How many frames after it: the onset support's, widened the same way."""


@dataclass(frozen=True)
class PeakDecoding:
    """Settings of :func:`decode_notes` (defaults: the engine's, chosen by bench/transcription.py's tuning)."""

    onset_threshold: float = 0.6
    support_threshold: float = 0.4
    frame_threshold: float = 0.3
    minimum_note_frames: int = 1
    lower_octave_ratio: float = 0.8
    upper_octave_ratio: float = 0.6
    harmonic_ratio: float = 0.5
    minimum_dip: float = 0.15
    lowest_key: int = 0
    highest_key: int = 87


def onset_peaks(onset: np.ndarray) -> np.ndarray:
    """Where each pitch's onset posterior peaks in time [shape=(frames, keys), bool]: over the frame
    before, at least the frame after (a plateau peaks at its first frame)."""
    before = np.zeros_like(onset)
    before[1:] = onset[:-1]
    after = np.zeros_like(onset)
    after[:-1] = onset[1:]
    peaks: np.ndarray = (onset > before) & (onset >= after)
    return peaks


def onset_dip(onset: np.ndarray, frames: int) -> np.ndarray:
    """How far each frame's onset posterior stands over its lowest value in the ``frames`` frames
    before it [shape=(frames, keys)] (before the signal: 0)."""
    lowest = minimum_filter1d(onset, frames, axis=0, mode="constant", cval=0.0)  # centred windows
    shift = frames - frames // 2  # lowest[t - shift] covers onset[t - frames : t]
    before = np.zeros_like(onset)
    before[shift:] = lowest[: onset.shape[0] - shift]
    dip: np.ndarray = onset - before
    return dip


def window_mean(note: np.ndarray, offset: int, frames: int, total_before: np.ndarray | None = None) -> np.ndarray:
    """Mean note posterior over ``note[t + offset : t + offset + frames]`` for each frame t
    [shape=(frames, keys)], the frames outside the signal counted as 0.

    ``total_before`` [shape=(keys,), float64]: the running sum of the frames before ``note[0]`` when
    ``note`` is a stretch of a longer output; the sums then go on from it in the same order, so the
    means are the same bits as over the whole output (frames outside the stretch still count as 0)."""
    pad = frames + abs(offset)
    n = note.shape[0]
    total = np.zeros((n + 2 * pad + 1, note.shape[1]), dtype=np.float64)
    if total_before is not None:
        total[: pad + 1] = total_before
    total[pad + 1 : pad + 1 + n] = note
    np.cumsum(total[pad : pad + 1 + n], axis=0, out=total[pad : pad + 1 + n])
    total[pad + 1 + n :] = total[pad + n]
    first = np.arange(note.shape[0]) + offset + pad
    mean: np.ndarray = (total[first + frames] - total[first]) / frames
    return mean


def onset_support(note: np.ndarray, total_before: np.ndarray | None = None) -> np.ndarray:
    """Mean note posterior over the SUPPORT_FRAMES frames after each frame [shape=(frames, keys)]
    (``total_before``: as :func:`window_mean`'s)."""
    return window_mean(note, 1, SUPPORT_FRAMES, total_before)


def harmonics_check(accepted: np.ndarray, support: np.ndarray, options: PeakDecoding) -> np.ndarray:
    """The accepted onsets [shape=(frames, keys), bool] less those that read an octave partner's
    sound (module docstring, step 3); both rules look at the onsets as accepted before either."""
    held = maximum_filter1d(np.where(accepted, support, 0.0), 2 * OCTAVE_FRAMES + 1, axis=0)
    above = np.zeros_like(held)  # the best support of an onset an octave up, starting together
    above[:, :-OCTAVE] = held[:, OCTAVE:]
    subharmonic = (above > 0) & (support < options.lower_octave_ratio * above)
    harmonic = np.zeros_like(accepted)
    for interval in HARMONIC_INTERVALS:
        below = np.zeros_like(held)  # the best support of an onset this far down, starting together
        below[:, interval:] = held[:, :-interval]
        ratio = options.upper_octave_ratio if interval == OCTAVE else options.harmonic_ratio
        harmonic |= (below > 0) & (support < ratio * below)
    kept: np.ndarray = accepted & ~subharmonic & ~harmonic
    return kept


def note_starts(
    onset: np.ndarray, note: np.ndarray, options: PeakDecoding, total_before: np.ndarray | None = None
) -> np.ndarray:
    """Where notes start [shape=(frames, keys), bool] (module docstring, steps 1-3, and the key range),
    the last frame of the output included (:func:`decode_notes` drops it).

    Each frame's answer reads the frames from LOOK_BEHIND before it to LOOK_AHEAD after it, so on a
    stretch of a longer output the frames that far from both ends of the stretch are answered as over
    the whole output, given ``total_before`` (:func:`window_mean`)."""
    support = onset_support(note, total_before)
    accepted = onset_peaks(onset) & (onset >= options.onset_threshold) & (support >= options.support_threshold)
    accepted &= onset_dip(onset, DIP_FRAMES) >= options.minimum_dip
    strength = np.where(accepted, onset, 0.0)
    accepted &= strength >= maximum_filter1d(strength, 2 * REPEAT_FRAMES + 1, axis=0)
    accepted = harmonics_check(accepted, support, options)
    # The key range picks what is reported, after the harmonics check: a note just outside it still
    # explains its octave partner's harmonic.
    accepted[:, : options.lowest_key] = False
    accepted[:, options.highest_key + 1 :] = False
    return accepted


def note_end(column: np.ndarray, start: int, stop: int, threshold: float) -> int:
    """One past the last frame of a note that starts at ``start`` (before ``stop``): the last frame at
    or over ``threshold`` before GAP_FRAMES frames under it; ``start + 1`` at least."""
    held = np.flatnonzero(column[start + 1 : stop] >= threshold) + start + 1
    held = np.concatenate(([start], held))
    breaks = np.flatnonzero(np.diff(held) > GAP_FRAMES)
    last = held[breaks[0]] if breaks.size else held[-1]
    return int(last) + 1


def settled_end(column: np.ndarray, start: int, known: int, threshold: float) -> int | None:
    """:func:`note_end` of a note whose next note at its pitch (its ``stop``) starts at ``known`` or
    later, from ``column[:known]`` alone: found once GAP_FRAMES frames under ``threshold`` have come,
    None while the frames still to come could hold the note on."""
    held = np.flatnonzero(column[start + 1 : known] >= threshold) + start + 1
    held = np.concatenate(([start], held))
    breaks = np.flatnonzero(np.diff(held) > GAP_FRAMES)
    if breaks.size:
        return int(held[breaks[0]]) + 1
    if known - held[-1] > GAP_FRAMES:  # the next held frame, if any, is a break away
        return int(held[-1]) + 1
    return None


def decode_notes(
    onset: np.ndarray, note: np.ndarray, options: PeakDecoding = PeakDecoding()
) -> list[tuple[int, int, int, float]]:
    """Notes of basic-pitch's onset and note posteriorgrams [shape=(frames, 88)], as
    ``(start_frame, end_frame, midi_pitch, amplitude)`` (end exclusive; amplitude: the mean note
    posterior over the note), sorted by start then pitch. (:class:`ai.transcription.note_stream.NoteStream`
    gives the same notes from the output a stretch at a time.)"""
    n_frames = onset.shape[0]
    if n_frames < 2:
        return []
    accepted = note_starts(onset, note, options)
    accepted[-1] = False  # nothing can follow the last frame

    notes = []
    for key in np.flatnonzero(accepted.any(axis=0)):
        starts = np.flatnonzero(accepted[:, key])
        stops = np.append(starts[1:], n_frames - 1)
        for start, stop in zip(starts, stops, strict=True):
            end = min(note_end(note[:, key], int(start), int(stop), options.frame_threshold), n_frames - 1)
            if end - start < options.minimum_note_frames:
                continue
            amplitude = float(np.mean(note[start:end, key]))
            notes.append((int(start), end, int(key) + LOWEST_MIDI, amplitude))
    notes.sort(key=lambda n: (n[0], n[2]))
    return notes
