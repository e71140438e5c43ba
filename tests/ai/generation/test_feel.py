"""Feel helpers: swing, humanize, density, length (synthetic notes with known answers)."""

from __future__ import annotations

import numpy as np
import pytest

from ai.generation.base import Note
from ai.generation.feel import (
    apply_feel,
    apply_swing,
    density_target,
    fit_to_length,
    humanize,
    metric_weight,
    notes_per_beat,
    swing_ratio,
    swing_subdivision,
    tempo_swing,
    thin_notes,
)

SPB = 0.5  # 120 BPM


def _eighths(n_beats: int = 4, offset: float = 0.0) -> list[Note]:
    return [Note(60, offset + i * SPB / 2, offset + (i + 1) * SPB / 2, 80) for i in range(n_beats * 2)]


def test_full_swing_moves_offbeat_eighths_to_triplet_position() -> None:
    swung = apply_swing(_eighths(), amount=1.0, beat_seconds=SPB, subdivision=2)
    for i, note in enumerate(swung):
        beat = i // 2
        expected = beat * SPB + (2 / 3 * SPB if i % 2 else 0.0)
        assert note.start == pytest.approx(expected)
    # On-beat notes get longer (long-short), the clip does not grow.
    assert swung[0].end - swung[0].start == pytest.approx(2 / 3 * SPB)
    assert swung[-1].end == pytest.approx(4 * SPB)


def test_half_swing_is_between_straight_and_triplet() -> None:
    swung = apply_swing(_eighths(), amount=0.5, beat_seconds=SPB, subdivision=2)
    assert swung[1].start == pytest.approx(SPB * (0.5 + 1 / 12))


def test_sixteenth_swing_moves_second_and_fourth_sixteenths_only() -> None:
    sixteenths = [Note(38, i * SPB / 4, i * SPB / 4 + 0.05, 90) for i in range(8)]
    swung = apply_swing(sixteenths, amount=1.0, beat_seconds=SPB, subdivision=4)
    for i, (a, b) in enumerate(zip(sixteenths, swung, strict=True)):
        if i % 2 == 0:
            assert b.start == pytest.approx(a.start)
        else:
            assert b.start == pytest.approx(a.start + SPB / 12)


def test_swing_leaves_notes_before_offset_and_respects_offset_grid() -> None:
    primer = [Note(60, 0.1, 0.3, 70)]
    cont = _eighths(offset=1.3)
    swung = apply_swing(primer + cont, amount=1.0, beat_seconds=SPB, offset=1.3)
    assert swung[0] == primer[0]
    assert swung[2].start == pytest.approx(1.3 + 2 / 3 * SPB)


def test_swing_zero_is_identity_and_bad_amount_raises() -> None:
    notes = _eighths()
    assert apply_swing(notes, amount=0.0, beat_seconds=SPB) == notes
    with pytest.raises(ValueError):
        apply_swing(notes, amount=1.5, beat_seconds=SPB)


def test_swing_subdivision_by_style() -> None:
    assert swing_subdivision("hip-hop") == 4
    assert swing_subdivision("funk") == 4
    assert swing_subdivision("jazz") == 2
    assert swing_subdivision(None) == 2


def test_humanize_bounds_and_reproducibility() -> None:
    notes = [Note(60 + i % 5, i * 0.25, i * 0.25 + 0.25, 100) for i in range(16)]
    end = 4.0
    out = humanize(notes, amount=1.0, rng=3, end_seconds=end)
    assert out == humanize(notes, amount=1.0, rng=3, end_seconds=end)
    assert out != humanize(notes, amount=1.0, rng=4, end_seconds=end)
    assert out != notes
    for a, b in zip(notes, out, strict=True):
        assert b.start >= 0.0 and b.end <= end + 1e-9
        assert abs(b.start - a.start) <= 0.02 + 1e-9
        assert b.end - b.start == pytest.approx(a.end - a.start)
        assert 1 <= b.velocity <= 127 and abs(b.velocity - a.velocity) <= 18


