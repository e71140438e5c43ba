"""Learned drum microtiming (ai.generation.microtiming): the shipped table, how a clip's drums move,
the clip's bounds, other meters, and the training script's grid and spread on synthetic hits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ai.generation.base import GenerationRequest, Note
from ai.generation.microtiming import GrooveTiming, describe_timing, load_timing
from ai.music_theory import Key, parse_chord
from training.groove_timing import STYLE_MAP, _Acc, swung_grid

SNARE, KICK, HAT = 38, 36, 42
SIXTEENTH = 0.125  # 120 bpm


@pytest.fixture(scope="module")
def shipped() -> GrooveTiming:
    model = load_timing()
    assert model is not None
    return model


def _request(**changes: object) -> GenerationRequest:
    base = GenerationRequest(part="drums", key=Key(0, "major"), chords=(parse_chord("C"),), bars=8, style="funk")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _clip(bars: int = 8) -> list[Note]:
    notes = []
    for bar in range(bars):
        for step in range(16):
            t = (bar * 16 + step) * SIXTEENTH
            notes.append(Note(HAT, t, t + 0.05, 80))
            if step in (4, 12):
                notes.append(Note(SNARE, t, t + 0.05, 100))
    return notes


def test_the_shipped_table_loads_and_lists_every_mapped_style(shipped: GrooveTiming) -> None:
    mapped = {style for styles in STYLE_MAP.values() for style in styles}
    assert mapped | {"default", "metal"} <= set(shipped.styles)
    assert shipped.table_style("waltz") == "default" and shipped.table_style("funk") == "funk"
    described = describe_timing()
    assert described["loaded"] is True and described["name"] == "groove_timing"
    mean, sd = shipped.cell("funk", "snare", 4)
    assert abs(mean) < 0.5 and 0 < sd < 0.5  # fractions of a 16th


def test_amount_zero_moves_nothing_and_draws_nothing(shipped: GrooveTiming) -> None:
    notes = _clip()
    request = _request(microtiming=0.0)
    rng = np.random.default_rng(0)
    out = shipped.apply(
        notes,
        shipped.place(notes, request, offset=0.0),
        request,
        style="funk",
        rng=rng,
        start_seconds=0.0,
        end_seconds=16.0,
    )
    assert out == notes
    assert rng.standard_normal() == np.random.default_rng(0).standard_normal()


def test_full_amount_moves_each_cell_by_its_learned_mean(shipped: GrooveTiming) -> None:
    notes = _clip(bars=64)
    request = _request(microtiming=1.0, bars=64)
    out = shipped.apply(
        notes,
        shipped.place(notes, request, offset=0.0),
        request,
        style="funk",
        rng=np.random.default_rng(1),
        start_seconds=0.0,
        end_seconds=128.0,
    )
    shifts = [(b.start - a.start) / SIXTEENTH for a, b in zip(notes, out, strict=True) if a.pitch == SNARE]
    mean, sd = shipped.cell("funk", "snare", 4)
    assert np.mean(shifts) == pytest.approx(mean, abs=3 * sd / np.sqrt(len(shifts)) + 0.01)
    assert 0.5 * sd < np.std(shifts) < 1.2 * sd  # the spread comes along (clipped at 2 sd)
    assert all(b.end - b.start == pytest.approx(a.end - a.start) for a, b in zip(notes, out, strict=True))


def test_no_note_leaves_the_clip_and_unclassed_notes_stay(shipped: GrooveTiming) -> None:
    notes = [Note(KICK, 0.0, 0.05, 100), Note(HAT, 15.95, 16.0, 80), Note(99, 1.0, 1.1, 80)]
    request = _request(microtiming=1.0)
    places = shipped.place(notes, request, offset=0.0)
    assert places[2] is None
    for seed in range(20):
        out = shipped.apply(
            notes, places, request, style="jazz", rng=np.random.default_rng(seed), start_seconds=0.0, end_seconds=16.0
        )
        assert min(n.start for n in out) >= 0.0 and max(n.end for n in out) <= 16.0
        assert out[2] == notes[2]


def test_other_meters_read_the_cells_of_their_metrical_role(shipped: GrooveTiming) -> None:
    request = _request(beats_per_bar=3, beat_unit=4, microtiming=1.0)
    notes = [Note(SNARE, 4 * SIXTEENTH, 5 * SIXTEENTH, 100)]  # beat 2 of a 3/4 bar
    assert shipped.place(notes, request, offset=0.0) == [("snare", 4)]
    backbeat = np.mean([shipped.cell("rock", "snare", s)[0] for s in (4, 12)])
    assert shipped._cell_in("rock", "snare", 4, (4, 4, 4))[0] == pytest.approx(backbeat)


def test_a_table_without_default_or_with_wrong_units_is_refused() -> None:
    with pytest.raises(ValueError):
        GrooveTiming({"unit": "ms", "steps_per_bar": 16, "tables": {}, "drum_classes": {}})
    with pytest.raises(ValueError):
        GrooveTiming(
            {
                "unit": "sixteenth",
                "steps_per_bar": 16,
                "drum_classes": {},
                "tables": {"rock": {"snare": {"mean": [0.0] * 16, "sd": [0.0] * 16}}},
            }
        )


def test_training_grid_and_spread() -> None:
    assert swung_grid(0.0).tolist() == list(range(16))
    jazz = swung_grid(0.67)
    assert jazz[2] == pytest.approx(4 * (0.5 + 0.67 / 6))  # the off-beat 8th, swung as the engine does
    acc = _Acc.new()
    for offset in (0.1, 0.1, 0.1, 0.3):  # one drummer, one take
        acc.add("d1", 0, offset)
    for offset in (-0.1, -0.1):
        acc.add("d2", 1, offset)
    n, mean, sd = acc.stats()
    assert n == 6 and mean == pytest.approx((0.15 - 0.1) / 2)  # each drummer weighs the same
    assert sd == pytest.approx(0.0)  # median absolute deviation: the one stray hit does not widen it
