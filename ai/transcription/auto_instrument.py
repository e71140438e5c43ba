"""``instrument=auto``: which transcription fits a recording (drums, one line, or polyphonic notes).

A musician drops a sung idea, a sax solo, a drum loop or a piano part and expects the right notes without naming
the instrument. The choice, in order:

- drums: the analysis heard drums and percussion alone (:mod:`ai.analysis.drums_only`), or the pitched model hears
  no note at all where the drum model hears hits (:func:`drums_for_no_notes`);
- melody (one line): the polyphonic notes sound one at a time, a note ringing on into the next counted as one line.
  A sung or blown line in a room rings each note into the next (legato; the room's tail: tens of ms to 0.4 s, longer
  than a reel's notes), so two notes sounding together at all (:func:`chord_share`) does not tell a line from
  chords. What does: a chord's notes start together and sound together (:func:`together_share`, the chord share
  once each note is cut where a note at another interval starts after it, at most :data:`MAX_TOGETHER_SHARE`), and
  an arpeggio's or a chord part's notes ring on three at a time where a line ringing into the next holds two
  (:func:`three_share`, at most :data:`MAX_THREE_SHARE`);
- otherwise pitched (polyphonic): a chord part made one line would lose its notes, so the thresholds sit where no
  chord part of the tuning sets falls under both (``bench/transcription_auto.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, Protocol

from ai.transcription.one_line import DEFAULT_LINE

ChosenInstrument = Literal["pitched", "melody", "drums"]

OWN_INTERVALS = frozenset({1, 12, 19, 24})
"""Semitones between two notes that a single sung or played note makes (as :mod:`~ai.transcription.one_line`):
a vibrato's or slide's neighbour, its octave, twelfth and double octave."""
TOGETHER_S = DEFAULT_LINE.together_s
"""Notes starting within this of each other started together (as :mod:`~ai.transcription.one_line` reads them)."""
MAX_TOGETHER_SHARE = 0.1
"""The most of its sounding time a recording's notes that started together may sound together at other intervals and
still be one line. bench/transcription_auto.py's tuning part: sung-like tunes 0.06 at most (a note decoded twice at
its start: a scoop, a split); the chord parts whose three_share is under MAX_THREE_SHARE 0.33 and more (a ska sax
section; power-chord guitars 0.96), but for a trance pad and an FX stem basic-pitch hears as a line (0.0, made one
line); a prelude's broken chords (0.03) are told by three_share."""
MAX_THREE_SHARE = 0.2
"""The most of its sounding time a one-line recording may have three notes at other intervals sounding together: a
line ringing into its next note holds two (sung-like tunes of the tuning part 0.15 at most, where a fast reel's
note rang through two); the tuning part's one chord part under MAX_TOGETHER_SHARE that basic-pitch hears as more
than a line, a prelude's broken chords, 0.53."""
MIN_LINE_NOTES = 3
"""Fewer notes than this say nothing of a line: pitched (which loses none)."""


class _Note(Protocol):
    @property
    def pitch(self) -> int: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


def _sounding_sets(notes: Sequence[_Note]) -> Iterator[tuple[float, frozenset[int]]]:
    """(seconds, the pitches sounding) of each stretch between two of ``notes``' starts and ends where any sounds."""
    bounds = sorted({t for n in notes for t in (n.start, n.end)})
    by_start = sorted(notes, key=lambda n: n.start)
    active: list[_Note] = []
    k = 0
    for left, right in zip(bounds[:-1], bounds[1:], strict=True):
        while k < len(by_start) and by_start[k].start <= left:
            active.append(by_start[k])
            k += 1
        active = [n for n in active if n.end > left]
        if active:
            yield right - left, frozenset(n.pitch for n in active)


def _share(notes: Sequence[_Note], holds: Callable[[frozenset[int]], bool]) -> float:
    """The share of the time any of ``notes`` sounds during which the pitches sounding satisfy ``holds``; 0.0 for no
    notes."""
    sounding_s = held_s = 0.0
    known: dict[frozenset[int], bool] = {}  # a long recording repeats its few sets of pitches
    for span, pitches in _sounding_sets(notes):
        sounding_s += span
        if pitches not in known:
            known[pitches] = holds(pitches)
        if known[pitches]:
            held_s += span
    return held_s / sounding_s if sounding_s > 0 else 0.0


