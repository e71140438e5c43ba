"""Melodic phrases (ai.generation.melodic_phrases): breaths, cadences, leading tones."""

from __future__ import annotations

from ai.generation.base import GenerationRequest, Note
from ai.generation.melodic_phrases import breathe, cadence, resolve_leading_tones, shape_melody
from ai.music_theory import Key, parse_progression

A_HARMONIC = Key(9, "harmonic_minor")


def _request(bars: int = 4, key: Key = A_HARMONIC, chords: str = "Am E", **kw: object) -> GenerationRequest:
    return GenerationRequest(part="melody", key=key, chords=parse_progression(chords), bars=bars, **kw)  # type: ignore[arg-type]


def test_breath_silences_the_last_beat_of_every_two_bars() -> None:
    request = _request(bars=5)  # phrases end at 4 s, 8 s and the clip's end, 10 s
    held = [Note(69, 0.0, 4.0, 80), Note(71, 4.0, 7.6, 80), Note(72, 7.7, 8.0, 80), Note(76, 8.0, 10.0, 80)]
    out = breathe(held, request, offset=0.0, last_pulse=0.5)
    assert out == [Note(69, 0.0, 3.5, 80), Note(71, 4.0, 7.5, 80), Note(76, 8.0, 9.5, 80)]
    assert breathe([Note(69, 3.49, 3.6, 80)], request, offset=0.0, last_pulse=0.5) == []  # cut to nothing


def test_cadence_ends_phrases_on_the_bars_chord_within_the_scale() -> None:
    request = _request()  # Am E Am E: the first phrase ends in an E bar
    notes = [Note(69, 0.0, 1.0, 80), Note(74, 2.0, 3.5, 80), Note(69, 4.0, 5.0, 80), Note(65, 6.0, 7.5, 80)]
    out = cadence(notes, request, offset=0.0)
    assert [n.pitch for n in out] == [69, 76, 69, 64]  # D and F end phrases over E: to E, its nearest tones
    assert all(n.pitch % 12 in A_HARMONIC.pitch_classes for n in out)
    assert out[0] == notes[0] and out[2] == notes[2]


def test_leading_tones_resolve_by_step_not_after_a_leap() -> None:
    request = _request()
    notes = [Note(68, 0.0, 0.5, 80), Note(71, 0.5, 1.0, 80), Note(68, 1.0, 1.5, 80), Note(76, 1.5, 2.0, 80)]
    out = resolve_leading_tones(notes, request, offset=0.0)
    assert [n.pitch for n in out] == [68, 69, 68, 76]  # G# B -> G# A; G# E (a leap of 8) stays
    natural = resolve_leading_tones(notes, _request(key=Key(9, "minor")), offset=0.0)
    assert natural == notes  # natural minor's G is a subtonic: nothing to resolve


def test_a_leading_tone_stays_where_the_next_bars_chord_alters_the_tonic() -> None:
    """B then D in C major: to C in a bar of G7, but not where A7 plays (its third is C#)."""
    request = _request(key=Key(0, "major"), chords="G7 A7")
    notes = [Note(71, 1.5, 2.0, 80), Note(74, 2.0, 2.5, 80)]  # B at the end of bar 1, D on bar 2's one
    assert [n.pitch for n in resolve_leading_tones(notes, request, offset=0.0)] == [71, 74]
    assert [n.pitch for n in resolve_leading_tones(notes, request, offset=0.5)] == [71, 72]  # D in the G7 bar


def test_shape_keeps_scale_and_length() -> None:
    request = _request(bars=8)
    notes = [Note(60 + (i * 5) % 12, i * 0.5, i * 0.5 + 0.5, 80) for i in range(32)]
    notes = [n for n in notes if n.pitch % 12 in A_HARMONIC.pitch_classes]
    out = shape_melody(notes, request, offset=0.0, last_pulse=0.5)
    assert all(n.pitch % 12 in A_HARMONIC.pitch_classes for n in out)
    assert all(0.0 <= n.start < n.end <= 16.0 for n in out)
    for end in (4.0, 8.0, 12.0, 16.0):
        assert not [n for n in out if n.end > end - 0.5 + 1e-9 and n.start < end]


def test_phrase_dynamics_follow_metre_and_contour_with_spread() -> None:
    import numpy as np

    from ai.generation.melodic_phrases import phrase_dynamics

    request = _request(bars=8)
    flat = [Note(64, i * 0.5, i * 0.5 + 0.4, 64) for i in range(32)]  # one pitch, one velocity
    out = phrase_dynamics(flat, request, offset=0.0, rng=np.random.default_rng(1))
    downbeats = [n.velocity for n in out if n.start % 2.0 == 0.0]
    offbeats = [n.velocity for n in out if n.start % 1.0 == 0.5]
    assert np.mean(downbeats) > np.mean(offbeats) + 6
    rising = [Note(60 + 2 * i, i * 1.0, i * 1.0 + 0.9, 64) for i in range(4)]  # beats of one phrase
    peaks = [phrase_dynamics(rising, request, offset=0.0, rng=np.random.default_rng(s))[3].velocity for s in range(20)]
    lows = [phrase_dynamics(rising, request, offset=0.0, rng=np.random.default_rng(s))[1].velocity for s in range(20)]
    assert np.mean(peaks) > np.mean(lows) + 4  # beat 4 at the top against beat 2 near the bottom
    notes = [Note(60 + (i % 8), i * 0.5, i * 0.5 + 0.4, 64) for i in range(32)]
    out = phrase_dynamics(notes, request, offset=0.0, rng=np.random.default_rng(1))
    same_place = [n.velocity for n in out if n.start % 2.0 == 0.5]
    assert len(set(same_place)) > 1  # not a function of the position alone
    assert out == phrase_dynamics(notes, request, offset=0.0, rng=np.random.default_rng(1))
