"""A MIDI tempo map that follows a recording's detected beats, quantisation on that grid, and the
MIDI file of transcribed notes.

Every detected beat is a tempo change, so a DAW that imports the file draws its grid on the
recording's beats (a performance that drifts stays lined up); notes keep their real times (their
ticks are read off the same map). Before the first beat, beats of the first interval go back to 0 s (a
remainder under a quarter of a beat joins the earliest one), and those with the detected beats before the
first downbeat make a lead-in measure of its own meter (1/4 for a one-beat pickup), so the first downbeat
opens a bar at a tempo a DAW keeps (20-300 BPM); a first beat within a quarter note at 300 BPM of 0 s has a 16th
before it instead (a 5/16 measure with a one-beat pickup), and one within a 16th at 300 BPM (50 ms) starts the grid
(ai/lead_in.py).
After the last beat its tempo continues.
"""

from __future__ import annotations

import dataclasses
import heapq
import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import mido
import numpy as np

from ai.lead_in import SIXTEENTH_QUARTERS, lead_in, lead_in_meter, lead_in_sixteenth

PPQ = 480  # ticks per quarter note
DEFAULT_BPM = 120.0  # the grid when no beats were found
_MIN_BEATS = 2


@dataclass(frozen=True)
class BeatGrid:
    """Knots of the map: ``times`` (s) and their ``ticks``, both increasing [shape=(k,)], with
    ``times[0] == ticks[0] == 0``. ``ticks_per_beat``: ticks of one counted beat (a dotted
    quarter in 6/8); ``numerator``/``denominator``: the meter written into the file."""

    times: np.ndarray
    ticks: np.ndarray
    ticks_per_beat: int
    numerator: int = 4
    denominator: int = 4
    lead_in_beats: int = 0
    """Counted beats of the measure before the first downbeat when it is not whole bars (0: none)."""
    lead_in_ticks: int = 0
    """Ticks before the first beat when they are less than a beat (a 16th: ai/lead_in.py), else 0."""

    def meters(self) -> list[tuple[int, int, int]]:
        """(tick, numerator, denominator) of the file's time signatures: the lead-in measure's, then the meter."""
        if not self.lead_in_beats and not self.lead_in_ticks:
            return [(0, self.numerator, self.denominator)]
        compound = self.ticks_per_beat == int(round(PPQ * 1.5))
        lead = lead_in_meter(self.lead_in_beats, self.denominator, compound=compound, sixteenth=self.lead_in_ticks > 0)
        downbeat = self.lead_in_ticks + self.lead_in_beats * self.ticks_per_beat
        return [(0, *lead), (downbeat, self.numerator, self.denominator)]

    @property
    def end_seconds_per_tick(self) -> float:
        return float((self.times[-1] - self.times[-2]) / (self.ticks[-1] - self.ticks[-2]))

    def to_ticks(self, seconds: np.ndarray | Sequence[float]) -> np.ndarray:
        """Fractional ticks of times (s); linear between beats, the last tempo after them."""
        t = np.asarray(seconds, dtype=np.float64)
        inside = np.interp(t, self.times, self.ticks)
        after = self.ticks[-1] + (t - self.times[-1]) / self.end_seconds_per_tick
        out: np.ndarray = np.where(t > self.times[-1], after, inside)
        return out

    def to_seconds(self, ticks: np.ndarray | Sequence[float]) -> np.ndarray:
        """Times (s) of (fractional) ticks: the inverse of :meth:`to_ticks`."""
        k = np.asarray(ticks, dtype=np.float64)
        inside = np.interp(k, self.ticks, self.times)
        after = self.times[-1] + (k - self.ticks[-1]) * self.end_seconds_per_tick
        out: np.ndarray = np.where(k > self.ticks[-1], after, inside)
        return out

    def tempo_changes(self) -> list[tuple[int, int]]:
        """(tick, microseconds per quarter note) at every knot."""
        changes = []
        for i in range(len(self.times) - 1):
            seconds_per_tick = (self.times[i + 1] - self.times[i]) / (self.ticks[i + 1] - self.ticks[i])
            changes.append((int(self.ticks[i]), int(round(seconds_per_tick * PPQ * 1e6))))
        return changes

    def bpm_at_beats(self) -> list[float]:
        """Quarter-note BPM of each knot's segment (what the tempo events say)."""
        return [round(60e6 / tempo, 3) for _, tempo in self.tempo_changes()]


