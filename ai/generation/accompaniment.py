"""An accompaniment for a recording: drums, bass and a pad that follow its own beats, meter, key and chords.

The recording is analysed (:func:`ai.analysis.pipeline.analyze`); the chord heard over every bar
becomes the progression; the engine's generators (theory or Magenta) write drums and bass on a
nominal tempo; every note is then moved onto the recording's real beat grid: a note at beat
position ``b`` (beats from the first downbeat) sounds at the time interpolated between the
recording's beat times, so a recording that drifts is followed. Corrections come first: the
analysis's beats (on a 23 ms frame grid) move onto prominent onsets at a 2.9 ms hop, follow a
robust local fit of the tempo curve, get back a first beat the tracker skipped, move onto the
foot of the attacks where every attack is soft (no earlier than their own attacks), and become a constant-tempo or
tempo-ramp grid unless they sit on clearly stronger onsets or trace a tempo of their own
(:mod:`ai.generation.beat_following`, :mod:`ai.generation.steady_tempo`); the bar phase is checked against the harmony
(:func:`bar_phase`: bars hold chords); each bar's root is the one its chroma holds over the whole bar
(:mod:`ai.generation.bar_harmony`), or, for a melody alone (a sung or played line, whose chroma names no
chord), the chord that harmonises the bar's notes in a likely progression (:mod:`ai.generation.melody_harmony`).
The answer is one multi-track MIDI file whose tempo map has a tempo at every beat (from the beat
intervals), so a DAW that imports it at time 0 lines up with the audio, and optionally an audio preview: the parts rendered
with FluidSynth through a GM soundfont and mixed under the recording by loudness.

Time before the first downbeat (a pickup, silence) becomes one lead-in measure of its own length
and meter (e.g. 1/4 for a one-beat pickup): the first downbeat opens the first full bar. Where the
analysis's bars change length inside the recording (a 2/4 or 3/4 bar in a 4/4 song moves every later
downbeat) and the harmony agrees with its phase, the grid keeps the recording's bars: the generated
clip's bar played over a short bar leaves out its end, and the MIDI file writes that bar's meter.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import mido
import numpy as np
import soxr

from ai import progress
from ai.analysis.pipeline import (
    SILENCE_DBFS,
    AnalysisResult,
    analyze_summary,
    reported_tuning,
    summarize_audio,
    warm_up_music,
)
from ai.analysis.rhythm.core import MIN_SECONDS as MIN_PULSE_SECONDS
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio
from ai.audio.encode import encode_audio
from ai.audio.loudness import integrated_loudness
from ai.generation.bar_harmony import (
    changes_at_half_bar,
    chroma_at,
    chroma_signal,
    chroma_signal_in_place,
    heard_chords,
    span_chroma,
)
from ai.generation.base import GenerationRequest, GeneratorRegistry, Note
from ai.generation.beat_following import REFINE_SR, followed_beats, onset_cues
from ai.generation.drum_styles import normalise_drum_style, style_meter_note
from ai.generation.melody_harmony import harmonise, harmonise_scored, is_melody, load_model
from ai.generation.melody_meter import melody_meter
from ai.generation.midi_events import delta_track, key_events, note_events
from ai.generation.preview import render_midi, stereo
from ai.generation.progression_key import key_of_progression
from ai.heap import release_free_memory
from ai.lead_in import SIXTEENTH_QUARTERS, lead_in, lead_in_meter, lead_in_sixteenth
from ai.music_theory import Chord, ChordChart, Key, default_progression, parse_chart, parse_chord, parse_key
from utils.errors import EngineError, InvalidParameter

logger = logging.getLogger(__name__)

PPQ = 480
"""MIDI ticks per quarter note of the answer's file."""
MIN_BEATS = 4
"""Fewer detected beats than this is no pulse to follow (silence, speech)."""
ACCOMPANIMENT_PARTS = ("drums", "bass", "pad")
PART_ALIASES = {"drums": "drums", "drum": "drums", "beat": "drums", "bass": "bass", "bassline": "bass",
                "pad": "pad", "chords": "pad", "keys": "pad"}  # fmt: skip
PROGRAMS = {"bass": 33, "pad": 89}  # GM: Electric Bass (finger), Pad 2 (warm)
CHANNELS = {"drums": 9, "bass": 0, "pad": 1}
PAD_LOW = 55
"""The pad voices each chord tone in the octave from G3 (a close voicing under a vocal's range)."""
PAD_VELOCITY = 56
PREVIEW_LEVEL_DB = -4.0
"""The rendered parts' integrated loudness relative to the recording's: under it, audible."""
PREVIEW_PEAK = 0.98
MAX_TEMPO_US = 0xFFFFFF
END_SLACK_S = 0.05
"""A bar the recording reaches less than this far into gets no part (a bar line that falls on its last samples)."""
PHASE_MARGIN = 0.15
"""Another bar phase replaces the analysis's downbeats when its score (:func:`bar_phase`: the bars' chroma spread
less the change as they open, each over its mean across the phases) is this much lower. 0.15, not session 34's 0.1:
full-band songs, whose drums and bass put the analysis's bars right (76 of 80 rendered songs), had 6 of 7 moves
wrong at 0.1 (a jazz waltz a beat late: QA pass 5a), 3 of 4 at 0.15; the drumless tuning renders keep their 10 right
moves (83 of 93 bars right at both) and the Beatles tuning songs gain one (49 -> 50 of 58: bench/README.md,
accompaniment, session 35)."""
HARMONY_SOURCES = ("auto", "recording", "melody")
"""Where the bar chords come from: ``recording`` the chords heard in it
(:func:`~ai.generation.bar_harmony.heard_chords`), ``melody`` chords chosen to harmonise its melody (:func:`~ai.generation.melody_harmony.harmonise`: for a melody
alone, whose chroma names no chord), ``auto`` the second where the recording is a melody alone
(:func:`~ai.generation.melody_harmony.is_melody`), else the first. The answer's source may also be ``given`` (the
request's chords, or the request's key's progression) or ``default`` (a recording with no key, nothing given:
:data:`NO_KEY_DEFAULT` and its progression): see :func:`_given_progression`."""
NO_KEY_DEFAULT = "C"
"""The key of the parts over a recording that has no key (drums alone, unpitched sound: the analysis answers none)
when the request names no key or chords (as the generation endpoints' default); its progression is
:func:`~ai.music_theory.default_progression`'s."""


NoBeatCause = Literal["silent", "short", "no_pulse"]


class NoBeatFound(EngineError):
    """The recording has no beat to follow (422). ``cause`` says why in one word, for a sentence a voice
    assistant can say (:func:`api.command_speech.spoken_error`): the detail is the analysis's technical notes."""

    status_code = 422
    code = "no_beat"

    def __init__(self, detail: str, *, cause: NoBeatCause = "no_pulse") -> None:
        super().__init__(detail)
        self.cause: NoBeatCause = cause


