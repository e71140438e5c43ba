"""A Magenta model's line made a bass line: moved by octaves into E1..G3 (its middle near E2), and
every bar started on its chord's bass note.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.generation.base import GenerationRequest, Note
from ai.music_theory import fold_into_range

BASS_RANGE = (28, 55)  # E1 .. G3
BASS_CENTRE = 40  # E2: where the middle of a bass line is placed before folding


def _anchor_downbeats(notes: Sequence[Note], request: GenerationRequest, *, offset: float) -> list[Note]:
    """Every bar of a bass line starts on its chord's bass note (the slash note, else the root), as a
    bass player meets a chord change; a bar that changes chord at its middle (``request.half_bar_chords``) meets
    its second chord's there the same way. The model's lowest note on beat 1 moves to that note's octave
    nearest it (the model alone played G under G/B in 4 of 6 seeds, and F under C); where
    the model left beat 1 empty (a bar in six of funk and latin lines, against under 6 % in MMA's
    human-written ones of every style: bench/groove_quality.py), the note is played there, in the octave
    nearest the line's next note, until the next onset (a beat at most); a note held over the bar line
    is cut. The chord's bass note is played whether the key has it or not (a borrowed Bb, C/Bb, D/F# in C)."""
    out = sorted(notes, key=lambda n: n.start)
    if not out:
        return out
    added = []
    changes = [(bar, 0.0, request.chord_at_bar(bar)) for bar in range(request.bars)]
    changes += [
        (bar, request.change_beat * request.seconds_per_beat, second)
        for bar in range(request.bars)
        if (second := request.half_bar_chord(bar)) is not None
    ]
    for bar, at, chord in sorted(changes, key=lambda change: (change[0], change[1])):
        start = offset + bar * request.bar_seconds + at
        pitch_class = chord.bass_pitch_class  # in the key or not: Bb under C/Bb
        on_one = [i for i, n in enumerate(out) if abs(n.start - start) < 1e-3]
        if on_one:
            lowest = min(on_one, key=lambda i: out[i].pitch)
            note = out[lowest]
            pitch = _nearest_octave(pitch_class, note.pitch)
            out[lowest] = Note(pitch, note.start, note.end, note.velocity)
            out = [n for i, n in enumerate(out) if i == lowest or i not in on_one or n.pitch != pitch]
            continue
        later = [n for n in out if n.start > start]
        earlier = [n for n in out if n.start < start]
        reference = later[0].pitch if later else earlier[-1].pitch
        pitch = _nearest_octave(pitch_class, reference)
        end = min(start + request.seconds_per_beat, later[0].start if later else start + request.seconds_per_beat)
        added.append(Note(pitch, start, end, later[0].velocity if later else earlier[-1].velocity))
        out = [Note(n.pitch, n.start, start, n.velocity) if n.start < start < n.end else n for n in out]
    return sorted(out + added, key=lambda n: (n.start, n.pitch))


def _nearest_octave(pitch_class: int, reference: int) -> int:
    """The pitch of ``pitch_class`` in E1..G3 nearest ``reference`` (the lower of two as near)."""
    return min(range(BASS_RANGE[0], BASS_RANGE[1] + 1), key=lambda p: (p % 12 != pitch_class, abs(p - reference), p))


def _place_bass(pitches: Sequence[int]) -> list[int]:
    """Move a line by whole octaves so that its median sits nearest E2, then fold the notes that
    still fall outside E1..G3 by octaves."""
    median = float(np.median(pitches))
    octaves = round((BASS_CENTRE - median) / 12.0)
    return [fold_into_range(p + 12 * octaves, *BASS_RANGE) for p in pitches]
