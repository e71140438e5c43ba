"""The MIDI checker of bench/midi_validity.py on small files built here: it must flag what DAWs reject."""

from __future__ import annotations

import io

import mido

from bench.midi_validity import check_midi


def _file(events: list[tuple[int, mido.Message | mido.MetaMessage]], *, end: int, channel_name: str = "bass") -> bytes:
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("track_name", name="tempo map", time=0)])
    conductor.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=end))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=channel_name, time=0)])
    now = 0
    for tick, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=end - now))
    midi.tracks.extend([conductor, track])
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _on(note: int, velocity: int = 90, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity, channel=channel)


def _off(note: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, velocity=0, channel=channel)


def kinds(data: bytes, **options: bool) -> set[str]:
    return {kind for kind, _ in check_midi(data, **options).items}


def test_a_clean_bar_has_no_findings() -> None:
    assert (
        kinds(_file([(0, _on(40)), (480, _off(40)), (480, _on(40)), (960, _off(40))], end=1920), drums=False) == set()
    )


def test_overlaps_orphans_zero_lengths_and_the_end() -> None:
    data = _file(
        [(0, _on(40)), (100, _on(40)), (200, _off(40)), (300, _off(40)), (400, _on(41)), (400, _off(41))], end=1000
    )
    assert kinds(data, drums=False) >= {
        "overlap",
        "note-off without note-on",
        "zero-length note",
        "end not on bar line",
    }
    midi = mido.MidiFile(file=io.BytesIO(_file([(0, _on(40)), (1900, _off(40))], end=1920)))
    midi.tracks[0][-1].time = 960  # the tempo map ends in the middle of the bar's note
    out = io.BytesIO()
    midi.save(file=out)
    assert "end_of_track before last note-off" in kinds(out.getvalue(), drums=False)


def test_drums_off_channel_ten_and_a_bad_tempo() -> None:
    assert "drum channel" in kinds(_file([(0, _on(36)), (120, _off(36))], end=1920), drums=True)
    midi = mido.MidiFile(file=io.BytesIO(_file([], end=1920)))
    midi.tracks[1].insert(1, mido.MetaMessage("set_tempo", tempo=8000, time=0))  # 7500 BPM, outside track 0
    out = io.BytesIO()
    midi.save(file=out)
    assert kinds(out.getvalue(), drums=False) >= {"absurd tempo", "tempo outside track 0"}
