"""A clip never strikes a pitch again while it still sounds (ai.generation.base.without_overlaps): feel
moves notes one by one, and a second note-on of a sounding key is paired with the wrong note-off by DAWs."""

from __future__ import annotations

import io

import mido

from ai.generation.base import GeneratedClip, GenerationRequest, Note
from ai.generation.theory import TheoryGenerator
from ai.music_theory import Key, parse_chord

HAT, KICK = 42, 36


def _overlaps(midi_bytes: bytes) -> list[tuple[int, int]]:
    """(pitch, tick) of every note-on of a pitch that is already sounding on its channel."""
    found = []
    for track in mido.MidiFile(file=io.BytesIO(midi_bytes)).tracks:
        sounding: set[tuple[int, int]] = set()
        now = 0
        for message in track:
            now += message.time
            if message.type not in ("note_on", "note_off"):
                continue
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                if key in sounding:
                    found.append((message.note, now))
                sounding.add(key)
            else:
                sounding.discard(key)
    return found


def _clip(notes: list[Note], **changes: object) -> GeneratedClip:
    values: dict[str, object] = {"part": "drums", "model": "theory", "tempo": 120.0, "duration_seconds": 2.0}
    values.update(changes)
    return GeneratedClip(notes=notes, **values)  # type: ignore[arg-type]


def test_a_note_ends_where_the_next_of_its_pitch_starts() -> None:
    clip = _clip([Note(HAT, 0.0, 0.2, 80), Note(HAT, 0.1, 0.3, 90), Note(KICK, 0.05, 0.5, 100)])
    assert clip.notes == [Note(HAT, 0.0, 0.1, 80), Note(HAT, 0.1, 0.3, 90), Note(KICK, 0.05, 0.5, 100)]
    assert _overlaps(clip.to_midi_bytes()) == []


def test_strikes_closer_than_two_ticks_are_one_note() -> None:
    # At 120 BPM two of the file's ticks are 4.5 ms: a note 1 ms long would round to nothing.
    clip = _clip([Note(HAT, 0.0, 0.05, 70), Note(HAT, 0.001, 0.06, 95), Note(KICK, 0.5, 0.6, 100)])
    assert clip.notes == [Note(HAT, 0.0, 0.06, 95), Note(KICK, 0.5, 0.6, 100)]


def test_the_primer_keeps_its_count_and_the_continuation_its_notes() -> None:
    primer = [Note(60, 0.0, 0.5, 80), Note(60, 0.25, 0.5, 80), Note(64, 0.5, 1.0, 80)]
    clip = _clip([*primer, Note(64, 0.9, 1.5, 90)], part="melody", primer_notes=3, primer_seconds=1.0)
    assert clip.primer_notes == 3 and clip.notes[1:3] == [Note(60, 0.25, 0.5, 80), Note(64, 0.5, 0.9, 80)]
    merged = _clip([Note(60, 0.0, 0.5, 80), Note(60, 0.0, 0.5, 80), Note(62, 1.0, 1.2, 80)], primer_notes=2)
    assert merged.primer_notes == 1 and len(merged.notes) == 2
    assert merged.continuation().notes == [Note(62, 1.0 - merged.primer_seconds, 1.2, 80)]


def test_drums_with_microtiming_and_humanize_have_no_overlapping_hits() -> None:
    # This funk clip (seed 3) struck a hi-hat 49 ticks into the previous one before the fix.
    request = GenerationRequest(
        part="drums",
        key=Key(0, "major"),
        chords=(parse_chord("C"),),
        bars=4,
        style="funk",
        seed=3,
        humanize=1.0,
        microtiming=1.0,
    )
    generator = TheoryGenerator()
    generator.initialize()
    clip = generator.generate(request)
    assert _overlaps(clip.to_midi_bytes()) == []
