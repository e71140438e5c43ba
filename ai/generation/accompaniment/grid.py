"""The recording's beat grid: the beats as positions, the meter, the bars (irregular ones too) and the lead-in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ai.analysis.pipeline import AnalysisResult
from ai.lead_in import SIXTEENTH_QUARTERS, lead_in, lead_in_sixteenth
from ai.music_theory import ChordChart
from utils.errors import EngineError, InvalidParameter

PPQ = 480
"""MIDI ticks per quarter note of the answer's file."""
MIN_BEATS = 4
"""Fewer detected beats than this is no pulse to follow (silence, speech)."""


END_SLACK_S = 0.05
"""A bar the recording reaches less than this far into gets no part (a bar line that falls on its last samples)."""


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


def median_tempo(grid: BeatGrid) -> float:
    """Quarter notes per minute from the median detected beat interval, within 20..300."""
    detected = np.diff(grid.times[grid.first_beat : grid.first_beat + grid.detected])
    interval = float(np.median(detected)) if len(detected) else 0.5
    return float(min(max(60.0 * grid.quarters_per_beat / interval, 20.0), 300.0))
