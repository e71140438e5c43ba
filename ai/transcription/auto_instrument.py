"""``instrument=auto``: which transcription fits a recording (drums, one line, or polyphonic notes).

A musician drops a sung idea, a sax solo, a drum loop or a piano part and expects the right notes without naming
the instrument. The choice, in order:

- drums: the analysis heard drums and percussion alone (:mod:`ai.analysis.drums_only`);
- melody (one line): the polyphonic notes rarely sound two at a time at an interval other than a note's own
  sound: :func:`chord_share`, the share of the sounding time where two notes at an interval outside
  :data:`OWN_INTERVALS` (a semitone: vibrato's neighbour; the octave, twelfth and double octave: harmonics) sound
  together, is at most :data:`MAX_LINE_CHORD_SHARE`. A sung line's notes overlap where one rings into the next,
  for tens of milliseconds; a chord part's sound together for most of its length;
- otherwise pitched (polyphonic): a chord part made one line would lose its notes, so the threshold sits where no
  chord part of the tuning sets falls under it (``bench/transcription_auto.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ChosenInstrument = Literal["pitched", "melody", "drums"]

OWN_INTERVALS = frozenset({1, 12, 19, 24})
"""Semitones between two notes that a single sung or played note makes (as :mod:`~ai.transcription.one_line`):
a vibrato's or slide's neighbour, its octave, twelfth and double octave."""
MAX_LINE_CHORD_SHARE = 0.2
"""The most of its sounding time a recording may have two notes sounding together at other intervals and still be
transcribed as one line: 0.8 of the lowest share of a chord part in bench/transcription_auto.py's tuning part (a
trance pad, 0.26; strummed rock guitars 0.39-0.46, piano chorales 0.87 and more). Sung-like tunes whose notes ring
into the next in a room reach 0.62 there: those stay pitched, which loses no note."""
MIN_LINE_NOTES = 3
"""Fewer notes than this say nothing of a line: pitched (which loses none)."""


class _Note(Protocol):
    @property
    def pitch(self) -> int: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


def chord_share(notes: Sequence[_Note]) -> float:
    """The share of the time any of ``notes`` sounds during which two of them sound together at an interval outside
    OWN_INTERVALS; 0.0 for no notes."""
    bounds = sorted({t for n in notes for t in (n.start, n.end)})
    if len(bounds) < 2:
        return 0.0
    by_start = sorted(notes, key=lambda n: n.start)
    sounding_s = chord_s = 0.0
    active: list[_Note] = []
    k = 0
    for left, right in zip(bounds[:-1], bounds[1:], strict=True):
        while k < len(by_start) and by_start[k].start <= left:
            active.append(by_start[k])
            k += 1
        active = [n for n in active if n.end > left]
        if not active:
            continue
        span = right - left
        sounding_s += span
        pitches = sorted({n.pitch for n in active})
        if any(b - a not in OWN_INTERVALS for i, a in enumerate(pitches) for b in pitches[i + 1 :]):
            chord_s += span
    return chord_s / sounding_s if sounding_s > 0 else 0.0


@dataclass(frozen=True)
class InstrumentChoice:
    """What ``instrument=auto`` chose and why (``reason``, for the answer's ``instrument_note``); ``chord_share``: the
    measure it read (None for drums)."""

    instrument: ChosenInstrument
    reason: str
    chord_share: float | None = None


def drums_choice() -> InstrumentChoice:
    return InstrumentChoice("drums", "auto: drums and percussion alone (no pitched notes) were heard: drum hits")


def pitched_or_line(
    notes: Sequence[_Note], *, max_chord_share: float = MAX_LINE_CHORD_SHARE, min_notes: int = MIN_LINE_NOTES
) -> InstrumentChoice:
    """melody when the polyphonic ``notes`` are one line (:func:`chord_share` at most ``max_chord_share``, and at
    least ``min_notes`` notes), else pitched."""
    share = chord_share(notes)
    percent = f"{100 * share:.0f}%"
    if len(notes) < min_notes:
        return InstrumentChoice(
            "pitched", f"auto: {len(notes)} notes are too few to tell one line: pitched notes (polyphonic)", share
        )
    if share <= max_chord_share:
        return InstrumentChoice(
            "melody",
            f"auto: one note at a time (two notes sound together at another interval than a note's own harmonics "
            f"{percent} of the time, at most {100 * max_chord_share:.0f}%): a melody, one line",
            share,
        )
    return InstrumentChoice(
        "pitched",
        f"auto: notes sound together ({percent} of the time, more than {100 * max_chord_share:.0f}% for one line): "
        "pitched notes (polyphonic, chords kept)",
        share,
    )
