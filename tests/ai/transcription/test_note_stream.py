"""Onset-peak notes made a stretch of frames at a time (ai.transcription.note_stream) against
decode_notes over the whole posteriorgrams: the same notes, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from ai.transcription.note_decoding import (
    LOOK_AHEAD,
    LOOK_BEHIND,
    LOWEST_MIDI,
    PeakDecoding,
    decode_notes,
    onset_support,
)
from ai.transcription.note_stream import NoteStream, StreamedNote

BINS = 264


def band(pitch: int) -> tuple[int, int]:
    """A contour band around the pitch, clipped at the edges as basic-pitch's is."""
    centre = 3 * (pitch - LOWEST_MIDI)
    return max(centre - 25, 0), min(centre + 26, BINS)


def posteriorgrams(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset and note posteriorgrams with noise and struck notes of 3 to 3,000 frames (some held far
    longer than a stretch), and a random contour."""
    onset = (rng.random((frames, 88), dtype=np.float32) ** 6) * np.float32(0.7)
    note = (rng.random((frames, 88), dtype=np.float32) ** 4) * np.float32(0.5)
    for _ in range(frames // 6):
        key, at = int(rng.integers(88)), int(rng.integers(1, frames - 2))
        length = int(rng.choice([3, 20, 80, 400, 3000]))
        peak, level = rng.uniform(0.4, 1.0), rng.uniform(0.2, 0.9)
        bump = np.array([peak / 2, peak, peak * rng.uniform(0.3, 1.0)], dtype=np.float32)
        onset[at - 1 : at + 2, key] = np.maximum(onset[at - 1 : at + 2, key], bump)
        note[at : at + length, key] = np.maximum(note[at : at + length, key], np.float32(level))
    return onset, note, rng.random((frames, BINS), dtype=np.float32)


def streamed(
    stream: NoteStream, onset: np.ndarray, note: np.ndarray, extra: np.ndarray | None, sizes: list[int]
) -> list[StreamedNote]:
    notes: list[StreamedNote] = []
    at = 0
    for size in sizes:
        notes += stream.add(
            onset[at : at + size], note[at : at + size], None if extra is None else extra[at : at + size]
        )
        at += size
    notes += stream.finish()
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def chunk_sizes(rng: np.random.Generator, frames: int, largest: int) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < frames:
        sizes.append(min(int(rng.integers(1, largest + 1)), frames - sum(sizes)))
    return sizes


@pytest.mark.parametrize("seed", range(8))
def test_the_stream_gives_decode_notes_notes_and_each_note_its_own_contour_band(seed: int) -> None:
    rng = np.random.default_rng(seed)
    onset, note, contour = posteriorgrams(rng, 6000)
    options = PeakDecoding(onset_threshold=float(rng.uniform(0.3, 0.7)), minimum_note_frames=int(rng.integers(1, 4)))
    whole = decode_notes(onset, note, options)
    notes = streamed(NoteStream(options, band), onset, note, contour, chunk_sizes(rng, 6000, 400))
    assert [(n.start, n.end, n.pitch, n.amplitude) for n in notes] == whole
    assert any(end - start > 400 for start, end, _, _ in whole)  # notes held over several stretches
    for n in notes:
        assert n.band is not None
        assert np.array_equal(n.band, contour[n.start : n.end, slice(*band(n.pitch))])


@pytest.mark.parametrize("size", [1, LOOK_AHEAD, LOOK_AHEAD + 1, 1136])
def test_any_stretch_length_gives_the_same_notes(size: int) -> None:
    rng = np.random.default_rng(42)
    onset, note, _ = posteriorgrams(rng, 2500)
    notes = streamed(NoteStream(PeakDecoding()), onset, note, None, [size] * -(-2500 // size))
    assert [(n.start, n.end, n.pitch, n.amplitude) for n in notes] == decode_notes(onset, note)
    assert all(n.band is None for n in notes)


def test_short_outputs_and_no_frames() -> None:
    rng = np.random.default_rng(3)
    for frames in (1, 2, 5, 12, 30):
        onset, note, _ = posteriorgrams(rng, max(frames, 3))
        onset, note = onset[:frames], note[:frames]
        notes = streamed(NoteStream(PeakDecoding()), onset, note, None, [frames])
        assert [(n.start, n.end, n.pitch, n.amplitude) for n in notes] == decode_notes(onset, note)
    assert NoteStream(PeakDecoding()).finish() == []


def test_the_buffer_keeps_only_the_undecided_frames_and_their_context() -> None:
    rng = np.random.default_rng(5)
    onset, note, _ = posteriorgrams(rng, 20000)
    stream = NoteStream(PeakDecoding())
    for at in range(0, 20000, 1000):
        stream.add(onset[at : at + 1000], note[at : at + 1000])
        assert stream.buffered_frames <= LOOK_BEHIND + LOOK_AHEAD


def test_a_stretchs_onset_support_goes_on_from_the_running_sum_to_the_bit() -> None:
    rng = np.random.default_rng(7)
    _, note, _ = posteriorgrams(rng, 5000)
    for start in (1, 1234, 4000):
        before = np.cumsum(note[:start], axis=0, dtype=np.float64)[-1]
        stretch = onset_support(note[start:], total_before=before)
        assert np.array_equal(stretch[:-LOOK_AHEAD], onset_support(note)[start:-LOOK_AHEAD])
