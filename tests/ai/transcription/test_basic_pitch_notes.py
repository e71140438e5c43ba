"""basic-pitch's own note creation run on its outputs kept in files gives model_output_to_notes' notes."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from ai.transcription import basic_pitch_notes
from ai.transcription.basic_pitch_notes import OutputFiles, note_events
from ai.transcription.pitched import _import_basic_pitch


@pytest.fixture(scope="module")
def nc() -> ModuleType:
    return _import_basic_pitch()[0]


def posteriorgram(n: int, seed: int) -> dict[str, np.ndarray]:
    """Noise under the thresholds, notes with and without onsets (some with short dips under the frame
    threshold), a note held across nearly the whole output, and an onset on the last frames."""
    rng = np.random.default_rng(seed)
    note = (rng.random((n, 88)) * 0.33).astype(np.float32)
    onset = (rng.random((n, 88)) * 0.45).astype(np.float32)
    for _ in range(max(1, n // 15)):
        key, start, length = int(rng.integers(0, 88)), int(rng.integers(0, n)), int(rng.integers(1, 300))
        if 38 <= key <= 42:  # the held note's keys and their neighbours: nothing else clears them
            continue
        note[start : start + length, key] = rng.uniform(0.3, 0.95, size=len(note[start : start + length, key]))
        if rng.random() < 0.3:  # a dip of a few frames: the note goes on if it is under ENERGY_TOL frames
            note[start + length // 2 : start + length // 2 + int(rng.integers(1, 15)), key] = 0.1
        if rng.random() < 0.7:  # the rest have no onset: the melodia trick finds them
            onset[start, key] = rng.uniform(0.5, 1.0)
    note[5 : n - 5, 40] = 0.55  # held across every stretch edge
    note[n // 2 : n // 2 + 6, 40] = 0.2  # with a dip shorter than ENERGY_TOL
    onset[5, 40] = 0.99
    onset[n - 2 :, 60] = 0.97
    note[n - 3 :, 60] = 0.9
    contour = rng.random((n, 264)).astype(np.float32)
    return {"note": note, "onset": onset, "contour": contour}


def in_files(output: dict[str, np.ndarray], batch: int) -> OutputFiles:
    files = OutputFiles.create()
    for start in range(0, output["note"].shape[0], batch):
        files.append({key: value[start : start + batch] for key, value in output.items()})
        files.append({key: value[:0] for key, value in output.items()})  # the model's last batch may be empty
    return files


def expected_events(nc: ModuleType, output: dict[str, np.ndarray], **options: Any) -> list[Any]:
    copy = {key: value.copy() for key, value in output.items()}  # it constrains the arrays in place
    with np.errstate(invalid="ignore", divide="ignore"):
        return list(nc.model_output_to_notes(copy, multiple_pitch_bends=False, **options)[1])


OPTIONS: list[dict[str, Any]] = [
    dict(onset_thresh=0.5, frame_thresh=0.3, min_note_len=11, min_freq=None, max_freq=None,
         include_pitch_bends=True, melodia_trick=True),
    dict(onset_thresh=0.6, frame_thresh=0.35, min_note_len=1, min_freq=80.0, max_freq=1500.0,
         include_pitch_bends=True, melodia_trick=True),
    dict(onset_thresh=0.5, frame_thresh=0.3, min_note_len=5, min_freq=None, max_freq=None,
         include_pitch_bends=False, melodia_trick=False),
]  # fmt: skip


def cut_sizes() -> Iterator[tuple[int, int, int]]:
    """(batch of the model's output, rows per pass block, rows per walk read)."""
    yield from [(1, 1, 1), (7, 3, 2), (64, 50, 7), (333, 101, 64), (1136, 8192, 64)]


@pytest.mark.parametrize("options", OPTIONS)
def test_equal_to_the_whole_output_at_many_stretch_sizes(
    nc: ModuleType, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    raw = posteriorgram(900, seed=3)
    # Values on a coarse grid tie often (the model's sigmoids saturate at 1.0): the melodia trick's order
    # among equal energies is its argmax's, the first in the matrix.
    coarse = {key: (np.round(value * 20) / 20).astype(np.float32) for key, value in raw.items()}
    for output in (raw, coarse):
        expected = expected_events(nc, output, **options)
        assert len(expected) > 30 and any(e[1] - e[0] > 9.0 for e in expected)  # the held note (10 s) is there
        for batch, block, walk in cut_sizes():
            monkeypatch.setattr(basic_pitch_notes, "BLOCK_ROWS", block)
            monkeypatch.setattr(basic_pitch_notes, "WALK_ROWS", walk)
            with in_files(output, batch) as files:
                got = note_events(files, nc, **options)
            assert got == expected, (batch, block, walk)


def test_a_note_longer_than_a_read_keeps_its_amplitude_and_bends(nc: ModuleType) -> None:
    """A note of 20,000 frames: its mean (float32, pairwise) and bends read over several blocks of rows."""
    output = posteriorgram(21_000, seed=5)
    options = OPTIONS[0]
    expected = expected_events(nc, output, **options)
    assert any(e[1] - e[0] > 2 * basic_pitch_notes.BLOCK_ROWS / 86.0 for e in expected)  # seconds
    with in_files(output, 1136) as files:
        assert note_events(files, nc, **options) == expected


def test_silence_and_one_frame(nc: ModuleType) -> None:
    for n in (1, 2, 3, 40):
        output = {"note": np.zeros((n, 88), np.float32), "onset": np.zeros((n, 88), np.float32),
                  "contour": np.zeros((n, 264), np.float32)}  # fmt: skip
        with in_files(output, 8) as files:
            assert note_events(files, nc, **OPTIONS[0]) == expected_events(nc, output, **OPTIONS[0]) == []


def test_the_files_are_deleted(nc: ModuleType) -> None:
    output = posteriorgram(50, seed=1)
    with in_files(output, 16) as files:
        paths = [files.note.path, files.onset.path, files.contour.path]
        assert all(p.exists() for p in paths)
    assert not any(p.exists() for p in paths)


def test_on_audio_the_route_s_decoder_equals_the_whole_output() -> None:
    """40 s of chords with a note held across the model's batches: filed_notes == notes_from_output."""
    from ai.transcription.pitched import (
        BASIC_PITCH_OPTIONS,
        SAMPLE_RATE,
        filed_notes,
        model_output,
        notes_from_output,
    )

    t = np.arange(40 * SAMPLE_RATE) / SAMPLE_RATE
    y = 0.2 * np.sin(2 * np.pi * 220.0 * t)  # held throughout
    for k, f in enumerate((261.63, 329.63, 392.0, 493.88) * 5):
        a, b = int(2 * k * SAMPLE_RATE), int((2 * k + 1.5) * SAMPLE_RATE)
        y[a:b] += 0.15 * np.sin(2 * np.pi * f * t[a:b]) * np.exp(-(t[a:b] - t[a]) * 1.5)
    y = y.astype(np.float32)
    expected = notes_from_output(model_output(y), BASIC_PITCH_OPTIONS)
    assert len(expected) > 10
    assert filed_notes(y, BASIC_PITCH_OPTIONS) == expected
