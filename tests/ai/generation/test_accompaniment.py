"""Beat-grid placement of an accompaniment: notes follow the recording's beats, the tempo map matches."""

from __future__ import annotations

import io

import mido
import numpy as np
import pretty_midi
import pytest

from ai.generation.accompaniment import (
    NoBeatFound,
    bar_chords,
    build_grid,
    pad_notes,
    parse_parts,
    place_notes,
    write_midi,
)
from ai.generation.accompaniment.downbeats import bar_phase, downbeat_phase
from ai.generation.accompaniment.grid import PPQ, chart_meter, irregular_bar_lengths
from ai.generation.accompaniment.harmony import key_of
from ai.generation.bar_harmony import chroma_frames
from ai.generation.base import Note
from ai.music_theory import parse_chart, parse_chord, parse_key
from utils.errors import InvalidParameter


def drifting_beats(n: int = 33, start: float = 0.0, bpm0: float = 100.0, bpm1: float = 120.0) -> np.ndarray:
    intervals = 60.0 / np.linspace(bpm0, bpm1, n - 1)
    return start + np.concatenate([[0.0], np.cumsum(intervals)])


def test_notes_land_between_the_real_beats() -> None:
    beats = drifting_beats()
    grid = build_grid(beats, [0.0], "4/4", float(beats[-1]))
    assert grid.downbeat == 0 and grid.bars == 8
    # A clip at 90 bpm: a note on every quarter and every 8th between.
    tempo = 90.0
    notes = [Note(36, q * 60 / tempo, q * 60 / tempo + 0.1, 100) for q in np.arange(0, 32, 0.5)]
    placed = place_notes(notes, grid, tempo=tempo)
    starts = np.array([p.start for p in placed])
    assert np.allclose(starts[::2], beats[:32], atol=1e-9)
    assert np.allclose(starts[1::2], (beats[:32] + beats[1:33]) / 2, atol=1e-9)
    assert [p.start_tick for p in placed[:3]] == [0, PPQ // 2, PPQ]


def test_pickup_becomes_a_lead_in_measure() -> None:
    beats = drifting_beats(start=0.75, bpm0=120, bpm1=120)  # 0.5 s beats, first at 0.75 s
    grid = build_grid(beats, [beats[1]], "4/4", float(beats[-1]))
    # 0.75 s before the first beat: one virtual beat (0.25..0.75) and a 0.25 s remainder (a beat at 240 BPM, under
    # the 300 a lead-in may be), then the pickup beat.
    assert grid.first_beat == 2 and grid.downbeat == 3
    assert grid.times[:4] == pytest.approx([0.0, 0.25, 0.75, 1.25])
    assert grid.time_at(grid.downbeat) == pytest.approx(beats[1])


def test_tiny_lead_in_remainder_joins_the_earliest_beat() -> None:
    beats = drifting_beats(start=0.55, bpm0=120, bpm1=120)
    grid = build_grid(beats, [beats[0]], "4/4", float(beats[-1]))
    assert grid.times[:2] == pytest.approx([0.0, 0.55])  # 0.05 s is not a beat of its own


def test_tempo_map_in_the_midi_matches_the_beats() -> None:
    beats = drifting_beats(start=0.3)
    grid = build_grid(beats, [beats[2]], "3/4", float(beats[-1]))
    notes = [Note(38, q * 0.5, q * 0.5 + 0.2, 90) for q in range(24)]
    midi = write_midi(grid, {"drums": place_notes(notes, grid, tempo=120.0), "pad": []})
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    assert pm.instruments[0].is_drum
    starts = sorted(n.start for n in pm.instruments[0].notes)
    assert np.allclose(starts, beats[2:26], atol=1e-3)
    meters = [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes]
    assert meters[-1] == (3, 4) and pm.time_signature_changes[-1].time == pytest.approx(beats[2], abs=1e-3)
    file = mido.MidiFile(file=io.BytesIO(midi))
    tempos = [m for m in file.tracks[0] if m.type == "set_tempo"]
    assert len(tempos) > 20  # a tempo at (nearly) every beat of the drift


def test_compound_meter_counts_dotted_quarters() -> None:
    beats = drifting_beats(bpm0=60, bpm1=60)  # dotted quarters of 1 s
    grid = build_grid(beats, [0.0], "6/8", float(beats[-1]))
    assert grid.beats_per_bar == 2 and grid.quarters_per_beat == 1.5
    # An eighth note (1/3 of a beat) at 90 quarter-bpm lasts 1/3 s.
    placed = place_notes([Note(42, 1 / 3, 0.5, 80)], grid, tempo=90.0)
    assert placed[0].start == pytest.approx(1 / 3) and placed[0].start_tick == PPQ // 2


def test_bar_chords_follow_the_analysis_and_fill_gaps() -> None:
    beats = np.arange(17) * 0.5
    grid = build_grid(beats, [0.0], "4/4", 8.0)
    chords = [
        {"start": 0.0, "end": 2.0, "label": "Am"},
        {"start": 2.0, "end": 4.0, "label": "N"},
        {"start": 4.0, "end": 6.1, "label": "F"},
        {"start": 6.1, "end": 8.0, "label": "G7"},
    ]
    symbols = [c.symbol for c in bar_chords(grid, chords, parse_key("A minor"))]
    assert symbols == ["Am", "Am", "F", "G7"]
    pad = pad_notes(bar_chords(grid, chords, parse_key("A minor")), grid)
    assert {n.pitch % 12 for n in pad if n.start == 0.0} == {9, 0, 4}


def test_no_beat_and_bad_parts_are_refused() -> None:
    with pytest.raises(NoBeatFound):
        build_grid([0.5, 1.0], [], "4/4", 2.0)
    assert parse_parts("drums, chords") == ("drums", "pad")
    with pytest.raises(InvalidParameter):
        parse_parts("drums,guitar")


def test_bar_phase_prefers_bars_that_hold_one_chord() -> None:
    sr, beat = 22050, 0.5
    triads = [(261.63, 329.63, 392.0), (220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    t = np.arange(int(4 * beat * sr)) / sr
    y = np.concatenate([sum(np.sin(2 * np.pi * f * t) for f in triads[bar % 4]) for bar in range(12)])
    beats = np.arange(48) * beat
    chroma = chroma_frames(y.astype(np.float32), sr)
    assert bar_phase(chroma, beats, 4, current=1) == 0  # the analysis was a beat late
    assert bar_phase(chroma, beats, 4, current=0) == 0


def test_bar_phase_hears_where_an_oom_pah_bar_changes_chord() -> None:
    """A piano's root alone on one and its chord on two to four (a Broadway or stride left hand, the bass muted):
    the bars a beat late spread about as little as the true ones (the root belongs to the chord), and the spread
    alone kept the analysis's late phase. The harmony changes most into the true one."""
    sr, beat = 22050, 0.5
    triads = [(261.63, 329.63, 392.0), (220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    t = np.arange(int(beat * sr)) / sr
    beats_audio = []
    for bar in range(12):
        chord = triads[bar % 4]
        beats_audio.append(np.sin(2 * np.pi * chord[0] / 2 * t))  # the root, an octave down, alone on one
        beats_audio += [sum(np.sin(2 * np.pi * f * t) for f in chord) for _ in range(3)]
    chroma = chroma_frames(np.concatenate(beats_audio).astype(np.float32), sr)
    beats = np.arange(48) * beat
    for current in range(4):
        assert bar_phase(chroma, beats, 4, current=current) == 0, current


def test_without_the_analysis_key_the_bars_chords_give_it() -> None:
    chords = [parse_chord(s) for s in ("B7", "E", "A", "E")]
    assert key_of(None, chords).name == "E major"
    assert key_of("D minor", chords).name == "D minor"
    assert key_of(None, []).name == "C major"


def test_the_bar_phase_the_analysis_holds_longest_is_kept() -> None:
    """A song whose bars shift a beat after a short intro (a 3-beat bar): the grid keeps one phase, the one
    most of the analysis's downbeats fall on, not the intro's (Ob-La-Di: its bars on the annotated downbeats
    0.42 -> 0.49). A tie keeps the first downbeat's phase; no downbeats, phase 0."""
    beats = np.arange(64) * 0.5
    intro = beats[0:12:4]  # phase 0 for three bars
    rest = beats[15::4]  # then phase 3 (a 3-beat bar) for the rest
    assert downbeat_phase(beats, list(intro) + list(rest), 4) == 3
    assert downbeat_phase(beats, [beats[1], beats[5], beats[10], beats[14]], 4) == 1
    assert downbeat_phase(beats, [], 4) == 0


def test_a_short_bar_in_the_analysis_is_a_short_bar_in_the_grid_and_the_midi() -> None:
    """A 4/4 song with one 3-beat bar (the analysis's downbeats move by three beats there, as in Ob-La-Di): the
    grid's bars follow them, the clip's bar played there leaves out its last beat, the MIDI file writes a 3/4
    bar and 4/4 again, and every later bar still starts on a downbeat (one bar phase kept them a beat off)."""
    beats = np.arange(41) * 0.5  # 120 bpm, 20 s
    downbeats = [0, 4, 8, 11, 15, 19, 23, 27, 31, 35, 39]  # the 3rd bar has 3 beats
    lengths = irregular_bar_lengths(downbeats, 4)
    assert lengths == [4, 4, 3, 4, 4, 4, 4, 4, 4, 4]
    assert irregular_bar_lengths([0, 4, 8, 12], 4) == [] and irregular_bar_lengths([0, 7, 11], 4) == [4, 3, 4]
    grid = build_grid(beats, [0.0], "4/4", 20.0, bar_lengths=lengths)
    assert [grid.bar_span(i)[0] for i in range(grid.bars)][:5] == pytest.approx([0.0, 2.0, 4.0, 5.5, 7.5])
    assert grid.end_position == int(grid.bar_starts[-1]) and grid.time_at(grid.end_position) >= 20.0 - 1e-9
    notes = [Note(36, q * 0.5, q * 0.5 + 0.25, 100) for q in range(16)]  # a quarter note on every beat, 4 bars
    placed = place_notes(notes, grid, tempo=120.0)
    starts = [p.start for p in placed]
    assert len(placed) == 15  # the 3rd bar's 4th beat is left out: the 4th bar starts at 5.5 s
    assert starts == pytest.approx(list(beats[:15]))
    pads = pad_notes([parse_chord("C")] * grid.bars, grid)
    assert [p.start for p in pads if p.pitch == 60][:4] == pytest.approx([0.0, 2.0, 4.0, 5.5])
    pm = pretty_midi.PrettyMIDI(io.BytesIO(write_midi(grid, {"drums": placed, "pad": pads})))
    meters = [(ts.numerator, ts.denominator, round(ts.time, 3)) for ts in pm.time_signature_changes]
    assert meters == [(4, 4, 0.0), (3, 4, 4.0), (4, 4, 5.5)]
    assert sorted(n.start for n in pm.instruments[0].notes) == pytest.approx(list(beats[:15]), abs=1e-3)


@pytest.mark.parametrize(("duration", "bars"), [(8.0001, 4), (8.04, 4), (8.06, 5), (7.9, 4)])
def test_a_bar_line_on_the_last_samples_opens_no_bar(duration: float, bars: int) -> None:
    # 0.5 s beats, bars of 2 s: a recording that ends on the bar line at 8 s has 4 bars, not a fifth
    # that would play a whole bar past its end; one that sounds on into the fifth bar gets it.
    beats = np.arange(16) * 0.5
    grid = build_grid(beats, [0.0], "4/4", duration)
    assert grid.bars == bars


@pytest.mark.parametrize(
    ("chart", "heard", "meter"),
    [
        ("C / / / | G / / / |", "4/4", "4/4"),  # the slashes fit what was heard: no note
        ("Am F C G", "3/4", "3/4"),  # no slashes: the heard meter
        ("C / / | G / / |", "4/4", "3/4"),  # a waltz's chart over a recording heard in 4/4
        ("C / / | G / / |", None, "3/4"),
        ("C / / / | G / / / |", "6/8", "12/8"),  # the recording's beats are dotted quarters
        ("C / / F / / | G / |", "4/4", "6/8"),  # a compound meter's eighths and its dotted beats
        ("C / / / / | G / / / / |", "3/4", "5/4"),
    ],
)
def test_a_charts_slashes_set_the_accompaniments_bars(chart: str, heard: str | None, meter: str) -> None:
    got, note = chart_meter(parse_chart(chart), heard)
    assert got == (heard if meter == heard else meter)
    if meter == heard:
        assert note is None
    else:
        assert note is not None and f"bars are {meter}" in note and f"heard as {heard or '4/4'}" in note


def test_a_chart_no_meter_can_play_is_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"bar 2 \('G / / /'\) counts 4 beats"):
        chart_meter(parse_chart("C / / | G / / / |"), "4/4")  # bar 1 already misfits 4/4; the bars disagree
    with pytest.raises(InvalidParameter, match="at most 16 beats a bar"):
        chart_meter(parse_chart("C / / / / / / | G / / / / / / |"), "6/8")  # 7 dotted beats: 21/8
    with pytest.raises(InvalidParameter, match="changes chord on beat"):
        chart_meter(parse_chart("C / / / / / F / / |"), "4/4")  # 9/8's change, but the beats heard make 9/4
