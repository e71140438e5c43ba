"""Onset-peak notes (:mod:`ai.transcription.note_decoding`) made while the model's output comes, a
stretch of frames at a time, never holding the whole output: the same notes as
:func:`~ai.transcription.note_decoding.decode_notes` over the whole output.

Whether a note starts at a frame is read off the frames LOOK_BEHIND before and LOOK_AHEAD after it,
so the starts are decided up to LOOK_AHEAD frames before the newest frame, over a buffer that keeps
LOOK_BEHIND frames before the first undecided one. A note that has started keeps its own frames (its
column of the note posteriorgram, and the band of the contour its pitch bends read) until its end is
settled: GAP_FRAMES frames under the frame threshold, the next start at its pitch, or the end of the
output. The onset support's running sums go on from the frames that left the buffer, so its values,
and with them every decision, are the same bits as over the whole output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ai.transcription.note_decoding import (
    LOOK_AHEAD,
    LOOK_BEHIND,
    LOWEST_MIDI,
    PeakDecoding,
    note_end,
    note_starts,
    settled_end,
)

Band = Callable[[int], tuple[int, int]]
"""The columns ``[lo, hi)`` of the extra output (basic-pitch's contour) that a note at a MIDI pitch needs."""


@dataclass(frozen=True)
class StreamedNote:
    """A finished note: frames ``[start, end)``, its pitch, amplitude (as decode_notes gives them) and
    ``band``: its rows of the extra output's band [shape=(end - start, hi - lo)], or None without one."""

    start: int
    end: int
    pitch: int
    amplitude: float
    band: np.ndarray | None


@dataclass
class _OpenNote:
    start: int
    key: int
    column: np.ndarray  # the note posterior at its key from its start to the newest frame
    band: np.ndarray | None  # the extra output's band from its start to the newest frame


class NoteStream:
    """:func:`~ai.transcription.note_decoding.decode_notes` fed a stretch of frames at a time.

    ``band``: with an extra output (the contour) passed to :meth:`add`, which of its columns a note
    keeps for its pitch. :meth:`add` and :meth:`finish` answer the notes they finished, in the order
    their ends were settled (decode_notes' order: sort them by start, then pitch)."""

    def __init__(self, options: PeakDecoding, band: Band | None = None) -> None:
        self.options = options
        self.band = band
        self.frames = 0  # frames added so far
        self._decided = 0  # note starts before this frame are decided
        self._base = 0  # the buffer's first frame
        self._onset = np.zeros((0, 0), dtype=np.float32)
        self._note = np.zeros((0, 0), dtype=np.float32)
        self._extra: np.ndarray | None = None
        self._total_before: np.ndarray | None = None  # the note posterior's running sum before _base
        self._open: dict[int, _OpenNote] = {}

    def add(self, onset: np.ndarray, note: np.ndarray, extra: np.ndarray | None = None) -> list[StreamedNote]:
        """The next frames of the output: onset and note [shape=(frames, keys)], and the extra output
        [shape=(frames, bins)] when the notes keep a band of it. Answers the notes these frames finish."""
        if onset.shape[0] == 0:
            return []
        if self.frames == 0:
            self._onset, self._note = onset[:0], note[:0]
            self._extra = None if extra is None else extra[:0]
            self._total_before = np.zeros(note.shape[1], dtype=np.float64)
        for open_note in self._open.values():
            open_note.column = np.concatenate((open_note.column, note[:, open_note.key]))
            if open_note.band is not None and extra is not None:
                lo, hi = self._band(open_note.key)
                open_note.band = np.concatenate((open_note.band, extra[:, lo:hi]))
        self._onset = np.concatenate((self._onset, onset))
        self._note = np.concatenate((self._note, note))
        if self._extra is not None and extra is not None:
            self._extra = np.concatenate((self._extra, extra))
        self.frames += onset.shape[0]
        return self._settle(final=False)

    @property
    def buffered_frames(self) -> int:
        """Frames of the posteriorgrams held for the starts still to decide (open notes hold their own)."""
        return self._onset.shape[0]

    def finish(self) -> list[StreamedNote]:
        """The notes still open at the end of the output (the last frame ends them)."""
        if self.frames < 2:  # decode_notes: no notes
            self._open.clear()
            return []
        return self._settle(final=True)

    def _band(self, key: int) -> tuple[int, int]:
        assert self.band is not None
        return self.band(key + LOWEST_MIDI)

    def _settle(self, *, final: bool) -> list[StreamedNote]:
        limit = self.frames if final else self.frames - LOOK_AHEAD
        if limit <= self._decided and not final:
            return []
        frame_threshold = self.options.frame_threshold
        accepted = note_starts(self._onset, self._note, self.options, self._total_before)
        accepted = accepted[self._decided - self._base : limit - self._base]
        if final and accepted.shape[0]:
            accepted[-1] = False  # nothing can follow the last frame (decode_notes' rule)
        last = self.frames - 1
        finished: list[StreamedNote] = []
        for column_key in np.flatnonzero(accepted.any(axis=0)):
            key = int(column_key)
            starts = [int(s) + self._decided for s in np.flatnonzero(accepted[:, key])]
            earlier = self._open.pop(key, None)
            if earlier is not None:  # the next start at its pitch ends it
                finished += self._close(
                    earlier, note_end(earlier.column, 0, starts[0] - earlier.start, frame_threshold)
                )
            for start, stop in pairwise(starts):  # started and ended by the next within these frames
                between = self._opened(start, key, stop)
                finished += self._close(between, note_end(between.column, 0, stop - start, frame_threshold))
            self._open[key] = self._opened(starts[-1], key, self.frames)
        for key, open_note in list(self._open.items()):
            end: int | None
            if final:
                end = note_end(open_note.column, 0, last - open_note.start, frame_threshold)
            else:
                end = settled_end(open_note.column, 0, self.frames - open_note.start, frame_threshold)
            if end is not None:
                del self._open[key]
                finished += self._close(open_note, end)
        self._keep_from(max(limit - LOOK_BEHIND, 0))
        self._decided = limit
        return finished

    def _opened(self, start: int, key: int, stop: int) -> _OpenNote:
        """A note starting at ``start`` with its frames in the buffer up to ``stop``."""
        column = self._note[start - self._base : stop - self._base, key].copy()
        band = None
        if self._extra is not None:
            lo, hi = self._band(key)
            band = self._extra[start - self._base : stop - self._base, lo:hi].copy()
        return _OpenNote(start, key, column, band)

    def _close(self, note: _OpenNote, end: int) -> list[StreamedNote]:
        """The note ending at ``end`` frames from its start, unless it is too short (decode_notes' rules)."""
        end = min(end, self.frames - 1 - note.start)  # decode_notes' bound: the output's last frame
        if end < self.options.minimum_note_frames:
            return []
        amplitude = float(np.mean(note.column[:end]))
        band = None if note.band is None else note.band[:end]
        return [StreamedNote(note.start, note.start + end, note.key + LOWEST_MIDI, amplitude, band)]

    def _keep_from(self, frame: int) -> None:
        """Drop the buffer's frames before ``frame``, carrying the note posterior's running sum over them."""
        drop = frame - self._base
        if drop <= 0:
            return
        assert self._total_before is not None
        sums = np.empty((drop + 1, self._note.shape[1]), dtype=np.float64)
        sums[0] = self._total_before
        sums[1:] = self._note[:drop]
        self._total_before = np.cumsum(sums, axis=0)[-1]  # the same additions, in the same order, as the whole output's
        self._onset, self._note = self._onset[drop:], self._note[drop:]
        if self._extra is not None:
            self._extra = self._extra[drop:]
        self._base = frame