def test_humanize_small_amount_stays_small_and_keeps_chords_together() -> None:
    chord = [Note(p, 1.0, 1.5, 80) for p in (60, 64, 67)]
    out = humanize(chord, amount=0.25, rng=np.random.default_rng(0), end_seconds=2.0)
    assert len({n.start for n in out}) == 1
    assert abs(out[0].start - 1.0) <= 0.005 + 1e-9


def test_humanize_first_and_last_note_never_leave_the_clip() -> None:
    notes = [Note(36, 0.0, 0.1, 100), Note(36, 1.9, 2.0, 100)]
    for seed in range(30):
        out = humanize(notes, amount=1.0, rng=seed, end_seconds=2.0)
        assert out[0].start >= 0.0
        assert out[1].end <= 2.0 + 1e-9


def test_metric_weight_hierarchy() -> None:
    def w(t: float, bpb: int = 4) -> float:
        return metric_weight(t, seconds_per_beat=SPB, beats_per_bar=bpb)

    assert w(0.0) == 1.0
    assert w(2 * SPB) == 0.85
    assert w(SPB) == 0.7
    assert w(SPB / 2) == 0.5
    assert w(SPB / 4) == 0.3
    assert w(SPB / 3) == 0.1
    assert w(3 * SPB, bpb=6) == 0.85  # 6/8: second dotted-quarter group


def test_density_target_is_monotonic() -> None:
    values = [density_target(d, part="bass") for d in np.linspace(0, 1, 11)]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_thin_notes_drops_weak_positions_first() -> None:
    sixteenths = [Note(42, i * SPB / 4, i * SPB / 4 + 0.05, 90) for i in range(16)]
    kept = thin_notes(sixteenths, keep=0.25, rng=0, seconds_per_beat=SPB, beats_per_bar=4)
    assert len(kept) == 4
    assert sorted(round(n.start / SPB, 3) for n in kept) == [0.0, 1.0, 2.0, 3.0]
    assert notes_per_beat(kept, seconds_per_beat=SPB, duration_seconds=4 * SPB) == 1.0


def test_fit_to_length_cuts_and_drops() -> None:
    notes = [Note(60, 0.0, 1.0, 80), Note(62, 1.5, 2.5, 80), Note(64, 2.2, 2.4, 80)]
    out = fit_to_length(notes, end_seconds=2.0)
    assert out == [Note(60, 0.0, 1.0, 80), Note(62, 1.5, 2.0, 80)]


def test_apply_feel_compound_meter_swings_sixteenths_of_the_eighth_pulse() -> None:
    pulse = 0.25  # eighth-note beat in 6/8 at 120 quarter BPM
    notes = [Note(60, i * pulse / 2, (i + 1) * pulse / 2, 80) for i in range(4)]
    out = apply_feel(
        notes, swing=1.0, humanize_amount=0.0, seconds_per_beat=pulse, beat_unit=8, style=None, rng=0, end_seconds=1.0
    )
    assert out[1].start == pytest.approx(pulse * 2 / 3)


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ((4, 4), (4, 4, 4, 4)),
        ((3, 4), (4, 4, 4)),
        ((6, 8), (6, 6)),
        ((12, 8), (6,) * 4),
        ((7, 8), (4, 4, 6)),
        ((4, 8), (4, 4)),
        ((2, 2), (4, 4, 4, 4)),
    ],
)
def test_pulse_groups(signature: tuple[int, int], expected: tuple[int, ...]) -> None:
    from ai.generation.feel import pulse_groups

    groups = pulse_groups(*signature)
    assert groups == expected
    assert sum(groups) == signature[0] * 16 // signature[1]


@pytest.mark.parametrize("amount", [0.67, 1.0])
def test_a_styles_swing_falls_with_tempo_to_straight(amount: float) -> None:
    """As written up to 120 BPM, the ratio falling linearly to 1:1 at 300 BPM (Friberg & Sundstrom 2002)."""
    assert tempo_swing(amount, 60) == tempo_swing(amount, 120) == amount
    ratios = [swing_ratio(tempo_swing(amount, bpm)) for bpm in (120, 165, 210, 255, 300, 320)]
    assert np.allclose(np.diff(ratios[:5]), (1.0 - swing_ratio(amount)) / 4) and ratios[4:] == [1.0, 1.0]
    assert tempo_swing(0.0, 200) == 0.0
