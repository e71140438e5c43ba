"""basic-pitch's own note creation (``note_creation.model_output_to_notes``) over its outputs kept in files.

basic-pitch decides its notes over the whole posteriorgram at once: the inferred onsets are scaled by the
whole file's maxima; each onset's note runs forward until ENERGY_TOL frames fall under the frame threshold,
however far that is, through an energy matrix that the later notes (taken first: onsets go backwards in
time) have cleared; the "melodia trick" then takes the loudest energy left anywhere in the file, again and
again, each time clearing a path through it. No stretch of frames can be decided from a bounded margin, so
here the outputs are kept in float32 files (:class:`~ai.audio.frame_file.FrameFile`, 274 MB at 30
minutes: never in memory) and its steps are run on them, reading only the rows they reach:

1. a pass over blocks of rows for the maxima of the onsets and of the frame differences;
2. a pass for the inferred onsets' peaks (each block with the rows next to it), the onsets kept;
3. the onsets backwards, each walking along its key's column as basic-pitch does; what it clears is
   marked in a boolean matrix (1 byte per frame and key: 13.6 MB at 30 minutes), not written;
4. the melodia trick: the energy left above the threshold, gathered block by block and sorted loudest
   first (ties in basic-pitch's argmax order), is exactly the order in which its repeated argmax finds it
   (energy is only ever cleared, so a point is taken when it is the loudest still there);
5. each note's amplitude and pitch bends from its own rows.

Every comparison and sum is basic-pitch's on the same values, so the notes are identical to
``model_output_to_notes`` on the whole output (tests/ai/transcription/test_basic_pitch_notes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from ai.audio.frame_file import FrameFile

ENERGY_TOL = 11
"""Frames under the frame threshold that end a note (``output_to_notes_polyphonic``'s ``energy_tol``)."""
N_DIFF = 2
"""Frames back that the inferred onsets difference over (``get_infered_onsets``' ``n_diff``)."""
KEYS = 88
MIDI_OFFSET = 21
BLOCK_ROWS = 8192
"""Rows per read of a pass over the file (2.9 MB of note or onset posterior)."""
WALK_ROWS = 64
"""Rows per read while a note walks along its key (most notes end within one read)."""

Event = tuple[Any, Any, Any, Any, Any]
"""(start, end, MIDI pitch, amplitude, bends or None) as ``model_output_to_notes`` gives them, in frames."""


@dataclass
class OutputFiles:
    """basic-pitch's note, onset and contour outputs [shape=(frames, 88 | 88 | 264)] in frame files."""

    note: FrameFile
    onset: FrameFile
    contour: FrameFile

    @classmethod
    def create(cls, directory: Path | None = None) -> OutputFiles:
        files: list[FrameFile] = []
        try:
            for width in (KEYS, KEYS, 3 * KEYS):
                files.append(FrameFile(width, directory))
        except BaseException:
            for made in files:
                made.close()
            raise
        return cls(*files)

    def append(self, batch: dict[str, np.ndarray]) -> None:
        """Add a batch of the model's output (``pitched.output_batches``'s)."""
        self.note.append(batch["note"])
        self.onset.append(batch["onset"])
        self.contour.append(batch["contour"])

    def close(self) -> None:
        for file in (self.note, self.onset, self.contour):
            file.close()

    def __enter__(self) -> OutputFiles:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class _Energy:
    """basic-pitch's ``remaining_energy``: the note posterior where ``cleared`` is False, 0 where it is True,
    read WALK_ROWS rows at a time around the frame asked for. Only keys inside the frequency range are
    walked along (their onsets and energy are the only ones above the thresholds), so the note file's own
    values are those of the frequency-constrained posterior there."""

    def __init__(self, note: FrameFile, cleared: np.ndarray) -> None:
        self.note = note
        self.cleared = cleared
        self._first = -1
        self._rows = np.zeros((0, KEYS), dtype=np.float32)

    def at(self, frame: int, key: int) -> float:
        if self.cleared[frame, key]:
            return 0.0
        if not self._first <= frame < self._first + self._rows.shape[0]:
            self._first = frame // WALK_ROWS * WALK_ROWS
            self._rows = self.note.rows(self._first, self._first + WALK_ROWS)
        return float(self._rows[frame - self._first, key])

    def clear_around(self, frame: int, key: int) -> None:
        """Clear a frame of the key and of its neighbours (as basic-pitch clears a walked frame)."""
        self.cleared[frame, key] = True
        if key < KEYS - 1:
            self.cleared[frame, key + 1] = True
        if key > 0:
            self.cleared[frame, key - 1] = True


def _constrained_rows(
    files: OutputFiles, nc: ModuleType, start: int, stop: int, freqs: tuple[Any, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(onset, note) rows ``start:stop`` with the keys outside the frequency range zeroed (``constrain_frequency``)."""
    onsets, frames = files.onset.rows(start, stop), files.note.rows(start, stop)
    min_freq, max_freq = freqs
    nc.constrain_frequency(onsets, frames, max_freq, min_freq)
    return onsets, frames


def _frame_diff(before: np.ndarray, frames: np.ndarray, first: int) -> np.ndarray:
    """``get_infered_onsets``' clipped frame differences of ``frames`` (rows from ``first``), ``before``
    being the N_DIFF rows before them (zeros before the file): float64, as there."""
    extended = np.concatenate([before, frames]).astype(np.float64)
    diff = np.minimum(extended[N_DIFF:] - extended[N_DIFF - 1 : -1], extended[N_DIFF:] - extended[:-N_DIFF])
    diff[diff < 0] = 0
    diff[: max(0, N_DIFF - first)] = 0
    return diff


def _blocks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, BLOCK_ROWS):
        yield start, min(n, start + BLOCK_ROWS)


def _maxima(files: OutputFiles, nc: ModuleType, freqs: tuple[Any, Any]) -> tuple[Any, Any]:
    """The whole file's largest onset (float32) and frame difference (float64)."""
    onset_max: Any = None
    diff_max: Any = None
    before = np.zeros((N_DIFF, KEYS), dtype=np.float32)
    for start, stop in _blocks(files.note.n_rows):
        onsets, frames = _constrained_rows(files, nc, start, stop, freqs)
        diff = _frame_diff(before, frames, start)
        onset_max = onsets.max() if onset_max is None else max(onset_max, onsets.max())
        diff_max = diff.max() if diff_max is None else max(diff_max, diff.max())
        before = np.concatenate([before, frames])[-N_DIFF:]
    return onset_max, diff_max


def _onsets(
    files: OutputFiles, nc: ModuleType, freqs: tuple[Any, Any], onset_thresh: float
) -> tuple[np.ndarray, np.ndarray]:
    """(frames, keys) of the inferred onsets' peaks over ``onset_thresh``, in basic-pitch's order (frame,
    then key): ``argrelmax`` over time of ``max(onsets, scaled frame differences)``."""
    n = files.note.n_rows
    onset_max, diff_max = _maxima(files, nc, freqs)
    found_frames, found_keys = [], []
    for start, stop in _blocks(n):
        lo, hi = max(start - 1, 0), min(stop + 1, n)  # the peaks' neighbours
        first = max(lo - N_DIFF, 0)  # and the differences' rows before them
        onsets, frames = _constrained_rows(files, nc, first, hi, freqs)
        before = np.concatenate([np.zeros((N_DIFF - (lo - first), KEYS), dtype=np.float32), frames[: lo - first]])
        with np.errstate(invalid="ignore", divide="ignore"):  # as there: silence divides by 0
            scaled = onset_max * _frame_diff(before, frames[lo - first :], lo) / diff_max
        inferred = np.maximum(onsets[lo - first :], scaled)
        rows = np.arange(start, stop)
        main = inferred[rows - lo]
        left = inferred[np.maximum(rows - 1, 0) - lo]  # argrelmax's mode="clip": an edge is its own neighbour
        right = inferred[np.minimum(rows + 1, n - 1) - lo]
        peaks = np.where((main > left) & (main > right), main, 0.0)
        at, keys = np.nonzero(peaks >= onset_thresh)
        found_frames.append(at + start)
        found_keys.append(keys)
    if not found_frames:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(found_frames), np.concatenate(found_keys)


def _column(note: FrameFile, key: int, start: int, stop: int) -> np.ndarray:
    """The note posterior of one key over frames ``start:stop`` [shape=(m,), dtype=float32], contiguous."""
    return np.concatenate([note.rows(a, min(stop, a + BLOCK_ROWS))[:, key] for a in range(start, stop, BLOCK_ROWS)])


def _bends(contour: FrameFile, nc: ModuleType, start: int, stop: int, pitch: Any, amplitude: Any) -> list[Any]:
    """``get_pitch_bends`` of one note, its contour rows read BLOCK_ROWS at a time (bends are per row)."""
    bends: list[Any] = []
    for a in range(start, stop, BLOCK_ROWS):
        rows = contour.rows(a, min(stop, a + BLOCK_ROWS))
        [(*_, part)] = nc.get_pitch_bends(rows, [(0, rows.shape[0], pitch, amplitude)])
        bends.extend(part)
    return bends


def note_events(
    files: OutputFiles,
    nc: ModuleType,
    *,
    onset_thresh: float,
    frame_thresh: float,
    min_note_len: int,
    min_freq: float | None,
    max_freq: float | None,
    include_pitch_bends: bool,
    melodia_trick: bool,
) -> list[Event]:
    """``nc.model_output_to_notes(output, ...)[1]`` (with ``infer_onsets``) of the output in ``files``:
    the same note events, times in seconds, in the same order."""
    n = files.note.n_rows
    freqs = (min_freq, max_freq)
    cleared = np.zeros((n, KEYS), dtype=bool)
    energy = _Energy(files.note, cleared)
    found: list[tuple[int, int, int, Any]] = []

    def keep(start: int, end: int, key: int) -> None:
        found.append((start, end, key, np.mean(_column(files.note, key, start, end))))

    onset_frames, onset_keys = _onsets(files, nc, freqs, onset_thresh)
    for start, key in zip(onset_frames[::-1].tolist(), onset_keys[::-1].tolist(), strict=True):  # backwards in time
        if start >= n - 1:
            continue
        i, k = start + 1, 0
        while i < n - 1 and k < ENERGY_TOL:
            k = k + 1 if energy.at(i, key) < frame_thresh else 0
            i += 1
        i -= k
        if i - start <= min_note_len:
            continue
        cleared[start:i, key] = True
        if key < KEYS - 1:
            cleared[start:i, key + 1] = True
        if key > 0:
            cleared[start:i, key - 1] = True
        keep(start, i, key)

    for flat in _loudest_first(files, nc, freqs, cleared, frame_thresh) if melodia_trick else ():
        middle, key = divmod(flat, KEYS)
        if cleared[middle, key]:
            continue
        cleared[middle, key] = True
        i, k = middle + 1, 0
        while i < n - 1 and k < ENERGY_TOL:
            k = k + 1 if energy.at(i, key) < frame_thresh else 0
            energy.clear_around(i, key)
            i += 1
        end = i - 1 - k
        i, k = middle - 1, 0
        while i > 0 and k < ENERGY_TOL:
            k = k + 1 if energy.at(i, key) < frame_thresh else 0
            energy.clear_around(i, key)
            i -= 1
        start = i + 1 + k
        if end - start <= min_note_len:
            continue
        keep(start, end, key)

    times = nc.model_frames_to_time(n)
    events: list[Event] = []
    for start, end, key, amplitude in found:
        pitch = key + MIDI_OFFSET
        bends = _bends(files.contour, nc, start, end, pitch, amplitude) if include_pitch_bends else None
        events.append((times[start], times[end], pitch, amplitude, bends))
    return events


def _loudest_first(
    files: OutputFiles, nc: ModuleType, freqs: tuple[Any, Any], cleared: np.ndarray, frame_thresh: float
) -> Iterator[int]:
    """Flat indices (frame * 88 + key) of the energy left above ``frame_thresh``, loudest first, equal values
    in row-major order: the order of the melodia trick's repeated ``argmax``. Handed out as Python ints a
    block at a time (a list of them all would be ~40 bytes per point: 20 MB at 30 minutes)."""
    values, flats = [], []
    for start, stop in _blocks(files.note.n_rows):
        _, frames = _constrained_rows(files, nc, start, stop, freqs)
        left = np.where(cleared[start:stop], 0.0, frames.astype(np.float64)) > frame_thresh
        at, keys = np.nonzero(left)
        values.append(frames[at, keys])
        flats.append((at + start).astype(np.int64) * KEYS + keys)
    if not values:
        return
    flat = np.concatenate(flats)
    order = flat[np.lexsort((flat, -np.concatenate(values)))]
    del flat, values, flats
    for start in range(0, order.shape[0], BLOCK_ROWS):
        yield from order[start : start + BLOCK_ROWS].tolist()


__all__ = ["OutputFiles", "note_events"]
