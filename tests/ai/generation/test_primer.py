"""What a primer file says of its key, tempo and meter."""

from __future__ import annotations

import io

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ai.generation.primer import key_of_notes, parse_primer, primer_context
from ai.music_theory import Key
from utils.errors import InvalidParameter, UnsupportedMediaType


def _notes(pitches: list[int], length: float = 0.5) -> list[pretty_midi.Note]:
    return [pretty_midi.Note(80, p, i * length, (i + 1) * length) for i, p in enumerate(pitches)]


def test_the_key_is_read_from_the_notes() -> None:
    assert key_of_notes(_notes([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60])) == Key(0, "major")
    # A harmonic-minor line that lingers on its tonic and fifth.
    assert key_of_notes(_notes([57, 59, 60, 62, 64, 65, 68, 69, 64, 57], 0.5) + _notes([57], 2.0)) == Key(9, "minor")
    assert key_of_notes(_notes([60, 67, 60, 67])) is None  # two pitch classes: no key


def test_a_file_without_tempo_or_meter_events_says_nothing_of_them() -> None:
    import mido

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    for pitch in (62, 66, 69):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    context = primer_context(parse_primer(buffer.getvalue()))
    assert context.tempo is None and context.meter is None
    assert context.key == Key(2, "major")


def test_an_unreadable_primer_is_a_422_parameter_error() -> None:
    with pytest.raises(InvalidParameter, match="not a readable MIDI file"):
        parse_primer(b"MThd not really")


def test_a_recording_as_primer_is_the_wrong_kind_of_file_not_a_damaged_one() -> None:
    """It was a 422 "not a readable MIDI file"; the README says 415 for a file that is not audio or MIDI."""
    wav = io.BytesIO()
    sf.write(wav, np.zeros(2205, dtype=np.float32), 22050, format="WAV")
    with pytest.raises(UnsupportedMediaType, match=r"must be a MIDI file; this is audio \(WAV\)"):
        parse_primer(wav.getvalue())


def _file_with(events: list[object]) -> bytes:
    import mido

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    track.extend(events)
    for pitch in (62, 65, 69, 72, 71, 69, 67, 62):  # a D dorian line
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("signature", "text", "key"),
    [
        ("C", "key: D dorian", Key(2, "dorian")),  # a mode is written as its parent major's signature
        ("Am", "key: A harmonic_minor", Key(9, "harmonic_minor")),
        ("D", "key: D dorian", Key(2, "major")),  # transposed in a DAW: the signature moved, the text did not
        ("C", "key: not a key", Key(0, "major")),
        ("C", None, Key(0, "major")),  # another program's file: its signature
    ],
)
def test_a_mode_the_engine_named_beside_its_signature_is_read_back(signature: str, text: str | None, key: Key) -> None:
    import mido

    events: list[object] = [mido.MetaMessage("key_signature", key=signature, time=0)]
    if text is not None:
        events.append(mido.MetaMessage("text", text=text, time=0))
    assert primer_context(parse_primer(_file_with(events))).key == key


@pytest.mark.parametrize("part", ["melody", "drums"])
def test_notes_that_never_end_are_named_as_such(part: str) -> None:
    # pretty_midi drops a note-on without its note-off: the 422 said "holds no melodic notes to continue".
    import mido

    from ai.generation.primer import read_primer

    channel = 9 if part == "drums" else 0
    midi = mido.MidiFile()
    track = mido.MidiTrack()
    for pitch in (36, 38, 36, 38):
        track.append(mido.Message("note_on", channel=channel, note=pitch, velocity=90, time=240))
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    kind = "drum" if part == "drums" else "melodic"
    with pytest.raises(InvalidParameter) as refused:
        read_primer(parse_primer(buffer.getvalue()), part=part, bar_seconds=2.0)  # type: ignore[arg-type]
    assert refused.value.detail.startswith(f"primer: the MIDI file's 4 {kind} note-on(s) have no note-off")


def _frame_timed(fps_code: int, ticks_per_frame: int, notes: list[tuple[int, int, int]]) -> bytes:
    """A type-0 file whose time division is SMPTE frames (fps_code 0xE7 = -25 fps): (pitch, on tick, off tick)."""
    events: list[tuple[int, mido.Message]] = []
    for pitch, on, off in notes:
        events += [(on, mido.Message("note_on", note=pitch, velocity=90)), (off, mido.Message("note_off", note=pitch))]
    track, now = mido.MidiTrack(), 0
    for at, message in sorted(events, key=lambda e: e[0]):
        track.append(message.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("set_tempo", tempo=200_000, time=0))  # a tempo does not time a frame file
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    data = bytearray(buffer.getvalue())
    data[12:14] = bytes([fps_code, ticks_per_frame])  # the header's division word
    return bytes(data)


def test_a_file_timed_in_smpte_frames_keeps_its_notes_seconds() -> None:
    """It was "not a readable MIDI file" (pretty_midi cannot time frames); a DAW imports it at its seconds."""
    data = _frame_timed(0xE7, 40, [(60, 0, 500), (64, 1000, 1500)])  # 25 fps x 40 ticks: 1,000 ticks a second
    notes = [(n.pitch, n.start, n.end) for inst in parse_primer(data).pm.instruments for n in inst.notes]
    assert [(p, round(a, 4), round(b, 4)) for p, a, b in notes] == [(60, 0.0, 0.5), (64, 1.0, 1.5)]
    thirty = _frame_timed(0xE3, 100, [(62, 0, 2997)])  # 0xE3 = -29: 29.97 fps drop-frame x 100 ticks, one second
    (note,) = [n for inst in parse_primer(thirty).pm.instruments for n in inst.notes]
    assert abs(note.end - 1.0) < 1e-3
