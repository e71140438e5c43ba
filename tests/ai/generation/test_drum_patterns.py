"""drum_patterns.thin_hand_strokes: another backend's hats and ride kept to what a hand sustains at the tempo."""

from __future__ import annotations

from ai.generation.base import Note
from ai.generation.drum_patterns import thin_hand_strokes

HAT, OPEN_HAT, PEDAL_HAT, KICK = 42, 46, 44, 36
PULSES = (4, 4, 4, 4)  # 4/4 in 16ths


def _bar(pattern: str, *, sixteenth: float, offset: float = 0.0, pitch: int = HAT) -> list[Note]:
    """One bar of hats: 'x' a stroke, 'X' an accent, 'o' an open hat, '.' none."""
    out = []
    for step, char in enumerate(pattern.replace(" ", "")):
        if char != ".":
            at = offset + step * sixteenth
            note_pitch = OPEN_HAT if char == "o" else pitch
            out.append(Note(note_pitch, at, at + sixteenth / 2, 118 if char in "Xo" else 80))
    return out


def _thinned(notes: list[Note], sixteenth: float, offset: float = 0.0) -> list[Note]:
    return thin_hand_strokes(notes, pulses=PULSES, step_seconds=sixteenth, offset=offset)


def _steps(notes: list[Note], sixteenth: float, offset: float = 0.0) -> list[tuple[int, int]]:
    return sorted((round((n.start - offset) / sixteenth), n.pitch) for n in notes)


def test_sixteenths_at_150_bpm_are_left_alone() -> None:
    sixteenth = 60.0 / 150 / 4
    notes = _bar("xxxx xxxx xxxx xxxx", sixteenth=sixteenth)
    assert _thinned(notes, sixteenth) == notes


def test_at_240_bpm_a_sixteenth_groove_becomes_eighths_with_its_accents() -> None:
    sixteenth = 60.0 / 240 / 4
    notes = _bar("xx.x xx.X x..o .x.x", sixteenth=sixteenth) + [Note(KICK, 0.0, 0.05, 100)]
    thinned = _thinned(notes, sixteenth)
    # Strokes on the 8ths stay; an 8th with none gets its slot's loudest moved onto it (the accent, the open hat).
    hats = [(0, HAT), (2, HAT), (4, HAT), (6, HAT), (8, HAT), (10, OPEN_HAT), (12, HAT), (14, HAT)]
    assert _steps(thinned, sixteenth) == sorted([(0, KICK), *hats])
    assert [n.velocity for n in thinned if n.pitch != KICK] == [80, 80, 80, 118, 80, 118, 80, 80]
    kept_in_place = [n for n in thinned if n in notes]
    assert len(kept_in_place) == 4  # the hats on steps 0, 4 and 8 and the kick, as they were to the bit


def test_the_pedal_hat_and_a_primer_are_kept() -> None:
    sixteenth = 60.0 / 240 / 4
    primer = _bar("xxxx xxxx xxxx xxxx", sixteenth=sixteenth)
    feet = _bar("xxxx .... .... ....", sixteenth=sixteenth, offset=1.0, pitch=PEDAL_HAT)
    thinned = _thinned(primer + feet, sixteenth, offset=1.0)
    assert thinned == primer + feet
