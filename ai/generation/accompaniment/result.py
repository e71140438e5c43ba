"""The accompaniment's answer: what it made and used, and its JSON-ready summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ai.analysis.pipeline import AnalysisResult
from ai.generation.accompaniment.grid import BeatGrid
from ai.generation.accompaniment.midi_file import meter_changes
from ai.generation.accompaniment.parts import PlacedNote
from ai.music_theory import Chord, Key


@dataclass
class Accompaniment:
    grid: BeatGrid
    key: Key
    chords: list[Chord]
    tempo: float  # the recording's median tempo (quarter notes per minute)
    parts: dict[str, list[PlacedNote]]
    models: dict[str, str]  # part -> the backend that made it
    fallback_reasons: dict[str, str]
    midi: bytes
    preview: bytes | None = None
    bar_phase_corrected: bool = False  # the harmony moved the analysis's downbeats (bar_phase)
    harmony_source: str = "recording"  # where the bar chords came from: recording, melody, given or default
    styles: dict[str, str] = field(default_factory=dict)
    """Part (drums, bass) -> the style it played: the request's after alias mapping (house: electronic), else the
    backend's default (Magenta: :func:`default_style`; theory: its plain ``default`` groove)."""
    harmony_note: str | None = None  # why the chords are not the recording's own, where they are not
    half_bar_chords: list[Chord | None] = field(default_factory=list)
    """The chord each bar changes to at its middle (None where it holds one; empty where no bar changes):
    :func:`half_bar_chords`. ``chords`` holds each bar's first chord."""


def _bar_chord(result: Accompaniment, bar: int) -> dict[str, Any]:
    """A bar of the answer's ``bar_chords``: its number, start and (first) chord, and for a bar that changes chord
    at its middle, ``changes``: ``[{"beat", "start", "chord"}]`` (the beat 1-based: 3 in 4/4)."""
    grid = result.grid
    entry: dict[str, Any] = {
        "bar": bar + 1,
        "start": round(grid.bar_span(bar)[0], 4),
        "chord": result.key.chord_symbol(result.chords[bar]),
    }
    second = result.half_bar_chords[bar] if bar < len(result.half_bar_chords) else None
    if second is not None:
        beat = grid.change_beats
        at = float(grid.time_at(float(grid.bar_starts[bar] + beat)))
        entry["changes"] = [{"beat": beat + 1, "start": round(at, 4), "chord": result.key.chord_symbol(second)}]
    return entry


def summary(result: Accompaniment, analysis: AnalysisResult) -> dict[str, Any]:
    """What the accompaniment used, JSON-ready: the analysis's beats, meter, key and the bar chords."""
    grid = result.grid
    lead = grid.first_beat
    return {
        "duration": analysis.duration,
        "tempo": analysis.tempo,
        "median_tempo": round(result.tempo, 2),
        "time_signature": f"{grid.numerator}/{grid.denominator}",
        "key": result.key.name,
        "key_confidence": analysis.key_confidence,
        "beat_times": [round(float(t), 4) for t in result.grid.times[lead : lead + grid.detected]],
        "analysis_beat_times": analysis.beat_times,
        "downbeat_times": [round(float(grid.bar_span(i)[0]), 4) for i in range(grid.bars)],
        "analysis_downbeat_times": analysis.downbeat_times,
        "bar_phase_corrected": result.bar_phase_corrected,
        "harmony_source": result.harmony_source,
        "harmony_note": result.harmony_note,
        "analysis_key": analysis.key,
        "first_downbeat": round(float(grid.times[grid.downbeat]), 4),
        "lead_in_beats": grid.downbeat,
        "bars": grid.bars,
        "meter_changes": meter_changes(grid),
        "bar_chords": [_bar_chord(result, bar) for bar in range(len(result.chords))],
        "chords": analysis.chords,
        "notes": analysis.notes,
    }
