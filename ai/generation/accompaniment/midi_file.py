"""The answer's MIDI file: the tempo map (a tempo at every beat), the meters and key, a track per part."""

from __future__ import annotations

import io
from typing import Any

import mido

from ai.generation.accompaniment.grid import PPQ, BeatGrid
from ai.generation.accompaniment.parts import PlacedNote
from ai.generation.midi_events import delta_track, key_events, note_events
from ai.lead_in import lead_in_meter
from ai.music_theory import Key

PROGRAMS = {"bass": 33, "pad": 89}  # GM: Electric Bass (finger), Pad 2 (warm)
CHANNELS = {"drums": 9, "bass": 0, "pad": 1}


MAX_TEMPO_US = 0xFFFFFF


def tempo_events(grid: BeatGrid) -> list[tuple[int, mido.MetaMessage]]:
    """A set_tempo at every beat of the grid (where it changes), from the beat intervals, plus the
    lead-in measure's meter and the recording's from the first downbeat."""
    tpb, lead = grid.ticks_per_beat, grid.lead_in_ticks
    events: list[tuple[int, mido.MetaMessage]] = []
    if grid.downbeat or lead:
        numerator, denominator = lead_in_meter(
            grid.downbeat, grid.denominator, compound=grid.quarters_per_beat == 1.5, sixteenth=lead > 0
        )
        events.append((0, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator)))
    events.append(
        (
            lead + grid.downbeat * tpb,
            mido.MetaMessage("time_signature", numerator=grid.numerator, denominator=grid.denominator),
        )
    )
    starts = grid.bar_starts
    for bar, numerator in _bar_meters(grid):  # a bar of another length, and the bar after it
        meter = mido.MetaMessage("time_signature", numerator=numerator, denominator=grid.denominator)
        events.append((lead + int(starts[bar]) * tpb, meter))
    previous = -1
    elapsed_us = 0.0  # tempo rounding is carried over so that the beats do not drift (1 us per beat)
    if lead:  # the lead-in 16th: from 0 s to the first beat
        previous = min(max(int(round(grid.times[0] * 1e6 * PPQ / lead)), 1), MAX_TEMPO_US)
        elapsed_us = previous * lead / PPQ
        events.append((0, mido.MetaMessage("set_tempo", tempo=previous)))
    for k in range(grid.end_position):
        target_us = grid.times[k + 1] * 1e6
        us_per_quarter = int(round((target_us - elapsed_us) / grid.quarters_per_beat))
        us_per_quarter = min(max(us_per_quarter, 1), MAX_TEMPO_US)
        elapsed_us += us_per_quarter * grid.quarters_per_beat
        if us_per_quarter != previous:
            events.append((lead + k * tpb, mido.MetaMessage("set_tempo", tempo=us_per_quarter)))
            previous = us_per_quarter
    events.sort(key=lambda e: e[0])  # stable: the meters stay before the tempo at their tick
    return events


def write_midi(grid: BeatGrid, parts: dict[str, list[PlacedNote]], key: Key | None = None) -> bytes:
    """One Type-1 MIDI file: the tempo map, meters and key signature, then one track per part (drums on
    channel 10)."""
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    end_tick = grid.lead_in_ticks + grid.end_position * grid.ticks_per_beat
    conductor: list[tuple[int, mido.MetaMessage]] = list(tempo_events(grid))
    if key is not None:  # the key the parts play in, for the DAW to show (and a mode's name, for a primer)
        conductor[:0] = [(0, event) for event in key_events(key)]
    midi.tracks.append(delta_track("tempo map", conductor, end_tick))
    for part, notes in parts.items():
        channel = CHANNELS[part]
        head: list[tuple[int, mido.MetaMessage | mido.Message]] = []
        if part in PROGRAMS:
            head.append((0, mido.Message("program_change", channel=channel, program=PROGRAMS[part])))
        body = note_events(((n.start_tick, n.end_tick, n.pitch, n.velocity) for n in notes), channel)
        midi.tracks.append(delta_track(part, head + body, end_tick))
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _bar_meters(grid: BeatGrid) -> list[tuple[int, int]]:
    """(bar index, numerator) of each bar whose length differs from the bar before: a 3/4 bar in a 4/4 song
    and the 4/4 after it; [] for regular bars (simple meters only: ``bar_lengths`` is never set for compound)."""
    changes: list[tuple[int, int]] = []
    shown = grid.beats_per_bar
    for bar, beats in enumerate(grid.bar_lengths):
        if beats != shown:
            changes.append((bar, grid.numerator if beats == grid.beats_per_bar else beats))
            shown = beats
    return changes


def meter_changes(grid: BeatGrid) -> list[dict[str, Any]]:
    """The bars whose meter differs from the bar before (1-based, with their start in seconds and meter), as
    the MIDI file's time signatures say; [] for regular bars."""
    return [
        {"bar": bar + 1, "start": round(grid.bar_span(bar)[0], 4), "time_signature": f"{numerator}/{grid.denominator}"}
        for bar, numerator in _bar_meters(grid)
    ]
