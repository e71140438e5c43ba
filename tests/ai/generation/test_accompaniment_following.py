"""The accompaniment's own ear: beats made steady and complete on the recording, each bar's chord heard over the bar."""

from __future__ import annotations

import numpy as np
import pytest

from ai.generation.bar_harmony import chroma_frames, heard_chords, span_chroma
from ai.generation.beat_following import REFINE_SR, fit_beats, missed_first_beats, onset_envelope, refine_beats
from ai.music_theory import Chord, parse_chord


def ramp(n: int = 65, start: float = 0.4, bpm0: float = 100.0, bpm1: float = 124.0) -> np.ndarray:
    return start + np.concatenate([[0.0], np.cumsum(60.0 / np.linspace(bpm0, bpm1, n - 1))])


def test_fit_keeps_a_drifting_pulse_and_removes_a_trackers_jitter() -> None:
    truth = ramp()
    assert np.max(np.abs(fit_beats(truth) - truth)) < 1e-3  # a smooth drift is not bent
    jitter = np.random.default_rng(3).normal(0.0, 0.010, len(truth))
    jitter[30] = 0.045  # one beat slips
    tracked = truth + jitter
    assert np.mean(np.abs(tracked - truth) > 0.020) > 0.03  # the tracker's beats miss a 20 ms window
    fitted = fit_beats(tracked)
    assert np.all(np.abs(fitted - truth) <= 0.015)
    assert abs(fitted[30] - truth[30]) < 0.010


def test_fit_does_not_smooth_over_a_new_tempo_or_a_pause() -> None:
    new_tempo = np.concatenate([np.arange(32) * 60 / 90, 32 * 60 / 90 + np.arange(32) * 0.5])  # 90 -> 120 bpm
    pause = np.arange(40) * 0.5
    pause[20:] += 0.5  # a beat held twice as long
    for beats in (new_tempo, pause):
        assert np.max(np.abs(fit_beats(beats) - beats)) < 1e-6


def clicks(times: np.ndarray, duration: float) -> np.ndarray:
    y = np.zeros(int(duration * REFINE_SR), dtype=np.float32)
    burst = np.random.default_rng(0).standard_normal(600) * np.exp(-np.arange(600) / 120.0)
    for t in times:
        s = int(round(t * REFINE_SR))
        y[s : s + 600] += burst[: len(y) - s].astype(np.float32)
    return y


def test_a_first_beat_the_tracker_skipped_is_put_back_on_its_attack() -> None:
    music = np.arange(0.2, 8.0, 0.5)
    env = onset_envelope(clicks(music, 8.5))
    tracked = music[1:] + 0.012  # the tracker began one beat late, on a coarse grid
    beats = missed_first_beats(env, refine_beats(env, tracked))
    assert len(beats) == len(music)
    assert abs(beats[0] - music[0]) < 0.008


def test_silence_before_the_music_gets_no_beats() -> None:
    music = np.arange(2.0, 9.0, 0.5)
    env = onset_envelope(clicks(music, 9.5))
    beats = missed_first_beats(env, refine_beats(env, music))
    assert len(beats) == len(music) and abs(beats[0] - 2.0) < 0.008


def chord_audio(chords: list[tuple[float, ...]], bar_s: float = 2.0) -> np.ndarray:
    t = np.arange(int(bar_s * REFINE_SR)) / REFINE_SR
    bars = [sum(np.sin(2 * np.pi * f * t) / (1 + k) for k, f in enumerate(freqs)) for freqs in chords]
    return np.concatenate(bars).astype(np.float32)


def test_the_bar_chord_is_heard_when_the_analysis_names_another() -> None:
    # C#m with E in the bass (E3 G#3 C#4), then Am over C (C4 E4 A4): inversions that an analysis
    # labelled A and F; the bars' chroma names C#m and Am.
    y = chord_audio([(164.81, 207.65, 277.18), (261.63, 329.63, 440.0)])
    bars = span_chroma(chroma_frames(y, REFINE_SR), [(0.0, 2.0), (2.0, 4.0)])
    heard = heard_chords(bars, [parse_chord("A"), parse_chord("F")])
    assert [c.root for c in heard] == [1, 9]
    assert [c.quality.startswith("m") for c in heard] == [True, True]


def test_the_analysis_chord_stays_when_it_agrees_or_the_bar_is_noise() -> None:
    bars = np.zeros((3, 12))
    bars[0, [1, 4, 8, 11]] = 1.0  # C#m7
    bars[1] = 1.0  # flat: noise, drums
    heard = heard_chords(bars, [parse_chord("C#m7/B"), parse_chord("G"), Chord(2, "")])
    assert [c.symbol for c in heard] == ["C#m7/B", "G", "D"]


@pytest.mark.parametrize("seconds", [0.001, 11.9, 12.0 + 5 / REFINE_SR, 25.0])
def test_the_block_wise_onset_envelope_is_librosa_s(seconds: float) -> None:
    """Block edges fall anywhere (4,096 frames are 11.9 s); a quiet first third puts the dB floor to work."""
    import librosa

    rng = np.random.default_rng(4)
    y = (0.2 * rng.standard_normal(max(1, int(seconds * REFINE_SR)))).astype(np.float32)
    y[: len(y) // 3] *= np.float32(1e-6)
    expected = librosa.onset.onset_strength(y=y, sr=REFINE_SR, n_fft=512, hop_length=64, center=True)
    got = onset_envelope(y)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)  # BLAS may round a block's mel differently
    if got.size > 100:  # the quiet start sits under the floor (80 dB under the loudest band): no onsets there
        assert got.max() > 1.0 and np.count_nonzero(got[: got.size // 4]) == 0


def test_blocks_before_the_loudest_one_get_the_final_floor() -> None:
    """25 s far under the last 4 s (100 dB): the first blocks' own floor clamps nothing, librosa's final one
    clamps them all (their onsets vanish); they are computed again with it."""
    import librosa

    rng = np.random.default_rng(5)
    y = (1e-5 * rng.standard_normal(29 * REFINE_SR)).astype(np.float32)
    y[25 * REFINE_SR :] *= np.float32(2e4)
    expected = librosa.onset.onset_strength(y=y, sr=REFINE_SR, n_fft=512, hop_length=64, center=True)
    got = onset_envelope(y)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert np.count_nonzero(got[: 20 * REFINE_SR // 64]) == 0