def _meter(time_signature: str | None) -> tuple[int, int, float]:
    """(numerator, denominator, quarters per counted beat) of "4/4", "6/8" ...; 4/4 when unknown."""
    try:
        top, bottom = (int(part) for part in (time_signature or "4/4").split("/"))
    except ValueError:
        top, bottom = 4, 4
    if bottom == 8 and top % 3 == 0:
        return top, bottom, 1.5  # compound: the counted beat is a dotted quarter
    return top, bottom, 4.0 / bottom


def beat_grid(
    beat_times: Sequence[float],
    downbeat_times: Sequence[float] = (),
    time_signature: str | None = None,
    tempo: float | None = None,
) -> BeatGrid:
    """The map of detected beats (s). With fewer than two beats: a constant ``tempo`` (quarter
    BPM; default 120)."""
    numerator, denominator, quarters_per_beat = _meter(time_signature)
    ticks_per_beat = int(round(PPQ * quarters_per_beat))
    beats = np.unique(np.asarray([b for b in beat_times if b > 0], dtype=np.float64))
    if beats.size < _MIN_BEATS:
        seconds_per_tick = 60.0 / ((tempo or DEFAULT_BPM) * PPQ)
        return BeatGrid(
            times=np.array([0.0, PPQ * seconds_per_tick]),
            ticks=np.array([0.0, float(PPQ)]),
            ticks_per_beat=ticks_per_beat,
            numerator=numerator,
            denominator=denominator,
        )
    beats_per_bar = numerator // 3 if quarters_per_beat == 1.5 else numerator
    first_interval = float(beats[1] - beats[0])
    downbeats = np.asarray(downbeat_times, dtype=np.float64)
    first_down = 0
    if downbeats.size and beats_per_bar > 1:  # beats before the first downbeat (earlier whole bars are bars)
        first_down = int(np.argmin(np.abs(beats - downbeats[0]))) % beats_per_bar
    lead, beats = lead_in(beats, first_interval, quarters_per_beat)  # ai/lead_in.py
    slots = len(lead)
    sixteenth = lead_in_sixteenth(float(beats[0]), quarters_per_beat)
    lead_ticks = int(round(PPQ * SIXTEENTH_QUARTERS)) if sixteenth else 0
    times = np.concatenate([[0.0] if sixteenth else [], lead, beats])
    ticks = np.arange(times.size - (1 if sixteenth else 0)) * float(ticks_per_beat)
    if sixteenth:  # the 16th before the first beat: knots (0 s, 0) then (first beat, a 16th)
        ticks = np.concatenate([[0.0], ticks + lead_ticks])
    return BeatGrid(
        times=times,
        ticks=ticks,
        ticks_per_beat=ticks_per_beat,
        numerator=numerator,
        denominator=denominator,
        lead_in_beats=(slots + first_down) % beats_per_bar if beats_per_bar > 1 else 0,
        lead_in_ticks=lead_ticks,
    )


def parse_subdivision(text: str) -> Fraction:
    """A grid step as a fraction of a whole note: "1/16" -> 1/16, "1/8t" (triplet) -> 1/12."""
    value = text.strip().lower()
    triplet = value.endswith("t")
    top, sep, bottom = value.removesuffix("t").partition("/")
    if not sep or not top.isdigit() or not bottom.isdigit() or int(top) < 1 or int(bottom) < 1:
        raise ValueError(f"{text!r}: use a note value such as 1/4, 1/8, 1/16, 1/32 or 1/8t")
    step = Fraction(int(top), int(bottom))
    return step * Fraction(2, 3) if triplet else step


