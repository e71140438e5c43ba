"""Readers for the note annotations of real recordings that bench/transcription_real.py scores against.

Each reader takes a file's text (or a parsed MIDI file) and returns notes as (start s, end s, pitch in
fractional MIDI numbers at A4 = 440 Hz), sorted by start. The formats are those of mirdata's test
fixtures: vocadito's CSV (onset, Hz, duration), TONAS's ``.notes.Corrected`` (a tuning line in cents, then
onset, duration, MIDI, energy), GuitarSet's JAMS (one ``note_midi`` annotation per string), Filosax's
``annotations.json`` (audio-aligned times of each score note), Dagstuhl ChoirSet's score representation
(start, end, MIDI per voice) and MIDI performances (MAESTRO's Disklavier files, sustain pedal applied).
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, NamedTuple

import pretty_midi

SUSTAIN_CC = 64
PEDAL_DOWN = 64  # MIDI's convention: controller 64 at 64 or over holds the dampers up


class Note(NamedTuple):
    start: float
    end: float
    pitch: float  # MIDI number, fractional where the annotation gives a frequency


def hz_to_midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def _sorted(notes: list[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row and any(cell.strip() for cell in row)]


def vocadito_notes(text: str) -> list[Note]:
    """vocadito ``*_notesA1.csv`` / ``A2``: onset (s), frequency (Hz), duration (s) per line."""
    return _sorted(
        [Note(float(t), float(t) + float(d), hz_to_midi(float(hz))) for t, hz, d in (row[:3] for row in _rows(text))]
    )


def tonas_notes(text: str) -> list[Note]:
    """TONAS ``*.notes.Corrected``: a first line with the singer's tuning (cents from A4 = 440 Hz), then
    onset, duration, MIDI, energy; the MIDI values are on the singer's tuning, so the cents are added
    (as mirdata's reader does: on the fixture's excerpt the sung pitch, by pYIN, sits 9-11 cents from
    the notes read so, 32-52 cents from the values read at 440 Hz)."""
    rows = _rows(text)
    cents = float(rows[0][0])
    return _sorted([Note(float(r[0]), float(r[0]) + float(r[1]), float(r[2]) + cents / 100.0) for r in rows[1:]])


def guitarset_notes(text: str) -> list[Note]:
    """GuitarSet JAMS: the ``note_midi`` annotations of the six strings together (one guitar)."""
    notes = []
    for annotation in json.loads(text)["annotations"]:
        if annotation["namespace"] != "note_midi":
            continue
        for event in _jams_events(annotation["data"]):
            notes.append(Note(event["time"], event["time"] + event["duration"], float(event["value"])))
    return _sorted(notes)


def _jams_events(data: Any) -> list[dict[str, float]]:
    """JAMS stores an annotation's observations as a list of records, or (older files) as columns."""
    if isinstance(data, dict):
        return [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    return list(data)


def filosax_notes(text: str) -> list[Note]:
    """Filosax ``annotations.json``: each note of the typeset score with its start and end in the audio
    (``a_start_time``, ``a_end_time``) and its ``midi_pitch``."""
    return _sorted(
        [Note(n["a_start_time"], n["a_end_time"], float(n["midi_pitch"])) for n in json.loads(text)["notes"]]
    )


def dagstuhl_score_notes(text: str) -> list[Note]:
    """Dagstuhl ChoirSet ``annotations_csv_scorerepresentation``: start, end, MIDI per line (one voice)."""
    return _sorted([Note(float(r[0]), float(r[1]), float(r[2])) for r in _rows(text)])


def midi_performance_notes(midi: pretty_midi.PrettyMIDI) -> list[Note]:
    """The notes of a recorded MIDI performance; a note released while the sustain pedal is down sounds
    until the pedal comes up (or its key is struck again), as the piano sounded."""
    notes = []
    for instrument in midi.instruments:
        if instrument.is_drum:
            continue
        pedal = sorted((c.time, c.value >= PEDAL_DOWN) for c in instrument.control_changes if c.number == SUSTAIN_CC)
        by_key: dict[int, list[pretty_midi.Note]] = {}
        for note in instrument.notes:
            by_key.setdefault(note.pitch, []).append(note)
        for key_notes in by_key.values():
            key_notes.sort(key=lambda n: n.start)
            for index, note in enumerate(key_notes):
                end = _pedal_release(pedal, note.end)
                if index + 1 < len(key_notes):
                    end = min(end, key_notes[index + 1].start)
                notes.append(Note(note.start, max(end, note.start), float(note.pitch)))
    return _sorted(notes)


def _pedal_release(pedal: list[tuple[float, bool]], time: float) -> float:
    """When the dampers fall on a key released at ``time``: then, or at the first pedal-up after it."""
    down_at_release = False
    for when, is_down in pedal:
        if when <= time:
            down_at_release = is_down
        elif not down_at_release:
            return time
        elif not is_down:
            return when
    return time  # no pedal-up after the release in the file: the key's own end


def crop(notes: list[Note], duration: float, margin: float) -> list[Note]:
    """The notes that start in an excerpt of ``duration`` seconds, ``margin`` before its end at the latest
    (one cut closer leaves less sound than the onset tolerance), their ends cut at the excerpt's end."""
    return [Note(n.start, min(n.end, duration), n.pitch) for n in notes if n.start < duration - margin]


def unisons_once(notes: list[Note]) -> list[Note]:
    """One note per key struck at one time (two strings or voices on the same pitch together are one
    sound to a transcriber; bench/transcription.py counts the rendered references the same way)."""
    longest: dict[tuple[int, int], Note] = {}
    for note in notes:
        key = (round(note.pitch), round(note.start * 1000))
        if key not in longest or note.end > longest[key].end:
            longest[key] = note
    return _sorted(list(longest.values()))
