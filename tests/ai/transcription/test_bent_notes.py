"""A note bent half a semitone or more for most of its length takes the neighbouring note number.

basic-pitch's bends come in 1/3-semitone contour bins around the note its posteriorgram names, and it reads
them one bin sharp (an in-tune tone peaks in the middle bin of its semitone's three). Model outputs are built
here with the note posterior on A4 (69) and the contour peak a known number of bins from A4 in tune, and a
tone in tune goes through the model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from ai.transcription.pitched import (
    BASIC_PITCH_OPTIONS,
    DEFAULT_OPTIONS,
    notes_from_output,
    renumbered,
    transcribe_pitched,
)

FRAMES = 120
LOWEST = 21  # the posteriorgram's first column: A0
START, END = 20, 80


def output_with_contour(bins: list[int], pitch: int = 69) -> dict[str, np.ndarray]:
    """A model output: one note at ``pitch`` from frame START to END, its contour ``bins[k]`` (1/3 semitones)
    off its pitch in tune in frame START + k (the middle of the pitch's three bins: 3 * (pitch - 21) + 1)."""
    note = np.zeros((FRAMES, 88), dtype=np.float32)
    onset = np.zeros((FRAMES, 88), dtype=np.float32)
    contour = np.zeros((FRAMES, 264), dtype=np.float32)
    note[START:END, pitch - LOWEST] = 0.9
    onset[START, pitch - LOWEST] = 0.95
    for k, offset in enumerate(bins):
        contour[START + k, 3 * (pitch - LOWEST) + 1 + offset] = 0.9
    return {"note": note, "onset": onset, "contour": contour}


def only_note(output: dict[str, np.ndarray], **changes: object) -> tuple[int, tuple[float, ...] | None]:
    notes = notes_from_output(output, dataclasses.replace(DEFAULT_OPTIONS, **changes))  # type: ignore[arg-type]
    assert len(notes) == 1, notes
    return notes[0].pitch, notes[0].pitch_bends


def test_a_note_held_two_thirds_sharp_is_the_note_above_with_its_bends_recentred() -> None:
    pitch, bends = only_note(output_with_contour([2] * (END - START)))
    assert pitch == 70
    # 69 + 2/3 is 70 - 1/3: nearer the note above, whose bend is a third of a semitone down.
    assert bends is not None and set(bends) == {-0.3333}


def test_the_bends_left_are_measured_from_the_new_note() -> None:
    held = [-2] * 40 + [-3] * 10 + [0] * 10  # mostly 2/3 flat, a deeper dip, then back on 69 at its end
    pitch, bends = only_note(output_with_contour(held))
    assert pitch == 68
    assert bends is not None and bends[0] == pytest.approx(1 / 3, abs=1e-3) and bends[45] == 0.0
    assert bends[-1] == pytest.approx(1.0, abs=1e-3)  # back on 69: a semitone above 68


def test_a_slide_into_a_note_held_in_tune_keeps_its_number() -> None:
    slide = [3] * 20 + [0] * 40  # a third of the note a semitone high, then on the note
    pitch, bends = only_note(output_with_contour(slide))
    assert pitch == 69 and bends is not None and bends[0] == pytest.approx(1.0, abs=1e-3)


def test_half_the_note_off_is_a_tie_and_the_note_stays() -> None:
    half = [2] * 30 + [1] * 30  # median 1.5 bins: exactly half a semitone
    assert only_note(output_with_contour(half))[0] == 69


def test_basic_pitchs_own_options_keep_its_note_numbers() -> None:
    """BASIC_PITCH_OPTIONS are predict()'s (bench/transcription.py: equal note for note): no renumbering."""
    assert not BASIC_PITCH_OPTIONS.bent_notes_renumbered and DEFAULT_OPTIONS.bent_notes_renumbered
    assert only_note(output_with_contour([2] * (END - START)), bent_notes_renumbered=False)[0] == 69


def test_renumbered() -> None:
    assert renumbered(60, [2, 2, 2]) == (61, [-1, -1, -1])
    assert renumbered(60, [-5, -4, -4]) == (59, [-2, -1, -1])
    assert renumbered(60, [7, 7, 6]) == (62, [1, 1, 0])  # two semitones and a third: two notes up
    assert renumbered(60, [1, 1, 0]) == (60, [1, 1, 0])
    assert renumbered(60, []) == (60, [])


@pytest.mark.parametrize(("cents", "bend"), [(0, None), (33, 1 / 3)])
def test_a_tone_in_tune_has_no_bend_and_a_third_sharp_a_third(cents: int, bend: float | None) -> None:
    """basic-pitch's own bends put every in-tune note a third of a semitone sharp (its issue #87: a bend that
    returns to 1365): a sustained A4 was written at +1/3 for its whole length."""
    sr = 22050
    t = np.arange(int(1.2 * sr)) / sr
    f0 = 440.0 * 2 ** (cents / 1200)
    y = 0.3 * np.sum([np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 5)], axis=0) * np.minimum(1.0, t * 50)
    y[: int(0.2 * sr)] = 0.0
    notes = transcribe_pitched(DecodedAudio(samples=y[None].astype(np.float32), sample_rate=sr))
    assert [n.pitch for n in notes] == [69], notes
    if bend is None:
        assert notes[0].pitch_bends is None
    else:
        assert notes[0].pitch_bends is not None and set(notes[0].pitch_bends) == {round(bend, 4)}
