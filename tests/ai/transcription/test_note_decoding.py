"""Onset-peak note decoding (ai.transcription.note_decoding) on hand-made posteriorgrams with known notes."""

from __future__ import annotations

import numpy as np
import pytest

from ai.transcription.note_decoding import (
    GAP_FRAMES,
    LOWEST_MIDI,
    OCTAVE_FRAMES,
    REPEAT_FRAMES,
    SUPPORT_FRAMES,
    PeakDecoding,
    decode_notes,
    onset_dip,
    onset_support,
)

FRAMES = 200
C4 = 60 - LOWEST_MIDI  # the posteriorgram column of middle C


def grams() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((FRAMES, 88), np.float32), np.zeros((FRAMES, 88), np.float32)


def strike(
    onset: np.ndarray, note: np.ndarray, key: int, at: int, frames: int, *, peak: float = 0.9, level: float = 0.8
) -> None:
    """A note as the model would show it: an onset bump peaking at ``at``, the note posterior at
    ``level`` for ``frames`` frames from there."""
    onset[at - 1 : at + 2, key] = np.maximum(onset[at - 1 : at + 2, key], [peak / 2, peak, peak / 2])
    note[at : at + frames, key] = np.maximum(note[at : at + frames, key], level)


def keys_and_starts(notes: list[tuple[int, int, int, float]]) -> list[tuple[int, int]]:
    return [(pitch, start) for start, _, pitch, _ in notes]


def test_a_struck_note_is_one_note_with_its_pitch_start_and_end() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40)
    [(start, end, pitch, amplitude)] = decode_notes(onset, note)
    assert (start, end, pitch) == (20, 60, 60)
    assert amplitude == pytest.approx(0.8)


@pytest.mark.parametrize(("peak", "level", "found"), [(0.9, 0.8, True), (0.5, 0.8, False), (0.9, 0.3, False)])
def test_a_note_needs_an_onset_peak_and_note_posterior_after_it(peak: float, level: float, found: bool) -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, peak=peak, level=level)
    assert bool(decode_notes(onset, note)) is found


def test_a_weak_but_real_note_is_kept_where_basic_pitchs_frame_threshold_drops_it() -> None:
    # The chorales' usual miss: a clear onset, the note posterior ~0.45 (under the 0.5 shipped before).
    onset, note = grams()
    strike(onset, note, C4, 20, 40, peak=0.8, level=0.45)
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20)]


def test_two_peaks_of_one_attack_make_one_note_and_a_repeated_note_two() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 60, peak=0.8)
    strike(onset, note, C4, 20 + REPEAT_FRAMES, 60, peak=0.95)  # the same attack, peaking twice
    strike(onset, note, C4, 60, 30, peak=0.9)  # struck again
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20 + REPEAT_FRAMES), (60, 60)]


def test_a_repeated_note_ends_the_one_before() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 80)
    strike(onset, note, C4, 50, 30)
    assert [(start, end) for start, end, _, _ in decode_notes(onset, note)] == [(20, 50), (50, 100)]


def test_a_note_holds_over_short_dips_and_ends_after_a_long_one() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 60)
    note[40 : 40 + GAP_FRAMES - 1, C4] = 0.1  # a dip shorter than the gap: the note goes on to frame 80
    note[100:110, C4] = 0.8  # back after more than the gap: not this note
    [(_, end, _, _)] = decode_notes(onset, note)
    assert end == 80


def test_an_upper_octave_much_weaker_than_the_lower_note_is_its_harmonic() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, level=0.8)
    strike(onset, note, C4 + 12, 21, 40, level=0.45)  # support 0.45 < 0.6 x 0.8
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20)]


def test_a_real_octave_keeps_both_notes() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, level=0.8)
    strike(onset, note, C4 + 12, 21, 40, level=0.6)  # 0.6 >= 0.6 x 0.8: it sounds on its own
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20), (72, 21)]


def test_a_lower_octave_weaker_than_the_upper_note_is_a_subharmonic() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, level=0.5)
    strike(onset, note, C4 + 12, 20, 40, level=0.7)
    assert keys_and_starts(decode_notes(onset, note)) == [(72, 20)]


def test_octaves_that_do_not_start_together_are_not_compared() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 80, level=0.8)
    strike(onset, note, C4 + 12, 20 + OCTAVE_FRAMES + 1, 40, level=0.45)
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20), (72, 20 + OCTAVE_FRAMES + 1)]


def test_the_octave_ratios_are_settings() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, level=0.8)
    strike(onset, note, C4 + 12, 20, 40, level=0.45)
    off = PeakDecoding(upper_octave_ratio=0.0, lower_octave_ratio=0.0)
    assert keys_and_starts(decode_notes(onset, note, off)) == [(60, 20), (72, 20)]


def test_the_key_range_and_minimum_length_are_applied() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40)
    strike(onset, note, C4 + 7, 100, 3)
    assert keys_and_starts(decode_notes(onset, note, PeakDecoding(lowest_key=C4 + 1))) == [(67, 100)]
    assert keys_and_starts(decode_notes(onset, note, PeakDecoding(minimum_note_frames=5))) == [(60, 20)]


def test_silence_and_a_single_frame_give_no_notes() -> None:
    assert decode_notes(*grams()) == []
    assert decode_notes(np.ones((1, 88), np.float32), np.ones((1, 88), np.float32)) == []


def test_onset_support_is_the_mean_of_the_next_frames() -> None:
    note = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 88), np.float32)
    support = onset_support(note)
    assert SUPPORT_FRAMES == 3
    assert support[0, 0] == pytest.approx((1 + 2 + 3) / 3)
    assert support[8, 5] == pytest.approx(9 / 3)  # past the end counts as silence
    assert support[9, 5] == 0


def test_onset_dip_is_the_rise_over_the_frames_before() -> None:
    onset = np.array([0.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.55, 0.4], np.float32)[:, None]
    dip = onset_dip(onset, 5)
    assert dip[1, 0] == pytest.approx(0.9)  # over the silence before the signal
    assert dip[6, 0] == pytest.approx(0.05)  # 0.55 over the 0.5 of frames 1-5


def test_a_ripple_on_a_held_notes_onset_decay_is_no_new_note() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 80)
    onset[21:40, C4] = np.linspace(0.85, 0.65, 19)  # the onset posterior decays slowly, as on a held bass
    onset[27, C4] = onset[26, C4] + 0.02  # and bumps up a little: a peak, but no attack
    assert keys_and_starts(decode_notes(onset, note)) == [(60, 20)]
    assert len(decode_notes(onset, note, PeakDecoding(minimum_dip=0.0))) == 2


@pytest.mark.parametrize("interval", [19, 24])
def test_a_weak_twelfth_or_double_octave_is_a_harmonic(interval: int) -> None:
    onset, note = grams()
    strike(onset, note, C4 - 12, 20, 40, level=0.9)
    strike(onset, note, C4 - 12 + interval, 20, 40, level=0.42)  # 0.42 < 0.5 x 0.9
    assert keys_and_starts(decode_notes(onset, note)) == [(48, 20)]
    strike(onset, note, C4 - 12 + interval, 20, 40, level=0.6)  # a voice of its own
    assert keys_and_starts(decode_notes(onset, note)) == [(48, 20), (48 + interval, 20)]


def test_a_note_below_the_key_range_still_explains_its_harmonic() -> None:
    onset, note = grams()
    strike(onset, note, C4, 20, 40, level=0.8)
    strike(onset, note, C4 + 12, 20, 40, level=0.45)
    assert decode_notes(onset, note, PeakDecoding(lowest_key=C4 + 1)) == []