def quantize_times(
    grid: BeatGrid, starts: np.ndarray, ends: np.ndarray, step: Fraction
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (s) moved to the nearest grid line of ``step`` (a fraction of a whole note)
    on the beat map; a note keeps at least one step."""
    step_ticks = float(step * 4 * PPQ)
    zero = grid.lead_in_ticks  # the grid's lines count from the first beat (after a lead-in 16th)
    on = np.maximum(np.round((grid.to_ticks(starts) - zero) / step_ticks) * step_ticks + zero, 0.0)
    off = np.maximum(np.round((grid.to_ticks(ends) - zero) / step_ticks) * step_ticks + zero, on + step_ticks)
    return grid.to_seconds(on), grid.to_seconds(off)


@dataclass(frozen=True)
class MidiNote:
    pitch: int
    start: float
    end: float
    velocity: int
    pitch_bends: Sequence[float] | None = None  # semitones, evenly spaced over the note


def struck_once(notes: Sequence[MidiNote]) -> list[MidiNote]:
    """``notes`` with no pitch struck again while it sounds, sorted by (start, pitch): a note still sounding
    when the same pitch starts again ends there (keeping the bends of the time it still sounds), and of notes
    of one pitch that start together (two hits a 100 ms drum note apart, or quantised onto one step) the
    loudest is kept. Such a file had a second note-on before the first note-off, and a note-off with no
    note-on after it, which a strict DAW pairs wrongly or refuses (bench/midi_validity.py)."""
    kept = _one_strike_at_a_time([(n.pitch, n.start, n.end, n.velocity) for n in notes])
    return [notes[i] if end == notes[i].end else _cut(notes[i], end) for i, end in kept]


def bent_alone(notes: Sequence[MidiNote]) -> list[MidiNote]:
    """``notes`` with no bends on a note that sounds together with another: the file's notes share one channel,
    whose pitch wheel bends every note sounding (basic-pitch's rule, which the notes meet as they are found).
    Quantising can bring two notes together that were apart: a violin's note bent by a third of a semitone, moved
    onto the 1/8t step of the note before it, bent that note too."""
    together = _sounding_together([(n.start, n.end) for n in notes])
    return [
        dataclasses.replace(n, pitch_bends=None) if i in together and n.pitch_bends else n for i, n in enumerate(notes)
    ]


def _sounding_together(spans: Sequence[tuple[float, float]]) -> set[int]:
    """The indices of the (start, end) spans, in any unit, that overlap another span (touching is not overlapping)."""
    together: set[int] = set()
    sounding: list[tuple[float, int]] = []  # (end, index) of the spans started so far, a heap by end
    for i in sorted(range(len(spans)), key=lambda k: spans[k][0]):
        start, end = spans[i]
        while sounding and sounding[0][0] <= start:
            heapq.heappop(sounding)
        if sounding:
            together.add(i)
            together.update(k for _, k in sounding)
        heapq.heappush(sounding, (end, i))
    return together


def _one_strike_at_a_time(spans: Sequence[tuple[int, float, float, int]]) -> list[tuple[int, float]]:
    """:func:`struck_once`'s rule on (pitch, start, end, velocity) spans in any unit (seconds, or a file's ticks):
    (index, end) of each span kept, sorted by (start, pitch); the end is cut where its pitch starts again."""
    by_pitch: dict[int, list[list[float]]] = {}  # pitch -> [index, end] of its kept spans
    for i in sorted(range(len(spans)), key=lambda k: (spans[k][1], -spans[k][3])):
        pitch, start, end, _ = spans[i]
        same = by_pitch.setdefault(pitch, [])
        if same and start <= spans[int(same[-1][0])][1]:
            continue  # starts with a louder one of its pitch
        if same and start < same[-1][1]:
            same[-1][1] = start
        same.append([i, end])
    kept = [(int(i), end) for same in by_pitch.values() for i, end in same]
    return sorted(kept, key=lambda k: (spans[k[0]][1], spans[k[0]][0]))


def _cut(note: MidiNote, end: float) -> MidiNote:
    """``note`` ending at ``end``, with the bends of the part it still plays."""
    bends = note.pitch_bends
    if bends:
        kept = int(np.ceil(len(bends) * (end - note.start) / (note.end - note.start)))
        bends = list(bends[: max(1, kept)])
    return MidiNote(note.pitch, note.start, end, note.velocity, bends)


PITCH_BEND_RANGE = 2.0  # semitones at full wheel (the GM default)


def midi_file(
    notes: Sequence[MidiNote],
    grid: BeatGrid,
    *,
    program: int = 0,
    drums: bool = False,
    name: str = "Transcription",
    end_s: float = 0.0,
    key_signature: str | None = None,
) -> bytes:
    """A type-1 MIDI file: track 0 the tempo map, meter and (``key_signature``, mido's name: 'Db', 'F#m') the
    key, track 1 the notes (channel 10 for drums), with their pitch bends (a bend range of 2 semitones). Both
    tracks end at ``end_s`` (the recording's length) or at the last note-off if later: a DAW imports a clip as
    long as the audio it came from. A pitch is never struck again while it sounds (:func:`struck_once`, here
    on the ticks, where two starts a tick apart in seconds can meet)."""
    end = int(round(float(grid.to_ticks([end_s])[0]))) if end_s > 0 else 0
    ticks = [tuple(int(round(t)) for t in grid.to_ticks([n.start, n.end])) for n in notes]
    kept = _one_strike_at_a_time([(n.pitch, on, off, n.velocity) for n, (on, off) in zip(notes, ticks, strict=True)])
    placed = [(notes[i], ticks[i][0], max(int(off), ticks[i][0] + 1)) for i, off in kept]
    together = _sounding_together([(on, off) for _, on, off in placed])  # their bends would bend the others too
    end = max([end, *(off for _, _, off in placed)])  # the tempo map ends with the notes, not before them
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=name, time=0))
    if key_signature is not None:
        conductor.append(mido.MetaMessage("key_signature", key=key_signature, time=0))
    absolute: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
    for tick, numerator, denominator in grid.meters():  # before the tempo at the same tick
        absolute.append((tick, -1, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator)))
    for tick, tempo in grid.tempo_changes():
        absolute.append((tick, 0, mido.MetaMessage("set_tempo", tempo=tempo)))
    _append_delta(conductor, absolute, end)

    channel = 9 if drums else 0
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
    if not drums:
        events.append((0, 0, mido.Message("program_change", program=program, channel=channel)))
    for index, (note, on, off) in enumerate(placed):
        # Order within a tick: offs (0) before bends (1) before ons (2), so a repeated note restarts.
        events.append((on, 2, mido.Message("note_on", note=note.pitch, velocity=note.velocity, channel=channel)))
        events.append((off, 0, mido.Message("note_off", note=note.pitch, velocity=0, channel=channel)))
        if note.pitch_bends and not drums and index not in together:
            bend_times = np.linspace(note.start, note.end, len(note.pitch_bends), endpoint=False)
            last = None
            for tick, semitones in zip(grid.to_ticks(bend_times), note.pitch_bends, strict=True):
                value = int(np.clip(round(semitones / PITCH_BEND_RANGE * 8192), -8192, 8191))
                if int(round(tick)) >= off:  # the note was cut where its pitch starts again
                    break
                if value != last:
                    events.append((int(round(tick)), 1, mido.Message("pitchwheel", pitch=value, channel=channel)))
                    last = value
            events.append((off, 0, mido.Message("pitchwheel", pitch=0, channel=channel)))
    _append_delta(track, events, end)
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    midi.tracks.extend([conductor, track])
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _append_delta(
    track: mido.MidiTrack, events: list[tuple[int, int, mido.Message | mido.MetaMessage]], end: int = 0
) -> None:
    now = 0
    for tick, _, message in sorted(events, key=lambda item: (item[0], item[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
