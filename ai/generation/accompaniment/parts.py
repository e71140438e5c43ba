"""The parts on the grid: generated notes moved onto the recording's beats, and the pad's chords."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.accompaniment.grid import PPQ, BeatGrid
from ai.generation.base import Note
from ai.generation.drum_styles import style_meter_note
from ai.music_theory import Chord

PAD_LOW = 55
"""The pad voices each chord tone in the octave from G3 (a close voicing under a vocal's range), then opens any
semitone between neighbouring voices (:func:`pad_voicing`)."""
PAD_VELOCITY = 56


@dataclass(frozen=True)
class PlacedNote:
    """A note on the recording's grid: MIDI ticks and seconds."""

    pitch: int
    start_tick: int
    end_tick: int
    start: float
    end: float
    velocity: int


def place_notes(
    notes: Sequence[Note], grid: BeatGrid, *, tempo: float, offset_quarters: float = 0.0
) -> list[PlacedNote]:
    """Notes of a clip generated at ``tempo`` (quarter notes per minute, starting at the first downbeat)
    moved onto the grid: quarter position q -> beat position downbeat + q / quarters_per_beat -> the
    time between the recording's beats there."""
    if not notes:
        return []
    seconds = np.array([[n.start, n.end] for n in notes], dtype=np.float64)
    quarters = seconds * (tempo / 60.0) + offset_quarters
    if grid.bar_lengths:  # a short bar leaves out the end of the clip's bar
        positions, inside = grid.positions(quarters / grid.quarters_per_beat)
        ticks = np.rint(grid.lead_in_ticks + positions * grid.ticks_per_beat).astype(np.int64)
        keep = inside[:, 0]
    else:
        positions = grid.downbeat + quarters / grid.quarters_per_beat
        ticks = np.rint(grid.lead_in_ticks + grid.downbeat * grid.ticks_per_beat + quarters * PPQ).astype(np.int64)
        keep = np.ones(len(notes), dtype=bool)
    times = grid.time_at(positions)
    placed = []
    for i, n in enumerate(notes):
        if not keep[i]:
            continue
        start_tick, end_tick = int(ticks[i, 0]), max(int(ticks[i, 1]), int(ticks[i, 0]) + 1)
        placed.append(
            PlacedNote(n.pitch, start_tick, end_tick, float(times[i, 0]), float(times[i, 1]), int(n.velocity))
        )
    return placed


def pad_notes(
    chords: Sequence[Chord],
    grid: BeatGrid,
    *,
    half_bar: Sequence[Chord | None] = (),
    velocity: int = PAD_VELOCITY,
) -> list[PlacedNote]:
    """A sustained close voicing of every bar's chord (each tone in the octave from PAD_LOW), one per bar; a bar
    whose ``half_bar`` chord is not None (:func:`half_bar_chords`) holds its first chord to the middle of the bar
    and that one from there."""
    out: list[PlacedNote] = []
    tpb = grid.ticks_per_beat
    starts = grid.bar_starts
    lead = grid.lead_in_ticks
    for bar, chord in enumerate(chords):
        start_pos, end_pos = int(starts[bar]), int(starts[bar + 1])
        second = half_bar[bar] if bar < len(half_bar) else None
        held = [(start_pos, end_pos, chord)]
        if second is not None:
            middle = start_pos + grid.change_beats
            held = [(start_pos, middle, chord), (middle, end_pos, second)]
        for a, b, sounding in held:
            start, end = (float(x) for x in grid.time_at(np.array([a, b])))
            for pitch in pad_voicing(sounding):
                out.append(PlacedNote(pitch, lead + a * tpb, lead + b * tpb - 1, start, end, velocity))
    return out


def pad_voicing(chord: Chord) -> list[int]:
    """MIDI pitches of ``chord`` for the pad: each tone in the octave from PAD_LOW, then, while two neighbouring
    voices lie a semitone apart, one of them moved an octave (the lower up or the upper down, whichever leaves
    the smaller span; on a tie, the one that puts the root lowest). In one octave a major seventh chord put its
    seventh against its root (Amaj7 as G#3 A3 C#4 E4, Fmaj7 as A3 C4 E4 F4): a rub keyboard players keep out of a
    held chord; now A3 C#4 E4 G#4 and F3 A3 C4 E4. The chord's pitch classes are unchanged."""
    pitches = sorted({PAD_LOW + (pc - PAD_LOW) % 12 for pc in chord.pitch_classes})
    for _ in range(2 * len(pitches)):  # each move opens one rub; a bound, not a search
        rub = next((i for i in range(len(pitches) - 1) if pitches[i + 1] - pitches[i] == 1), None)
        if rub is None:
            break
        options = []
        for moved, shift in ((rub, 12), (rub + 1, -12)):
            voicing = sorted(pitches[:moved] + [pitches[moved] + shift] + pitches[moved + 1 :])
            root_low = voicing[0] % 12 == chord.root
            options.append((voicing[-1] - voicing[0], not root_low, voicing))
        pitches = min(options)[2]
    return pitches


def default_style(grid: BeatGrid) -> str:
    """The Magenta drums' and bass's style for a recording when the request names none: a waltz in 3/4, else
    rock's backbeat. Without one, the Magenta drums drew a groove of any style by seed (seed 1: a march's
    snare on every beat, no hi-hat, under a pop song)."""
    return "waltz" if (grid.numerator, grid.denominator) == (3, 4) else "rock"


def meter_mismatch(style: str | None, grid: BeatGrid) -> str | None:
    """Why a style of its own meter (a waltz: 3/4) plays in the recording's: its bars decide, as a time_signature
    asked for does for /generate. A waltz over a 4/4 song was played in 4/4 with nothing in the answer to say so."""
    meter = f"{grid.numerator}/{grid.denominator}"
    return style_meter_note(style, meter, f"the recording is in {meter}: played in its {meter} bars")