@dataclass(frozen=True)
class BeatGrid:
    """The recording's beats as a grid of positions: ``times[k]`` is where beat position ``k`` sounds
    (seconds). Position 0 is time 0, or the first beat after a lead-in 16th (``lead_in_ticks``); ``downbeat``
    is the position of the first downbeat (after the lead-in); positions past the detected beats are
    extrapolated at the last interval. Position ``p`` is MIDI tick ``lead_in_ticks + p * ticks_per_beat``."""

    times: np.ndarray  # [shape=(n,)] seconds, increasing, times[0] == 0 unless lead_in_ticks
    downbeat: int  # position of the first downbeat (= beats in the lead-in measure)
    beats_per_bar: int  # counted beats per bar (2 in 6/8)
    quarters_per_beat: float  # 1.5 in 6/8, 1 in 4/4, 2 in 2/2
    numerator: int
    denominator: int
    bars: int  # full bars from the first downbeat that cover the recording
    detected: int  # beats the analysis found (the rest of ``times`` is lead-in or extrapolation)
    first_beat: int = 0  # position of the first detected beat
    bar_lengths: tuple[int, ...] = ()
    """Beats in each bar from the first downbeat, where the recording's bars are not all alike (a bar of 2
    or 3 beats in a 4/4 song: :func:`irregular_bar_lengths`); empty: every bar has ``beats_per_bar``."""
    lead_in_ticks: int = 0
    """Ticks of a lead-in 16th before position 0 (a first beat too soon after 0 s for a lead-in beat:
    ai/lead_in.py), else 0."""

    @property
    def ticks_per_beat(self) -> int:
        return int(round(PPQ * self.quarters_per_beat))

    @property
    def bar_starts(self) -> np.ndarray:
        """[shape=(bars + 1,), int64] the position of each bar's first beat, then the end position."""
        lengths = self.bar_lengths or (self.beats_per_bar,) * self.bars
        starts: np.ndarray = self.downbeat + np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        return starts

    @property
    def end_position(self) -> int:
        return int(self.bar_starts[-1])

    @property
    def change_beats(self) -> int:
        """Beats from a bar line to where a bar of two chords changes: the middle, the longer half first in an odd
        bar (as :attr:`GenerationRequest.change_beat <ai.generation.base.GenerationRequest.change_beat>`)."""
        return (self.beats_per_bar + 1) // 2

    def positions(self, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid positions of ``beats`` counted from the first downbeat in whole bars of ``beats_per_bar`` (a
        clip generated in the meter), and whether each falls inside its bar: a short bar plays the start of
        the clip's bar and leaves out the rest (its positions are clipped to the bar's end)."""
        x = np.asarray(beats, dtype=np.float64)
        if not self.bar_lengths:
            return self.downbeat + x, np.ones(x.shape, dtype=bool)
        starts, per_bar = self.bar_starts, self.beats_per_bar
        bar = np.clip(np.floor(x / per_bar + 1e-9).astype(np.int64), 0, self.bars - 1)
        offset = x - bar * per_bar
        length = np.diff(starts)[bar]
        inside = offset < length - 1e-9
        return starts[bar] + np.minimum(offset, length), inside

    def time_at(self, position: float | np.ndarray) -> np.ndarray:
        """Seconds at beat position(s), linear between grid points, extrapolated beyond them."""
        p = np.asarray(position, dtype=np.float64)
        t = self.times
        out = np.interp(p, np.arange(len(t)), t)
        last = len(t) - 1
        out = np.where(p > last, t[-1] + (p - last) * (t[-1] - t[-2]), out)
        result: np.ndarray = np.where(p < 0, t[0] + p * (t[1] - t[0]), out)
        return result

    def bar_span(self, bar: int) -> tuple[float, float]:
        starts = self.bar_starts
        a, b = self.time_at(np.array([starts[bar], starts[bar + 1]], dtype=np.float64))
        return float(a), float(b)


def meter_of(time_signature: str | None) -> tuple[int, int, int, float]:
    """(numerator, denominator, counted beats per bar, quarter notes per counted beat)."""
    top, bottom = (int(x) for x in (time_signature or "4/4").split("/"))
    if bottom == 8 and top % 3 == 0:  # compound: the analysis counts dotted quarters
        return top, bottom, top // 3, 1.5
    return top, bottom, top, 4.0 / bottom


MAX_CHART_NUMERATOR = 16  # as a generation request's time_signature


def chart_meter(chart: ChordChart, heard: str | None) -> tuple[str | None, str | None]:
    """(the accompaniment's meter, a note where it is not the one heard) when the caller gives a chart. Its beat
    slashes are the caller's word on the bar: where they fit the meter heard (or count nothing) the heard one
    stands, else the bars hold as many of the recording's beats as the slashes count ('C / / | F / / |' over a
    recording heard in 4/4: 3/4; over 6/8, whose beats are dotted quarters, 'C / / /': 12/8). The analysis reads a
    meter wrong on a quarter of real recordings (bench/README.md, analysis); before this, the chart's bars were
    played at the heard length and its changes drifted off its slashes. Raises InvalidParameter (chords) where
    its bars disagree or its count makes no meter."""
    top, bottom, _, quarters = meter_of(heard)
    try:
        chart.check_meter(top, bottom)
        return heard, None
    except ValueError:
        pass
    counts = sorted({c for c in chart.counts if c is not None})
    try:
        chart.check_counts_agree()
    except ValueError as exc:
        raise InvalidParameter("chords", str(exc)) from exc
    if len(counts) == 2:  # a compound meter's eighths and its dotted-quarter beats ('C / / F / / | G /')
        meter = f"{counts[1]}/8"
    elif quarters == 1.5:  # the recording's beats are dotted quarters
        meter = f"{3 * counts[0]}/8"
    else:
        meter = f"{counts[0]}/{bottom}"
    numerator, unit = (int(x) for x in meter.split("/"))
    if numerator > MAX_CHART_NUMERATOR:
        raise InvalidParameter(
            "chords",
            f"the chords' slashes count bars of {meter}, heard as {heard or '4/4'}; at most {MAX_CHART_NUMERATOR} "
            "beats a bar",
        )
    try:
        chart.check_meter(numerator, unit)  # where its second chords start in that meter
    except ValueError as exc:
        raise InvalidParameter("chords", str(exc)) from exc
    return (
        meter,
        f"the bars are {meter}, as the chords' slashes count the recording's beats (heard as {heard or '4/4'})",
    )


def _edge_interval(intervals: np.ndarray, *, first: bool) -> float:
    part = intervals[:4] if first else intervals[-4:]
    return float(np.mean(part))


def build_grid(
    beat_times: Sequence[float] | np.ndarray,
    downbeat_times: Sequence[float],
    time_signature: str | None,
    duration: float,
    *,
    bar_lengths: Sequence[int] = (),
) -> BeatGrid:
    """The grid of a recording's beats (seconds), first downbeat and meter, covering ``duration``;
    ``bar_lengths``: the beats of the bars from the first downbeat where they are not all alike (regular bars
    follow them to the end).

    Raises :class:`NoBeatFound` with fewer than MIN_BEATS beats."""
    beats = np.asarray(sorted(float(b) for b in beat_times), dtype=np.float64)
    if len(beats) < MIN_BEATS:
        raise NoBeatFound(f"the recording has no beat to follow ({len(beats)} beats found): send music with a pulse")
    numerator, denominator, per_bar, qpb = meter_of(time_signature)
    intervals = np.diff(beats)
    if np.any(intervals <= 0):
        raise NoBeatFound("the detected beats are not increasing")
    first_db = 0
    if len(downbeat_times):
        first_db = int(np.argmin(np.abs(beats - float(downbeat_times[0]))))
    lengths = [per_bar] * (first_db // per_bar) + [int(n) for n in bar_lengths] if bar_lengths else []
    first_db %= per_bar  # earlier whole bars are bars too, not a longer pickup

    # Lead-in: virtual beats of the first interval back from the first beat to time 0 (ai/lead_in.py).
    sixteenth = lead_in_sixteenth(float(beats[0]), qpb)  # then position 0 is the first beat, at its time
    lead, beats = lead_in(beats, _edge_interval(intervals, first=True), qpb)
    points = lead + beats.tolist()
    downbeat = len(lead) + first_db

    # Tail: extrapolate at the last interval past the end of the recording, then to the bar line.
    last_interval = _edge_interval(intervals, first=False)
    while points[-1] < duration:
        points.append(points[-1] + last_interval)
    # A bar line on the recording's last samples opens no bar: the parts would play a whole bar past the end.
    end_pos = float(np.interp(max(duration - END_SLACK_S, points[0]), points, np.arange(len(points))))
    if lengths:  # the recording's bars until they cover it, then regular ones
        starts = np.concatenate([[0], np.cumsum(lengths)]) + downbeat
        covered = int(np.searchsorted(starts, end_pos - 1e-6))  # bars whose end reaches past the recording
        lengths = lengths[: max(1, covered)]
        left = end_pos - (downbeat + sum(lengths))
        lengths += [per_bar] * max(0, math.ceil(left / per_bar - 1e-6))
        if all(n == per_bar for n in lengths):
            lengths = []
    bars = len(lengths) if lengths else max(1, math.ceil((end_pos - downbeat) / per_bar - 1e-6))
    end = downbeat + (sum(lengths) if lengths else bars * per_bar)
    while len(points) - 1 < end:
        points.append(points[-1] + last_interval)
    return BeatGrid(
        times=np.asarray(points),
        downbeat=downbeat,
        beats_per_bar=per_bar,
        quarters_per_beat=qpb,
        numerator=numerator,
        denominator=denominator,
        bars=bars,
        detected=len(beats),
        first_beat=len(lead),
        bar_lengths=tuple(lengths),
        lead_in_ticks=int(round(PPQ * SIXTEENTH_QUARTERS)) if sixteenth else 0,
    )


def irregular_bar_lengths(downbeat_beats: Sequence[int] | np.ndarray, per_bar: int) -> list[int]:
    """The beats of each bar between the analysis's downbeats (beat indices), where some bar is not
    ``per_bar`` long (the analysis moved its bar phase: a 2/4 bar in a 4/4 song); [] where all are. A gap of
    more than a bar is whole bars and a short one (7 beats in 4/4: 4 + 3)."""
    gaps = np.diff(np.unique(np.asarray(downbeat_beats, dtype=np.int64)))
    if per_bar < 2 or gaps.size == 0 or np.all(gaps == per_bar):
        return []
    lengths: list[int] = []
    for gap in gaps.tolist():
        whole, rest = divmod(int(gap), per_bar)
        lengths += [per_bar] * whole + ([rest] if rest else [])
    return lengths


def mono_at(audio: DecodedAudio, sample_rate: int = REFINE_SR) -> np.ndarray:
    """np.ndarray [shape=(n,), float32]: the mono mix at ``sample_rate`` (soxr)."""
    mono = audio.mono().astype(np.float32)
    if audio.sample_rate == sample_rate:
        return mono
    out: np.ndarray = soxr.resample(mono, audio.sample_rate, sample_rate)
    return out


def _downbeat_beats(beats: np.ndarray, downbeat_times: Sequence[float]) -> np.ndarray:
    """The index in ``beats`` nearest each of ``downbeat_times``."""
    times = np.asarray(downbeat_times, dtype=np.float64)
    return np.argmin(np.abs(beats[None, :] - times[:, None]), axis=1) if times.size else np.zeros(0, dtype=np.int64)


def _grid(
    beats: np.ndarray, analysis: AnalysisResult, per_bar: int, phase: int, *, irregular: bool, meter: str | None
) -> BeatGrid:
    """The accompaniment's grid in ``meter``: bars at ``phase``, or, where the analysis's bars change length
    inside the recording (its downbeats move by a beat or two: a 2/4 bar) and neither the harmony moved the
    phase nor the meter changed (``irregular``), the analysis's own bars from its first downbeat (simple
    meters: a compound bar is not cut)."""
    if irregular and meter_of(meter)[3] != 1.5:
        at = _downbeat_beats(beats, analysis.downbeat_times)
        lengths = irregular_bar_lengths(at, per_bar)
        if lengths:
            first = float(beats[int(np.min(at))])
            return build_grid(beats, [first], meter, analysis.duration, bar_lengths=lengths)
    return build_grid(beats, [float(beats[phase])], meter, analysis.duration)


def downbeat_phase(beats: np.ndarray, downbeat_times: Sequence[float], per_bar: int) -> int:
    """Which beat (0 .. per_bar - 1) the analysis's downbeats fall on most often: the grid keeps one bar phase,
    and where the analysis changes phase inside a recording (a bar of 2 or 3 beats in a song), the phase that
    holds longer is the one to keep, not the first (an intro's). Ties go to the first downbeat's."""
    if not len(downbeat_times) or per_bar < 2:
        return 0
    idx = _downbeat_beats(beats, downbeat_times)
    counts = np.bincount(idx % per_bar, minlength=per_bar)
    first = int(idx[0] % per_bar)
    best = int(np.argmax(counts))
    return first if counts[first] == counts[best] else best


def bar_phase(chroma: np.ndarray, beats: np.ndarray, per_bar: int, current: int) -> int:
    """Which beat (0 .. per_bar - 1) opens the bars: the analysis's ``current`` phase, unless another makes the
    bars clearly more harmonic: a bar holds a chord (its beats' chroma spreads little around the bar's mean) and
    the harmony changes as it opens (the chroma moves most from the beat before). Both are measured on the
    beat-synchronous chroma (``chroma``: :func:`~ai.generation.bar_harmony.chroma_frames`), each over its mean
    across the phases; a phase's score is its spread less its change, and another phase must score PHASE_MARGIN
    lower, with a smaller spread and a larger change than ``current``'s both. The spread alone left a Broadway
    groove's bars a beat late (its piano's root on one, chords on two and four: the right phase spread 13 % less,
    under the old 15 % margin); together they put 80 of 83 tuning recordings' bars right, against 76
    (bench/README.md, accompaniment, session 34); PHASE_MARGIN says how much lower another phase must score."""
    if per_bar < 2 or len(beats) < 3 * per_bar:
        return current
    beat_chroma = span_chroma(chroma, list(zip(beats[:-1], beats[1:], strict=True)))
    norms = np.linalg.norm(beat_chroma, axis=1, keepdims=True)
    beat_chroma = beat_chroma / np.maximum(norms, 1e-9)
    spread = np.zeros(per_bar)
    for phase in range(per_bar):
        bars = [beat_chroma[a : a + per_bar] for a in range(phase, len(beat_chroma) - per_bar + 1, per_bar)]
        spread[phase] = np.mean([np.sum((bar - bar.mean(axis=0)) ** 2) / per_bar for bar in bars])
    moves = np.sum(np.diff(beat_chroma, axis=0) ** 2, axis=1)  # moves[j]: from beat j into beat j + 1
    into = (np.arange(len(moves)) + 1) % per_bar
    change = np.array([moves[into == phase].mean() for phase in range(per_bar)])
    if spread.mean() <= 0.0 or change.mean() <= 0.0:  # one chord throughout: nothing tells the bars
        return current
    score = spread / spread.mean() - change / change.mean()
    best = int(np.argmin(score))
    # Both must agree: a line alone changes note on every beat, and its change measure alone moved sung bars.
    agree = spread[best] < spread[current] and change[best] > change[current]
    return best if agree and score[best] < score[current] - PHASE_MARGIN else current


def melody_bar_phase(chroma: np.ndarray, beats: np.ndarray, per_bar: int, current: int, key: Key | None) -> int:
    """Which beat (0 .. per_bar - 1) opens the bars of a melody alone: the phase whose bars the harmoniser
    finds most likely (:func:`~ai.generation.melody_harmony.harmonise_scored`'s best path, on the same number
    of whole bars from each phase: a chord a bar fits the notes of true bars better than of bars straddling two
    chords); ties keep ``current``. A line alone gives the analysis's downbeats and :func:`bar_phase`'s
    chroma spread little to go on (one note at a time spreads whatever the phase): on the tune split's
    rendered melodies of bench/melody_harmony.py the bar lines fell on the wrong beat in 13 of the 35 whose
    tempo and bar length were right (bench/melody_grid.py)."""
    if per_bar < 2 or len(beats) < 3 * per_bar:
        return current
    count = (len(beats) - per_bar) // per_bar  # whole bars every phase has
    scores = []
    for phase in range(per_bar):
        starts = beats[phase : phase + (count + 1) * per_bar : per_bar]
        scores.append(harmonise_scored(span_chroma(chroma, list(zip(starts[:-1], starts[1:], strict=True))), key)[1])
    best = int(np.argmax(scores))
    return best if scores[best] > scores[current] else current


# ---------------------------------------------------------------------------------- key and chords


def _parse_label(label: str) -> Chord | None:
    if not label or label == "N":
        return None
    try:
        return parse_chord(label)
    except ValueError:
        return None


def covering_chords(spans: Sequence[tuple[float, float]], chords: Sequence[dict[str, Any]]) -> list[Chord | None]:
    """For each (start, end) span in seconds, the detected chord (the analysis's segments) that covers most of
    it, or None where none does."""
    segments = [(float(c["start"]), float(c["end"]), _parse_label(str(c["label"]))) for c in chords]
    found: list[Chord | None] = []
    for a, b in spans:
        overlap: dict[str, tuple[float, Chord]] = {}
        for start, end, chord in segments:
            share = min(b, end) - max(a, start)
            if chord is not None and share > 0:
                held = overlap.get(chord.symbol, (0.0, chord))[0]
                overlap[chord.symbol] = (held + share, chord)
        found.append(max(overlap.values(), key=lambda item: item[0])[1] if overlap else None)
    return found


def bar_chords(grid: BeatGrid, chords: Sequence[dict[str, Any]], key: Key) -> list[Chord]:
    """The chord of every bar: the detected chord that covers most of it; a bar without one keeps the
    chord before it (the first chord found for bars before any), else the key's tonic triad."""
    found = covering_chords([grid.bar_span(bar) for bar in range(grid.bars)], chords)
    first = next((c for c in found if c is not None), None)
    if first is None:
        first = Chord(key.tonic, "m" if key.scale in ("minor", "dorian", "phrygian") else "")
    out: list[Chord] = []
    for chord in found:
        out.append(chord if chord is not None else (out[-1] if out else first))
    return out


def half_bar_chords(
    grid: BeatGrid, chroma: np.ndarray, detected: Sequence[dict[str, Any]], chords: Sequence[Chord]
) -> tuple[list[Chord], list[Chord | None]]:
    """(the chord each bar opens with, the chord it changes to at its middle or None where it holds one), given
    ``chords`` (one a bar, heard over the whole bar). Only full 4/4 bars split, where
    :func:`~ai.generation.bar_harmony.changes_at_half_bar` hears two chords clearly (a ii-V in one bar, a pop song's
    half-bar changes, a swing tune's two bars in one bar of a half-tempo grid); 3/4 and 6/8 bars keep one chord. A
    split bar changes to the chord heard over its second half and opens with its own chord, or, where that was the
    second half's, with the first half's (:func:`heard_chords` of the halves' chroma, the analysis's ``detected``
    segments lending quality and extensions as they do a bar's)."""
    first = list(chords)
    second: list[Chord | None] = [None] * len(chords)
    starts = grid.bar_starts
    full = [bar for bar in range(grid.bars) if starts[bar + 1] - starts[bar] == grid.beats_per_bar]
    if (grid.numerator, grid.denominator) != (4, 4) or not full:
        return first, second
    spans: list[tuple[float, float]] = []
    for bar in full:
        start, middle, end = (float(t) for t in grid.time_at(starts[bar] + np.array([0.0, 2.0, 4.0])))
        spans += [(start, middle), (middle, end)]
    halves = span_chroma(chroma, spans)
    changes, reopens = changes_at_half_bar(
        halves.reshape(len(full), 2, 12),
        [chords[bar] for bar in full],
        [chords[bar - 1] if bar > 0 else None for bar in full],
    )
    rows = [2 * i + half for i in np.flatnonzero(changes) for half in (0, 1)]
    if not rows:
        return first, second
    found = covering_chords([spans[r] for r in rows], detected)
    fallback = [f if f is not None else chords[full[r // 2]] for f, r in zip(found, rows, strict=True)]
    heard = heard_chords(halves[rows], fallback)
    for n, i in enumerate(np.flatnonzero(changes)):
        if reopens[i]:
            first[full[i]] = heard[2 * n]
        second[full[i]] = heard[2 * n + 1]
    return first, second


def key_of(analysis_key: str | None, chords: Sequence[Chord]) -> Key:
    """The analysis's key; without one, the key the bars' chords imply (as a generation request's), else C major."""
    if analysis_key:
        try:
            return parse_key(analysis_key)
        except ValueError:
            logger.warning("unreadable key %r from the analysis", analysis_key)
    return key_of_progression(chords) if chords else parse_key("C")


# ---------------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class PlacedNote:
    """A note on the recording's grid: MIDI ticks and seconds."""

    pitch: int
    start_tick: int
    end_tick: int
    start: float
    end: float
    velocity: int


def place_notes(
    notes: Sequence[Note], grid: BeatGrid, *, tempo: float, offset_quarters: float = 0.0
) -> list[PlacedNote]:
    """Notes of a clip generated at ``tempo`` (quarter notes per minute, starting at the first downbeat)
    moved onto the grid: quarter position q -> beat position downbeat + q / quarters_per_beat -> the
    time between the recording's beats there."""
    if not notes:
        return []
    seconds = np.array([[n.start, n.end] for n in notes], dtype=np.float64)
    quarters = seconds * (tempo / 60.0) + offset_quarters
    if grid.bar_lengths:  # a short bar leaves out the end of the clip's bar
        positions, inside = grid.positions(quarters / grid.quarters_per_beat)
        ticks = np.rint(grid.lead_in_ticks + positions * grid.ticks_per_beat).astype(np.int64)
        keep = inside[:, 0]
    else:
        positions = grid.downbeat + quarters / grid.quarters_per_beat
        ticks = np.rint(grid.lead_in_ticks + grid.downbeat * grid.ticks_per_beat + quarters * PPQ).astype(np.int64)
        keep = np.ones(len(notes), dtype=bool)
    times = grid.time_at(positions)
    placed = []
    for i, n in enumerate(notes):
        if not keep[i]:
            continue
        start_tick, end_tick = int(ticks[i, 0]), max(int(ticks[i, 1]), int(ticks[i, 0]) + 1)
        placed.append(
            PlacedNote(n.pitch, start_tick, end_tick, float(times[i, 0]), float(times[i, 1]), int(n.velocity))
        )
    return placed


def pad_notes(
    chords: Sequence[Chord],
    grid: BeatGrid,
    *,
    half_bar: Sequence[Chord | None] = (),
    velocity: int = PAD_VELOCITY,
) -> list[PlacedNote]:
    """A sustained close voicing of every bar's chord (each tone in the octave from PAD_LOW), one per bar; a bar
    whose ``half_bar`` chord is not None (:func:`half_bar_chords`) holds its first chord to the middle of the bar
    and that one from there."""
    out: list[PlacedNote] = []
    tpb = grid.ticks_per_beat
    starts = grid.bar_starts
    lead = grid.lead_in_ticks
    for bar, chord in enumerate(chords):
        start_pos, end_pos = int(starts[bar]), int(starts[bar + 1])
        second = half_bar[bar] if bar < len(half_bar) else None
        held = [(start_pos, end_pos, chord)]
        if second is not None:
            middle = start_pos + grid.change_beats
            held = [(start_pos, middle, chord), (middle, end_pos, second)]
        for a, b, sounding in held:
            start, end = (float(x) for x in grid.time_at(np.array([a, b])))
            for pc in sounding.pitch_classes:
                pitch = PAD_LOW + (pc - PAD_LOW) % 12
                out.append(PlacedNote(pitch, lead + a * tpb, lead + b * tpb - 1, start, end, velocity))
    return out


# ---------------------------------------------------------------------------------- MIDI file


def tempo_events(grid: BeatGrid) -> list[tuple[int, mido.MetaMessage]]:
    """A set_tempo at every beat of the grid (where it changes), from the beat intervals, plus the
    lead-in measure's meter and the recording's from the first downbeat."""
    tpb, lead = grid.ticks_per_beat, grid.lead_in_ticks
    events: list[tuple[int, mido.MetaMessage]] = []
    if grid.downbeat or lead:
        numerator, denominator = lead_in_meter(
            grid.downbeat, grid.denominator, compound=grid.quarters_per_beat == 1.5, sixteenth=lead > 0
        )
        events.append((0, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator)))
    events.append(
        (
            lead + grid.downbeat * tpb,
            mido.MetaMessage("time_signature", numerator=grid.numerator, denominator=grid.denominator),
        )
    )
    starts = grid.bar_starts
    for bar, numerator in _bar_meters(grid):  # a bar of another length, and the bar after it
        meter = mido.MetaMessage("time_signature", numerator=numerator, denominator=grid.denominator)
        events.append((lead + int(starts[bar]) * tpb, meter))
    previous = -1
    elapsed_us = 0.0  # tempo rounding is carried over so that the beats do not drift (1 us per beat)
    if lead:  # the lead-in 16th: from 0 s to the first beat
        previous = min(max(int(round(grid.times[0] * 1e6 * PPQ / lead)), 1), MAX_TEMPO_US)
        elapsed_us = previous * lead / PPQ
        events.append((0, mido.MetaMessage("set_tempo", tempo=previous)))
    for k in range(grid.end_position):
        target_us = grid.times[k + 1] * 1e6
        us_per_quarter = int(round((target_us - elapsed_us) / grid.quarters_per_beat))
        us_per_quarter = min(max(us_per_quarter, 1), MAX_TEMPO_US)
        elapsed_us += us_per_quarter * grid.quarters_per_beat
        if us_per_quarter != previous:
            events.append((lead + k * tpb, mido.MetaMessage("set_tempo", tempo=us_per_quarter)))
            previous = us_per_quarter
    events.sort(key=lambda e: e[0])  # stable: the meters stay before the tempo at their tick
    return events


def write_midi(grid: BeatGrid, parts: dict[str, list[PlacedNote]], key: Key | None = None) -> bytes:
    """One Type-1 MIDI file: the tempo map, meters and key signature, then one track per part (drums on
    channel 10)."""
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    end_tick = grid.lead_in_ticks + grid.end_position * grid.ticks_per_beat
    conductor: list[tuple[int, mido.MetaMessage]] = list(tempo_events(grid))
    if key is not None:  # the key the parts play in, for the DAW to show (and a mode's name, for a primer)
        conductor[:0] = [(0, event) for event in key_events(key)]
    midi.tracks.append(delta_track("tempo map", conductor, end_tick))
    for part, notes in parts.items():
        channel = CHANNELS[part]
        head: list[tuple[int, mido.MetaMessage | mido.Message]] = []
        if part in PROGRAMS:
            head.append((0, mido.Message("program_change", channel=channel, program=PROGRAMS[part])))
        body = note_events(((n.start_tick, n.end_tick, n.pitch, n.velocity) for n in notes), channel)
        midi.tracks.append(delta_track(part, head + body, end_tick))
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------- preview


def mix_preview(recording: DecodedAudio, parts: np.ndarray, *, level_db: float = PREVIEW_LEVEL_DB) -> np.ndarray:
    """The recording with ``parts`` (rendered at its rate) under it: the parts' integrated loudness set
    ``level_db`` from the recording's; the sum scaled down if it would clip. [shape=(2, n)]. Everything is
    held whole: the route mixes block by block from a stem file instead (:mod:`ai.generation.preview_mix`,
    the same bytes)."""
    sr = recording.sample_rate
    rec = recording.samples
    rec = stereo(rec)  # a 5.1 recording downmixed, as the block-wise preview reads it
    n = rec.shape[1]
    body = np.zeros((2, n), dtype=np.float32)
    body[:, : min(n, parts.shape[1])] = parts[:2, :n]
    rec_lufs = integrated_loudness(y=rec, sr=sr)
    parts_lufs = integrated_loudness(y=body, sr=sr)
    if rec_lufs is not None and parts_lufs is not None and math.isfinite(rec_lufs) and math.isfinite(parts_lufs):
        body *= np.float32(10 ** ((rec_lufs + level_db - parts_lufs) / 20))
    mix = rec.astype(np.float32) + body
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    if peak > PREVIEW_PEAK:
        mix *= np.float32(PREVIEW_PEAK / peak)
    return mix


# ---------------------------------------------------------------------------------- the whole


@dataclass(frozen=True)
class AccompanimentOptions:
    parts: tuple[str, ...] = ("drums", "bass")
    style: str | None = None
    temperature: float = 1.0
    seed: int = 0
    density: float = 0.5
    swing: float = 0.0
    humanize: float = 0.0
    microtiming: float = 0.0
    model: str | None = None
    preview: str | None = None  # None, "wav" or "flac"
    level_db: float = PREVIEW_LEVEL_DB
    harmony: str = "auto"  # one of HARMONY_SOURCES
    key: str | None = None  # the parts' key instead of the one heard ("F minor")
    chords: str | None = None  # one chord per bar, repeating, instead of the ones heard ("Fm Db Ab Eb")


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


def parse_parts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """'drums,bass' / 'drums bass pad' / a list -> the parts in the engine's order; raises InvalidParameter."""
    if value is None:
        return ("drums", "bass")
    words = (
        value.replace(",", " ").split()
        if isinstance(value, str)
        else [w for v in value for w in v.replace(",", " ").split()]
    )
    parts = set()
    for word in words:
        part = PART_ALIASES.get(word.strip().lower())
        if part is None:
            raise InvalidParameter("parts", f"'{word}' is not a part; use drums, bass and/or pad (chords)")
        parts.add(part)
    if not parts:
        raise InvalidParameter("parts", "no part named: use drums, bass and/or pad (chords), e.g. parts=drums,bass")
    return tuple(p for p in ACCOMPANIMENT_PARTS if p in parts)


def parse_harmony(value: str | None) -> str:
    """'auto' / 'recording' / 'melody' (any case; None: auto) -> one of HARMONY_SOURCES; raises InvalidParameter."""
    word = (value or "auto").strip().lower()
    if word not in HARMONY_SOURCES:
        raise InvalidParameter(
            "harmony",
            f"'{value}' is not a harmony source; use auto (default), recording (the chords heard in it) or melody "
            "(chords that harmonise a melody alone)",
        )
    return word


def harmony_source(harmony: str, chroma: np.ndarray) -> str:
    """Where the bar chords come from (``recording`` or ``melody``) for the option ``harmony`` (HARMONY_SOURCES)
    and the recording's chroma frames. ``auto`` keeps the recording's own chords when the melody harmony model
    did not load (logged there); ``melody`` then fails at the harmoniser (503)."""
    if harmony == "auto":
        return "melody" if is_melody(chroma) and load_model() is not None else "recording"
    return parse_harmony(harmony)


def median_tempo(grid: BeatGrid) -> float:
    """Quarter notes per minute from the median detected beat interval, within 20..300."""
    detected = np.diff(grid.times[grid.first_beat : grid.first_beat + grid.detected])
    interval = float(np.median(detected)) if len(detected) else 0.5
    return float(min(max(60.0 * grid.quarters_per_beat / interval, 20.0), 300.0))


def default_style(grid: BeatGrid) -> str:
    """The Magenta drums' and bass's style for a recording when the request names none: a waltz in 3/4, else
    rock's backbeat. Without one, the Magenta drums drew a groove of any style by seed (seed 1: a march's
    snare on every beat, no hi-hat, under a pop song)."""
    return "waltz" if (grid.numerator, grid.denominator) == (3, 4) else "rock"


def meter_mismatch(style: str | None, grid: BeatGrid) -> str | None:
    """Why a style of its own meter (a waltz: 3/4) plays in the recording's: its bars decide, as a time_signature
    asked for does for /generate. A waltz over a 4/4 song was played in 4/4 with nothing in the answer to say so."""
    meter = f"{grid.numerator}/{grid.denominator}"
    return style_meter_note(style, meter, f"the recording is in {meter}: played in its {meter} bars")


def accompany(
    audio: DecodedAudio, analysis: AnalysisResult, registry: GeneratorRegistry, options: AccompanimentOptions
) -> Accompaniment:
    """Drums, bass and/or a pad for ``audio`` (analysed as ``analysis``), on its beat grid, as one MIDI
    file (and a preview when ``options.preview`` names a format). Raises NoBeatFound without a pulse."""
    _check_pulse(analysis)
    return accompany_signal(mono_at(audio), analysis, registry, options, recording=audio)


def _check_pulse(analysis: AnalysisResult) -> None:
    if analysis.tempo is None or analysis.beats < MIN_BEATS:
        why = "; ".join(analysis.notes) or "no steady pulse was found"
        raise NoBeatFound(f"the recording has no beat to follow ({why})", cause=_no_beat_cause(analysis))


def _no_beat_cause(analysis: AnalysisResult) -> NoBeatCause:
    """Silent (the analysis's silence floor), too short for the beat tracker (under its 2 s of sound), or
    sound without a steady pulse."""
    if analysis.peak_dbfs is None or analysis.peak_dbfs < SILENCE_DBFS:
        return "silent"
    return "short" if analysis.duration < MIN_PULSE_SECONDS else "no_pulse"


@dataclass(frozen=True)
class RecordingCues:
    """What the accompaniment reads from the recording's signal besides the analysis: the onset envelope and
    band levels (beat refinement) and the constant-Q chroma (bar roots, bar phase). All are small (2.5 MB,
    10 MB and 1 MB for 30 minutes), so the 22,050 Hz signal (159 MB) can go before the analysis's later
    stages run."""

    onsets: np.ndarray
    """:func:`~ai.generation.beat_following.onset_envelope` of the mono mix at REFINE_SR."""
    bands: np.ndarray
    """:func:`~ai.generation.beat_following.onset_cues`'s band levels of the same mix (soft attacks)."""
    chroma: np.ndarray
    """:func:`~ai.generation.bar_harmony.chroma_at` of the same mix at the recording's tuning."""


def recording_cues(mono: np.ndarray, tuning_cents: float) -> RecordingCues:
    """:class:`RecordingCues` of the recording's mono mix at REFINE_SR [shape=(n,)]."""
    onsets, bands = onset_cues(mono)
    return RecordingCues(onsets, bands, chroma_at(chroma_signal(mono, REFINE_SR), tuning_cents=tuning_cents))


def take_recording_cues(summary: SignalSummary, tuning_cents: float) -> RecordingCues:
    """:func:`recording_cues` of the analysis's one-pass signal (``summary.y``, at REFINE_SR), letting that
    signal go as it becomes the chroma's half-rate copy (written over its own buffer): the constant-Q
    transform's working arrays never sit beside it. For ``analyze_summary(..., last_look=...)`` with the STFT pass's tuning as the analysis
    reports it (``reported_tuning``), which ``accompany_signal`` uses."""
    mono = summary.y
    onsets, bands = onset_cues(mono)
    summary.release_signal()  # ``mono`` is now the signal's only holder: its buffer becomes the half-rate copy
    half_rate = chroma_signal_in_place(mono, REFINE_SR)
    del mono
    release_free_memory()  # what the STFT pass's threads freed, before the constant-Q transform (ai/heap.py)
    return RecordingCues(onsets, bands, chroma_at(half_rate, tuning_cents=tuning_cents))


def analyse_with_cues(summary: SignalSummary) -> tuple[AnalysisResult, RecordingCues]:
    """The analysis of a recording's one-pass ``summary`` and its :class:`RecordingCues`, taken from the signal as the
    analysis's last look at it (:func:`take_recording_cues`), which lets the signal go before the later stages."""
    cues: list[RecordingCues] = []
    analysis = analyze_summary(
        summary,
        release_signal=True,
        last_look=lambda taken, spectral: cues.append(
            take_recording_cues(taken, reported_tuning(spectral.tuning_cents()))
        ),
    )
    return analysis, cues[0]


def warm_up(registry: GeneratorRegistry) -> None:
    """Accompany :func:`~ai.analysis.pipeline.warm_up_music` once as a request does (the analysis with its last
    look at the signal, drums, bass and a pad on the theory generators, no preview), so that the cues' lazy
    imports and numba kernels are ready before the first request: on a fresh install the first accompaniment
    of a 3-minute file took 17.6 s against 1.3 s for the next ones, 1.76 against 1.29 s once compiled
    (``bench/first_requests.py``)."""
    analysis, cues = analyse_with_cues(summarize_audio(warm_up_music()))
    accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("drums", "bass", "pad"), model="theory"))


def accompany_signal(
    mono: np.ndarray,
    analysis: AnalysisResult,
    registry: GeneratorRegistry,
    options: AccompanimentOptions,
    *,
    recording: DecodedAudio | None = None,
) -> Accompaniment:
    """:func:`accompany` of the recording's mono mix at REFINE_SR [shape=(n,)] (:func:`mono_at`'s, or the
    analysis's one-pass signal: the same samples), so a caller that never decodes the recording whole can
    accompany it. ``recording``: the decoded audio, needed only for a preview (mixed under it)."""
    _check_pulse(analysis)
    return accompany_cues(recording_cues(mono, analysis.tuning_cents), analysis, registry, options, recording=recording)


def accompany_cues(
    cues: RecordingCues,
    analysis: AnalysisResult,
    registry: GeneratorRegistry,
    options: AccompanimentOptions,
    *,
    recording: DecodedAudio | None = None,
) -> Accompaniment:
    """:func:`accompany_signal` from the recording's :class:`RecordingCues` (taken while its signal was at
    hand: :func:`take_recording_cues` as the analysis's last look at it)."""
    _check_pulse(analysis)
    env = cues.onsets
    beats = followed_beats(env, cues.bands, analysis.beat_times)
    chroma = cues.chroma
    given_key = parse_key(options.key) if options.key else None
    source, chart = _given_progression(options, given_key, recording_has_key=analysis.key is not None)
    if chart is None:
        source = harmony_source(options.harmony, chroma)
    meter, meter_note = (
        chart_meter(chart, analysis.time_signature) if chart is not None else (analysis.time_signature, None)
    )
    if source == "melody":  # a line alone: its own beat division and repetition tell its bars (melody_meter)
        meter = melody_meter(env, chroma, beats, meter)
    per_bar = meter_of(meter)[2]
    first = downbeat_phase(beats, analysis.downbeat_times, per_bar)
    provisional = given_key or key_of(analysis.key, [])
    # The bar line moves to where the heard chords change; chords that are not heard cannot move it.
    phase = first if chart is not None else bar_phase(chroma, beats, per_bar, first)
    if source == "melody":
        phase = melody_bar_phase(chroma, beats, per_bar, phase, provisional)
    grid = _grid(
        beats, analysis, per_bar, phase, irregular=phase == first and meter == analysis.time_signature, meter=meter
    )
    second: list[Chord | None] = []  # each bar's chord from its middle, where the heard harmony changes there
    if chart is not None:
        chords = [chart.bars[bar % len(chart.bars)] for bar in range(grid.bars)]
        # A bar of two chords changes at its middle; a short bar (2 beats in a 4/4 song) keeps its first.
        full = np.diff(grid.bar_starts) == grid.beats_per_bar
        second = [chart.changes[bar % len(chart.changes)] if full[bar] else None for bar in range(grid.bars)]
    else:
        bars = span_chroma(chroma, [grid.bar_span(bar) for bar in range(grid.bars)])
        if source == "melody":
            chords = harmonise(bars, provisional)
        else:
            chords = heard_chords(bars, bar_chords(grid, analysis.chords, provisional))
            chords, second = half_bar_chords(grid, chroma, analysis.chords, chords)
    half_bar = tuple(second) if any(c is not None for c in second) else ()
    if given_key is not None:
        key = given_key
    elif source == "default":
        key = parse_key(NO_KEY_DEFAULT)
    else:
        key = key_of(None if options.chords else analysis.key, [*chords, *(c for c in second if c is not None)])
    tempo = median_tempo(grid)
    parts: dict[str, list[PlacedNote]] = {}
    models: dict[str, str] = {}
    styles: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for offset, part in enumerate(p for p in options.parts if p != "pad"):
        progress.check()  # a cancelled job or a gone client stops before the next part's model runs
        request = GenerationRequest(
            part="drums" if part == "drums" else "bass",
            key=key,
            chords=tuple(chords),
            tempo=tempo,
            bars=grid.bars,
            beats_per_bar=grid.numerator,
            beat_unit=grid.denominator,
            temperature=options.temperature,
            seed=options.seed + offset,
            density=options.density,
            swing=options.swing,
            humanize=options.humanize,
            microtiming=options.microtiming,
            style=options.style,
            half_bar_chords=half_bar,
        )
        generator, reason = registry.select(part, options.model, chords_given=True, request=request)
        if options.style is None and generator.family == "magenta":
            # Magenta with no style draws a groove of any style by seed (seed 1: a march's snare on every beat
            # under a pop song); the theory backend's own default is a plain backbeat.
            request = replace(request, style=default_style(grid))
            generator, reason = registry.select(part, options.model, chords_given=True, request=request)
        generator.initialize()
        clip = generator.generate(request).continuation()
        limit = grid.bars * grid.beats_per_bar * grid.quarters_per_beat * 60.0 / tempo
        notes = [n for n in clip.notes if n.start < limit - 1e-6]
        parts[part] = place_notes(notes, grid, tempo=clip.tempo)
        models[part] = clip.model
        styles[part] = normalise_drum_style(request.style)
        said = [why for why in (reason, meter_mismatch(request.style, grid)) if why]
        if said:
            reasons[part] = "; ".join(said)
    if "pad" in options.parts:
        parts["pad"] = pad_notes(chords, grid, half_bar=half_bar)
        models["pad"] = "chords"
    midi = write_midi(grid, parts, key)
    result = Accompaniment(grid, key, chords, tempo, parts, models, reasons, midi)
    result.half_bar_chords = list(half_bar)
    result.bar_phase_corrected = phase != first
    result.harmony_source = source
    result.styles = styles
    said = [
        note for note in (harmony_note(source, analysis, key, given_chords=bool(options.chords)), meter_note) if note
    ]
    result.harmony_note = "; ".join(said) if said else None
    if options.preview:
        if recording is None:
            raise ValueError("a preview is mixed under the recording: pass the decoded recording")

        rendered = render_midi(preview_midis(result), recording.sample_rate)
        mixed = mix_preview(recording, rendered, level_db=options.level_db)
        result.preview = encode_audio(mixed, recording.sample_rate, fmt=options.preview, bit_depth=16)
    return result


def _given_progression(
    options: AccompanimentOptions, given_key: Key | None, *, recording_has_key: bool
) -> tuple[str, ChordChart | None]:
    """(harmony source, the bars' chords: a chart whose bars may hold two) when the chords are not read from the
    recording; ("", None) when they are. The request's chords win. A recording with no key (the analysis answers none: drums alone, unpitched sound)
    has no chords to follow: the request's key's progression, else NO_KEY_DEFAULT's. A recording with a key keeps
    the chords heard in it whatever key is given (the key names the parts' key): a band follows the song's changes,
    and a key's stock progression over a song with other chords would clash with it."""
    if options.chords:
        return "given", parse_chart(options.chords)
    if not recording_has_key:
        if given_key is not None:
            return "given", ChordChart.of(default_progression(given_key))
        return "default", ChordChart.of(default_progression(parse_key(NO_KEY_DEFAULT)))
    return "", None


def harmony_note(source: str, analysis: AnalysisResult, key: Key, *, given_chords: bool) -> str | None:
    """The answer's word on where the chords came from when they are not the recording's own; None when they are."""
    if source not in ("given", "default"):
        return None
    played = "the chords given" if given_chords else f"{key.name}'s progression"
    if analysis.key is not None:
        return f"the parts play {played}, as asked, instead of the recording's chords (in {analysis.key})"
    why = next((note for note in analysis.notes if note.endswith(("no key", "no key or chords"))), None)
    heard = f" ({why})" if why else ""
    if source == "default":
        return f"the recording has no key{heard}: the parts play {played}, a default; give key or chords for another"
    return f"the recording has no key{heard}: the parts play {played}, as asked"


def preview_midis(result: Accompaniment) -> list[bytes]:
    """The MIDI files a preview renders: the drums, and the other parts together (two FluidSynth processes)."""
    groups = [[p for p in result.parts if p == "drums"], [p for p in result.parts if p != "drums"]]
    return [write_midi(result.grid, {p: result.parts[p] for p in group}) for group in groups if group]


def _bar_meters(grid: BeatGrid) -> list[tuple[int, int]]:
    """(bar index, numerator) of each bar whose length differs from the bar before: a 3/4 bar in a 4/4 song
    and the 4/4 after it; [] for regular bars (simple meters only: ``bar_lengths`` is never set for compound)."""
    changes: list[tuple[int, int]] = []
    shown = grid.beats_per_bar
    for bar, beats in enumerate(grid.bar_lengths):
        if beats != shown:
            changes.append((bar, grid.numerator if beats == grid.beats_per_bar else beats))
            shown = beats
    return changes


def meter_changes(grid: BeatGrid) -> list[dict[str, Any]]:
    """The bars whose meter differs from the bar before (1-based, with their start in seconds and meter), as
    the MIDI file's time signatures say; [] for regular bars."""
    return [
        {"bar": bar + 1, "start": round(grid.bar_span(bar)[0], 4), "time_signature": f"{numerator}/{grid.denominator}"}
        for bar, numerator in _bar_meters(grid)
    ]


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


__all__ = [
    "Accompaniment",
    "AccompanimentOptions",
    "BeatGrid",
    "NoBeatFound",
    "HARMONY_SOURCES",
    "PlacedNote",
    "accompany",
    "accompany_cues",
    "accompany_signal",
    "bar_chords",
    "build_grid",
    "covering_chords",
    "mix_preview",
    "half_bar_chords",
    "harmony_source",
    "melody_bar_phase",
    "pad_notes",
    "parse_harmony",
    "parse_parts",
    "place_notes",
    "preview_midis",
    "recording_cues",
    "meter_changes",
    "summary",
    "take_recording_cues",
    "tempo_events",
    "write_midi",
]
