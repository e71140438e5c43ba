"""The transcription's notes in its MIDI file (ai.transcription.tempo_map): no pitch struck again while it
sounds, and a tempo map that ends with the notes."""

from __future__ import annotations

import io
from fractions import Fraction

import mido
import numpy as np
import pytest

from ai.transcription.tempo_map import MidiNote, beat_grid, bent_alone, midi_file, quantize_times, struck_once
from bench.midi_validity import check_midi  # the strict-DAW checks

BEATS = (0.5 * np.arange(16)).tolist()


def test_a_drum_hit_again_within_its_100_ms_ends_the_first_and_one_of_two_together_is_kept() -> None:
    # The drum model's hits are 100 ms notes: two tom hits 83 ms apart (an 8 kHz recording) gave a second
    # note-on before the first note-off and then a note-off with no note-on, and two hits quantised onto one
    # step two note-ons on one tick.
    hits = [
        MidiNote(36, 1.00, 1.10, 90),
        MidiNote(36, 1.03, 1.13, 70),
        MidiNote(38, 2.00, 2.10, 60),
        MidiNote(38, 2.00, 2.10, 100),
        MidiNote(42, 3.00, 3.10, 80),
    ]
    kept = struck_once(hits)
    assert [(n.pitch, n.start, n.end, n.velocity) for n in kept] == [
        (36, 1.00, 1.03, 90),
        (36, 1.03, 1.13, 70),
        (38, 2.00, 2.10, 100),
        (42, 3.00, 3.10, 80),
    ]


def test_the_file_strikes_no_pitch_again_while_it_sounds_even_from_notes_that_overlap() -> None:
    hits = [MidiNote(36, 1.00, 1.10, 90), MidiNote(36, 1.03, 1.13, 70), MidiNote(38, 2.0, 2.1, 60)]
    hits.append(MidiNote(38, 2.0004, 2.1, 100))  # on the same tick as the one before (1.04 ms a tick)
    grid = beat_grid(BEATS, BEATS[::4], "4/4", 120.0)
    found = check_midi(midi_file(hits, grid, drums=True, end_s=8.0), drums=True, end_on_bar=False)
    assert found.items == []


def test_a_cut_note_keeps_the_bends_of_the_time_it_still_sounds() -> None:
    bent = MidiNote(60, 0.0, 1.0, 80, [0.0, 0.5, 1.0, 0.5])
    first, _ = struck_once([bent, MidiNote(60, 0.5, 1.0, 80)])
    assert first.end == 0.5 and list(first.pitch_bends or []) == [0.0, 0.5]


@pytest.mark.parametrize("drums", [True, False])
def test_both_tracks_end_together_when_a_note_outlasts_the_recording(drums: bool) -> None:
    # A hit 50 ms before the end of the recording (its 100 ms note), or a quantised end rounded past it: the
    # notes' track ended after the tempo map's, and before that note's note-off.
    grid = beat_grid(BEATS, BEATS[::4], "4/4", 120.0)
    data = midi_file([MidiNote(36, 7.95, 8.05, 90)], grid, drums=drums, end_s=8.0)
    midi = mido.MidiFile(file=io.BytesIO(data))
    ends = {sum(m.time for m in track) for track in midi.tracks}
    assert len(ends) == 1 and ends.pop() == round(8.05 / 0.5 * 480)
    assert check_midi(data, drums=drums, end_on_bar=False).items == []


def _bends_while_others_sound(data: bytes) -> list[tuple[int, int, list[int]]]:
    """(tick, wheel, notes sounding) of every bend the file writes while more than one note sounds."""
    found = []
    sounding: set[int] = set()
    now = 0
    for message in mido.MidiFile(file=io.BytesIO(data)).tracks[1]:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding.add(message.note)
        elif message.type in ("note_on", "note_off"):
            sounding.discard(message.note)
        elif message.type == "pitchwheel" and message.pitch != 0 and len(sounding) > 1:
            found.append((now, message.pitch, sorted(sounding)))
    return found


def test_a_bent_note_quantised_onto_another_bends_neither() -> None:
    # A violin's E bent a third of a semitone and the Eb before it, apart as played, both moved onto one 1/8t step
    # (QA pass 5a): the one channel's wheel bent the Eb too.
    grid = beat_grid(BEATS, BEATS[::4], "4/4", 120.0)
    played = [MidiNote(51, 1.00, 1.06, 60), MidiNote(52, 1.07, 1.16, 75, [0.0, 0.33, 0.33])]
    on, off = quantize_times(
        grid, np.array([n.start for n in played]), np.array([n.end for n in played]), Fraction(1, 12)
    )
    quantised = [MidiNote(n.pitch, s, e, n.velocity, n.pitch_bends) for n, s, e in zip(played, on, off, strict=True)]
    assert quantised[0].start == quantised[1].start  # the step both land on
    assert _bends_while_others_sound(midi_file(quantised, grid, end_s=8.0)) == []
    assert [n.pitch_bends for n in bent_alone(quantised)] == [None, None]


def test_bends_stay_on_a_note_that_sounds_alone() -> None:
    grid = beat_grid(BEATS, BEATS[::4], "4/4", 120.0)
    notes = [
        MidiNote(60, 1.0, 1.5, 80, [0.0, 0.5]),
        MidiNote(62, 1.5, 2.0, 80, [0.0, -0.5]),
        MidiNote(64, 1.6, 1.7, 80),
    ]
    assert [n.pitch_bends for n in bent_alone(notes)] == [[0.0, 0.5], None, None]
    wheel = [
        m.pitch
        for m in mido.MidiFile(file=io.BytesIO(midi_file(notes, grid, end_s=8.0))).tracks[1]
        if m.type == "pitchwheel"
    ]
    assert (
        max(wheel) > 0 and min(wheel) == 0
    )  # the first note's bend, and no bend of the second (the third sounds in it)
