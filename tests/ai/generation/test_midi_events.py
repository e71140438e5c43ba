"""The MIDI tracks clips and accompaniments are written with (ai.generation.midi_events)."""

from __future__ import annotations

import io

import mido
import pytest

from ai.generation.base import MIDI_RESOLUTION, GeneratedClip, Note
from ai.generation.midi_events import delta_track, note_events
from ai.music_theory import Key


def _absolute(track: mido.MidiTrack) -> list[tuple[int, str, int]]:
    out, now = [], 0
    for message in track:
        now += message.time
        out.append((now, message.type, getattr(message, "note", -1)))
    return out


def test_note_offs_come_before_note_ons_at_the_same_tick() -> None:
    events = note_events([(0, 10, 60, 90), (10, 20, 60, 80), (10, 30, 55, 70)], channel=0)
    assert [(tick, m.type, m.note) for tick, m in events] == [
        (0, "note_on", 60),
        (10, "note_off", 60),
        (10, "note_on", 55),
        (10, "note_on", 60),
        (20, "note_off", 60),
        (30, "note_off", 55),
    ]


@pytest.mark.parametrize(
    "note",
    [(0, 10, 128, 90), (0, 10, 60, 128), (0, 10, -1, 90), (-5, 10, 60, 90), (10, 5, 60, 90)],
)
def test_a_note_outside_midi_ranges_is_refused(note: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="not a MIDI note"):
        note_events([note], channel=0)


def test_a_track_ends_at_its_end_tick_or_its_last_event() -> None:
    short = delta_track("bass", note_events([(0, 100, 40, 90)], channel=1), end_tick=480)
    assert _absolute(short)[0] == (0, "track_name", -1)
    assert _absolute(short)[-1] == (480, "end_of_track", -1)
    late = delta_track("bass", note_events([(0, 900, 40, 90)], channel=1), end_tick=480)
    assert _absolute(late)[-1] == (900, "end_of_track", -1)


def test_a_clip_file_holds_its_tempo_meter_key_and_notes() -> None:
    clip = GeneratedClip(
        notes=[Note(60, 0.0, 0.5, 100), Note(64, 0.5, 1.0, 90), Note(67, 0.5, 1.5, 80)],
        part="melody",
        model="theory",
        tempo=90.0,
        duration_seconds=4.0,  # two bars of 3/4 at 90 BPM, past the last note-off
        beats_per_bar=3,
        program=24,
        key=Key(9, "minor"),
    )
    midi = mido.MidiFile(file=io.BytesIO(clip.to_midi_bytes()))
    assert midi.ticks_per_beat == MIDI_RESOLUTION
    conductor, part = midi.tracks
    meta = {m.type: m for m in conductor}
    assert (meta["track_name"].name, next(m.name for m in part if m.type == "track_name")) == ("tempo map", "melody")
    assert mido.tempo2bpm(meta["set_tempo"].tempo) == pytest.approx(90.0, abs=1e-3)
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (3, 4)
    assert meta["key_signature"].key == "Am"
    end = round(clip.duration_seconds * 90 / 60 * MIDI_RESOLUTION)
    assert _absolute(conductor)[-1] == (end, "end_of_track", -1)
    assert _absolute(part)[-1] == (end, "end_of_track", -1)
    program = next(m for m in part if m.type == "program_change")
    assert (program.program, program.channel) == (24, 0)
    ons = [(tick, note) for tick, kind, note in _absolute(part) if kind == "note_on"]
    half_second = round(0.5 * 90 / 60 * MIDI_RESOLUTION)
    assert ons == [(0, 60), (half_second, 64), (half_second, 67)]


def test_a_drum_clip_plays_on_channel_ten() -> None:
    clip = GeneratedClip(
        notes=[Note(36, 0.0, 0.1, 100)], part="drums", model="theory", tempo=120.0, duration_seconds=2.0
    )
    part = mido.MidiFile(file=io.BytesIO(clip.to_midi_bytes())).tracks[1]
    assert {m.channel for m in part if not m.is_meta} == {9}
