"""The readers of bench/note_annotations.py on small inline samples of each format (not on the mirror)."""

from __future__ import annotations

import json

import pretty_midi
import pytest

from bench import note_annotations as na


def test_vocadito_reads_onset_hz_duration() -> None:
    notes = na.vocadito_notes("1.5,220.0,0.25\n0.5,440.0,0.5\n")
    assert [n.start for n in notes] == [0.5, 1.5]  # sorted by start
    assert notes[0].end == pytest.approx(1.0)
    assert notes[0].pitch == pytest.approx(69.0)
    assert notes[1].pitch == pytest.approx(57.0)
    assert notes[1].end == pytest.approx(1.75)


def test_tonas_adds_the_tuning_line() -> None:
    notes = na.tonas_notes("43.000000\n0.216667, 0.433333, 66.430000, 0.018007\n0.65, 1.0, 67.43, 0.01\n")
    assert len(notes) == 2  # the tuning line is no note
    assert notes[0].start == pytest.approx(0.216667)
    assert notes[0].end == pytest.approx(0.65)
    assert notes[0].pitch == pytest.approx(66.86)
    assert notes[1].pitch == pytest.approx(67.86)


def _jams(namespace: str, source: str, data: object) -> dict[str, object]:
    return {"namespace": namespace, "annotation_metadata": {"data_source": source}, "data": data}


def test_guitarset_pools_every_strings_notes() -> None:
    text = json.dumps(
        {
            "annotations": [
                _jams("pitch_contour", "0", {"time": [0.1], "duration": [0.0], "value": [{"frequency": 82.4}]}),
                _jams("note_midi", "0", []),
                _jams("note_midi", "4", [{"time": 1.5, "duration": 0.25, "value": 71.03, "confidence": None}]),
                # an older JAMS layout: the records as columns
                _jams("note_midi", "5", {"time": [0.75], "duration": [0.5], "value": [67.06], "confidence": [None]}),
                _jams("chord", "", [{"time": 0.0, "duration": 2.0, "value": "G:maj", "confidence": None}]),
            ]
        }
    )
    notes = na.guitarset_notes(text)
    assert notes == [na.Note(0.75, 1.25, 67.06), na.Note(1.5, 1.75, 71.03)]


def test_filosax_reads_the_audio_times() -> None:
    text = json.dumps(
        {
            "notes": [
                {"a_start_time": 2.99, "a_end_time": 3.25, "midi_pitch": 70, "s_start_time": 3.0},
                {"a_start_time": 2.57, "a_end_time": 2.82, "midi_pitch": 64, "s_start_time": 2.5},
            ]
        }
    )
    assert na.filosax_notes(text) == [na.Note(2.57, 2.82, 64.0), na.Note(2.99, 3.25, 70.0)]


def test_dagstuhl_score_representation() -> None:
    notes = na.dagstuhl_score_notes("0.1600,2.5165,64\n2.5165,3.3487,65\n")
    assert notes == [na.Note(0.16, 2.5165, 64.0), na.Note(2.5165, 3.3487, 65.0)]


def test_midi_performance_holds_notes_under_the_pedal() -> None:
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes += [
        pretty_midi.Note(velocity=80, pitch=60, start=0.0, end=0.5),  # released before the pedal: its own end
        pretty_midi.Note(velocity=80, pitch=64, start=1.0, end=1.2),  # released under the pedal: until pedal-up
        pretty_midi.Note(velocity=80, pitch=67, start=1.0, end=1.2),  # under the pedal, struck again before it lifts
        pretty_midi.Note(velocity=80, pitch=67, start=1.6, end=1.7),
    ]
    piano.control_changes += [
        pretty_midi.ControlChange(number=64, value=127, time=0.8),
        pretty_midi.ControlChange(number=64, value=100, time=1.3),  # still down
        pretty_midi.ControlChange(number=64, value=0, time=2.0),
    ]
    midi.instruments.append(piano)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes.append(pretty_midi.Note(velocity=80, pitch=36, start=0.0, end=0.1))
    midi.instruments.append(drums)

    notes = na.midi_performance_notes(midi)
    ends = {(round(n.start, 3), int(n.pitch)): round(n.end, 3) for n in notes}
    assert ends == {(0.0, 60): 0.5, (1.0, 64): 2.0, (1.0, 67): 1.6, (1.6, 67): 2.0}


def test_crop_keeps_notes_that_start_in_the_excerpt() -> None:
    notes = [na.Note(0.5, 3.0, 60.0), na.Note(1.96, 2.5, 62.0), na.Note(2.5, 3.0, 64.0), na.Note(0.1, 0.4, 65.0)]
    assert na.crop(notes, 2.0, 0.05) == [na.Note(0.5, 2.0, 60.0), na.Note(0.1, 0.4, 65.0)]
    assert na.crop(notes, 2.0, 0.0)[1] == na.Note(1.96, 2.0, 62.0)


def test_unisons_count_once() -> None:
    notes = [na.Note(1.0, 1.5, 60.0), na.Note(1.0004, 2.0, 60.1), na.Note(1.0, 1.5, 64.0), na.Note(1.2, 1.5, 60.0)]
    assert na.unisons_once(notes) == [na.Note(1.0, 1.5, 64.0), na.Note(1.0004, 2.0, 60.1), na.Note(1.2, 1.5, 60.0)]