def _apart(pitches: Sequence[int]) -> bool:
    """Whether every two of ``pitches`` lie at an interval outside OWN_INTERVALS."""
    return all(b - a not in OWN_INTERVALS for a, b in combinations(pitches, 2))


def chord_share(notes: Sequence[_Note]) -> float:
    """The share of the time any of ``notes`` sounds during which two of them sound together at an interval outside
    OWN_INTERVALS; 0.0 for no notes."""
    return _share(notes, lambda pitches: any(_apart(two) for two in combinations(sorted(pitches), 2)))


@dataclass(frozen=True)
class _Span:
    pitch: int
    start: float
    end: float


def rung_out(notes: Sequence[_Note], together_s: float = TOGETHER_S) -> list[_Span]:
    """``notes`` (sorted by start), each cut where a note at another interval than its own (OWN_INTERVALS) starts
    more than ``together_s`` after it: a line's note ringing on into the next ends there, a chord's notes sound
    together until the next note."""
    by_start = sorted(notes, key=lambda n: n.start)
    spans = []
    for i, note in enumerate(by_start):
        end = note.end
        for later in by_start[i + 1 :]:
            if later.start >= end:
                break
            if later.start - note.start > together_s and abs(later.pitch - note.pitch) not in {0, *OWN_INTERVALS}:
                end = later.start
                break
        spans.append(_Span(note.pitch, note.start, end))
    return spans


def together_share(notes: Sequence[_Note]) -> float:
    """:func:`chord_share` of the notes :func:`rung_out`: the share of the sounding time during which two notes that
    started together (within TOGETHER_S) sound together at another interval than a note's own."""
    return chord_share(rung_out(notes))


def three_share(notes: Sequence[_Note]) -> float:
    """The share of the time any of ``notes`` sounds during which three of them sound together, each two at an
    interval outside OWN_INTERVALS (a triad, an arpeggio's ringing notes); 0.0 for no notes."""
    return _share(notes, lambda pitches: any(_apart(trio) for trio in combinations(sorted(pitches), 3)))


@dataclass(frozen=True)
class InstrumentChoice:
    """What ``instrument=auto`` chose and why (``reason``, for the answer's ``instrument_note``); ``together_share``
    and ``three_share``: the measures it read (None for drums)."""

    instrument: ChosenInstrument
    reason: str
    together_share: float | None = None
    three_share: float | None = None


def drums_choice() -> InstrumentChoice:
    return InstrumentChoice("drums", "auto: drums and percussion alone (no pitched notes) were heard: drum hits")


NO_NOTES_NOTE = "auto: no pitched note was heard"
"""How :func:`drums_for_no_notes`' reason begins (what the command's speech looks for)."""


def drums_for_no_notes(hits: int) -> InstrumentChoice:
    """The choice where the analysis did not call the recording drums alone but the pitched model heard no note and the
    drum model ``hits`` hits (> 0): 14 of bench/transcription_auto.py's 15 drum stems the drums-only model misses
    have no pitched note at all, and an empty pitched answer told the user nothing."""
    return InstrumentChoice("drums", f"{NO_NOTES_NOTE}, and {hits} drum hits were: drum hits")


def pitched_or_line(
    notes: Sequence[_Note],
    *,
    max_together_share: float = MAX_TOGETHER_SHARE,
    max_three_share: float = MAX_THREE_SHARE,
    min_notes: int = MIN_LINE_NOTES,
) -> InstrumentChoice:
    """melody when the polyphonic ``notes`` are one line (:func:`together_share` at most ``max_together_share``,
    :func:`three_share` at most ``max_three_share``, at least ``min_notes`` notes), else pitched."""
    together, three = together_share(notes), three_share(notes)
    if len(notes) < min_notes:
        return InstrumentChoice(
            "pitched",
            f"auto: {len(notes)} notes are too few to tell one line: pitched notes (polyphonic)",
            together,
            three,
        )
    read = (
        f"notes that start together sound together {100 * together:.0f}% of the time (one line: at most "
        f"{100 * max_together_share:.0f}%), three at a time {100 * three:.0f}% (at most {100 * max_three_share:.0f}%)"
    )
    if together <= max_together_share and three <= max_three_share:
        return InstrumentChoice(
            "melody",
            f"auto: one note at a time, each ringing at most into the next ({read}): a melody, one line",
            together,
            three,
        )
    return InstrumentChoice(
        "pitched", f"auto: notes sound together ({read}): pitched notes (polyphonic, chords kept)", together, three
    )
