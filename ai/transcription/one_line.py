"""One line: a melody's notes one at a time, from the polyphonic decoder's notes.

A voice, a saxophone or a whistled idea plays one note at a time, but a polyphonic transcriber hears more: a
harmonic or a vibrato's neighbour inside a held note, the next note starting before the last has died away in
the room, two notes starting together where one is the other's octave. Ableton's "Convert Melody to MIDI"
answers the same need. Here the polyphonic notes are made into one line: notes that start together keep the
stronger; a weaker note inside a held one is dropped (its harmonic, or the wobble of its vibrato); otherwise the
line moves on, the earlier note ending where the next one starts. The line overlaps nothing, so every note keeps
its pitch bends (MIDI bends act on the whole channel: the polyphonic answer drops them where notes overlap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Event = tuple[float, float, int, float, list[int] | None]
"""(start s, end s, MIDI pitch, amplitude 0..1, bends: one per model frame from start to end, or None)."""


@dataclass(frozen=True)
class LineOptions:
    """How notes become one line (defaults chosen by bench/melody_transcription.py's tuning split)."""

    together_s: float = 0.06
    """Notes starting within this of each other started together: the stronger one is the line's note."""
    inside_ratio: float = 1.0
    """A note that starts and ends inside a held one is dropped when its amplitude is under this share of the held
    note's (1.0: any weaker one) and it sounds at one of ``inside_intervals`` from it."""
    inside_intervals: frozenset[int] | None = frozenset({-1, 1, 12, 19, 24})
    """Semitones from the held note at which a note inside it is its own sound: a vibrato's or a slide's
    neighbour, the octave, twelfth and double octave (its harmonics); None: any. Another note inside a held one,
    at another interval, is the next note of the line (a held note's decoded end often rings past it)."""
    merge_gap_s: float = 0.03
    """A note at the pitch of the one before, starting within this after it ends, continues it (0: never)."""
    minimum_s: float = 0.0
    """A note the line cut shorter than this is dropped (0: never)."""


DEFAULT_LINE = LineOptions()


def one_line(events: Sequence[Event], frame_s: float, options: LineOptions = DEFAULT_LINE) -> list[Event]:
    """``events`` as one line, sorted by start: no two overlap. ``frame_s``: the seconds between two bends."""
    line: list[Event] = []
    for event in sorted(events, key=lambda e: (e[0], -e[3])):
        while True:
            if not line or event[0] >= line[-1][1]:
                _append(line, event, frame_s, options)
                break
            held = line[-1]
            if event[0] - held[0] <= options.together_s:  # started together: the stronger is the line's
                if event[3] > held[3]:
                    line.pop()
                    continue  # the stronger one now meets the note before the one it replaced
                break
            related = options.inside_intervals is None or event[2] - held[2] in options.inside_intervals
            if event[1] <= held[1] and related and event[3] < options.inside_ratio * held[3]:
                break  # inside a held note and weaker: its harmonic, or its vibrato's neighbour
            line[-1] = _cut(held, event[0], frame_s)
            if line[-1][1] - line[-1][0] < options.minimum_s:
                line.pop()
                continue
            _append(line, event, frame_s, options)
            break
    return line


def _append(line: list[Event], event: Event, frame_s: float, options: LineOptions) -> None:
    """Add ``event`` after the line's last note (which ends at or before it starts), continuing that note when it
    is the same pitch and the gap is within ``options.merge_gap_s``."""
    if line and line[-1][2] == event[2] and options.merge_gap_s > 0.0 and event[0] - line[-1][1] <= options.merge_gap_s:
        held = line[-1]
        bends = None
        if held[4] is not None and event[4] is not None:
            gap = max(0, round((event[0] - held[0]) / frame_s) - len(held[4]))
            bends = [*held[4], *([held[4][-1]] * gap if held[4] else []), *event[4]]
        line[-1] = (held[0], max(held[1], event[1]), held[2], max(held[3], event[3]), bends)
        return
    line.append(event)


def _cut(event: Event, end: float, frame_s: float) -> Event:
    """``event`` ending at ``end`` (before its own end), its bends cut to the frames it keeps."""
    start, _, pitch, amplitude, bends = event
    if bends is not None:
        bends = bends[: max(1, round((end - start) / frame_s))]
    return (start, end, pitch, amplitude, bends)
