"""Rhythm analysis on synthetic signals with known tempo, beats, downbeats and meter."""

from __future__ import annotations

import dataclasses

import mir_eval
import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import (
    PRIOR_BPM,
    SUSTAINED_PRIOR_BPM,
    RhythmResult,
    attack_shift,
    beat_division,
    detrend,
    divide_slow_grid,
    duple_subdivision,
    estimate_rhythm,
    harmonic_level,
    harmonic_period,
    log_normal_prior,
    mel_flux,
    metrical_consistency,
    percussiveness,
    prior_mode,
)

SR = ANALYSIS_SR


def _click(freq: float, amp: float, dur: float = 0.06) -> np.ndarray:
    t = np.arange(int(dur * SR)) / SR
    return amp * np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.012)


def click_track(
    bpm: float, beats_per_bar: int, *, seconds: float = 20.0, offset: float = 0.3, pickup: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clicks on every beat; downbeats louder with a low thump (kick-like); the first ``pickup``
    clicks come before the first downbeat. Returns y, beat times, downbeat times."""
    y = np.zeros(int(seconds * SR))
    beats = np.arange(offset, seconds - 0.2, 60.0 / bpm)
    accent = _click(70.0, 1.0) + _click(1000.0, 0.6)
    plain = _click(1500.0, 0.5)
    for i, b in enumerate(beats):
        c = accent if (i - pickup) % beats_per_bar == 0 else plain
        start = int(round(b * SR))
        end = min(len(y), start + len(c))
        y[start:end] += c[: end - start]
    return y.astype(np.float32), beats, beats[pickup % beats_per_bar :: beats_per_bar]


def _analyse(y: np.ndarray) -> RhythmResult:
    return estimate_rhythm(compute_features(y, SR))


@pytest.mark.parametrize("bpm", [72.0, 96.0, 120.0, 145.0, 174.0])
def test_click_track_four_four(bpm: float) -> None:
    y, beats, downbeats = click_track(bpm, 4)
    res = _analyse(y)
    assert res.tempo == pytest.approx(bpm, rel=0.01)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9
    assert res.time_signature == "4/4"
    assert res.beats_per_bar == 4
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9
    assert 0.0 < res.tempo_confidence <= 1.0


@pytest.mark.parametrize("bpm", [90.0, 150.0])
def test_click_track_three_four(bpm: float) -> None:
    y, beats, downbeats = click_track(bpm, 3)
    res = _analyse(y)
    assert res.tempo == pytest.approx(bpm, rel=0.01)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9
    assert res.time_signature == "3/4"
    assert res.beats_per_bar == 3
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9


def test_tempo_is_not_quantised_to_a_grid() -> None:
    # 123.4 BPM lies between the frame-lag grid's tempi (43 frames/s): the answer must still
    # be within 0.2 BPM.
    y, _, _ = click_track(123.4, 4, seconds=30.0)
    assert _analyse(y).tempo == pytest.approx(123.4, abs=0.2)


@pytest.mark.parametrize(("beats_per_bar", "pickup"), [(4, 1), (4, 2), (4, 3), (3, 1), (3, 2)])
def test_downbeats_follow_a_pickup(beats_per_bar: int, pickup: int) -> None:
    y, _, downbeats = click_track(110.0, beats_per_bar, pickup=pickup)
    res = _analyse(y)
    assert res.beats_per_bar == beats_per_bar
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9


def _offbeat_hats_over_chords(bpm: float, seconds: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """Sustained triads changing every bar (on the downbeat) and noisy hi-hat hits on every
    off-beat only: the onsets alone point half a beat away from the beat. Returns y, beats."""
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    period = 60.0 / bpm
    chords = [(60, 64, 67), (57, 60, 64), (65, 69, 72), (67, 71, 74)]
    for k, start in enumerate(np.arange(0.0, seconds, 4 * period)):
        seg = (t >= start) & (t < start + 4 * period)
        for midi in chords[k % 4]:
            y[seg] += 0.08 * np.sin(2 * np.pi * 440.0 * 2 ** ((midi - 69) / 12) * t[seg])
    n = int(0.03 * SR)
    rng = np.random.default_rng(0)
    hat = _click(6000.0, 0.6, 0.03) + 0.3 * rng.standard_normal(n) * np.exp(-np.arange(n) / SR / 0.008)
    beats = np.arange(0.0, seconds - 0.01, period)
    for b in beats + period / 2:
        start = int(b * SR)
        end = min(len(y), start + n)
        y[start:end] += hat[: end - start]
    return y.astype(np.float32), beats


@pytest.mark.parametrize("bpm", [100.0, 120.0])
def test_beats_follow_the_chord_changes_not_offbeat_hats(bpm: float) -> None:
    y, beats = _offbeat_hats_over_chords(bpm)
    res = _analyse(y)
    assert res.tempo == pytest.approx(bpm, rel=0.01)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9


def test_a_four_second_loop_has_a_tempo() -> None:
    y, beats, _ = click_track(120.0, 4, seconds=4.0)
    res = _analyse(y)
    assert res.tempo == pytest.approx(120.0, rel=0.01)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9


def test_beats_follow_a_gradual_tempo_change() -> None:
    # 110 -> 130 BPM over 30 s (accelerando): the beat grid must follow, the tempo is the mean.
    t, beats = 0.3, []
    while t < 30.0:
        beats.append(t)
        t += 60.0 / (110.0 + 20.0 * t / 30.0)
    y = np.zeros(int(30.5 * SR))
    for i, b in enumerate(beats):
        c = _click(70.0, 1.0) + _click(1000.0, 0.6) if i % 4 == 0 else _click(1500.0, 0.5)
        start = int(round(b * SR))
        end = min(len(y), start + len(c))
        y[start:end] += c[: end - start]
    res = _analyse(y.astype(np.float32))
    assert 115.0 <= res.tempo <= 125.0
    assert mir_eval.beat.f_measure(np.asarray(beats), np.asarray(res.beat_times)) >= 0.9


def test_silence_has_no_tempo() -> None:
    res = _analyse(np.zeros(SR * 5, dtype=np.float32))
    assert res.tempo == 0.0
    assert res.tempo_confidence == 0.0
    assert len(res.beat_times) == 0 and len(res.downbeat_times) == 0
    assert res.time_signature is None and res.beats_per_bar == 0


def test_a_tenth_of_a_second_has_no_tempo() -> None:
    rng = np.random.default_rng(0)
    res = _analyse((0.3 * rng.standard_normal(SR // 10)).astype(np.float32))
    assert res.tempo == 0.0 and res.tempo_confidence == 0.0
    assert len(res.beat_times) == 0


def test_empty_signal_has_no_tempo() -> None:
    res = _analyse(np.zeros(0, dtype=np.float32))
    assert res.tempo == 0.0 and len(res.beat_times) == 0


def test_a_steady_tone_or_held_chord_has_no_tempo() -> None:
    """No attack, no pulse: the frame-to-frame flux of a held sound is rounding noise (it read 108.8 BPM)."""
    t = np.arange(SR * 20) / SR
    sine = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)).astype(np.float32)
    for held in (sine, chord):
        res = _analyse(held)
        assert res.tempo == 0.0 and len(res.beat_times) == 0 and res.time_signature is None
    y, _, _ = click_track(120.0, 4, seconds=20.0)  # the same chord with a click on every beat has one
    assert abs(_analyse(y + chord[: len(y)]).tempo - 120.0) < 2.0


def test_a_short_held_chord_with_one_attack_has_no_tempo() -> None:
    """A 4-s chord that starts after silence (or fades in and out) has one attack: it read 60 BPM at confidence
    0.69 (and 0.53) with four beats. Four clicks a second apart, the same length, keep their tempo."""
    t = np.arange(SR * 4) / SR
    chord = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)).astype(np.float32)
    fades = (chord * np.minimum(1.0, t / 0.3) * np.minimum(1.0, (t[-1] - t) / 0.3)).astype(np.float32)
    for held in (np.concatenate([np.zeros(SR // 2, dtype=np.float32), chord]), fades):
        res = _analyse(held)
        assert res.tempo == 0.0 and len(res.beat_times) == 0 and res.time_signature is None
    y, _, _ = click_track(120.0, 4, seconds=4.0)
    assert abs(_analyse(y).tempo - 120.0) < 2.0


def test_steady_noise_gives_low_confidence() -> None:
    rng = np.random.default_rng(1)
    noise = _analyse((0.1 * rng.standard_normal(SR * 10)).astype(np.float32))
    y, _, _ = click_track(120.0, 4, seconds=10.0)
    clicks = _analyse(y)
    assert noise.tempo_confidence < clicks.tempo_confidence


def test_result_is_frozen() -> None:
    res = RhythmResult.empty()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.tempo = 1.0  # type: ignore[misc]


def test_prior_peaks_at_its_mode() -> None:
    bpms = np.array([65.0, 130.0, 260.0])
    p = log_normal_prior(bpms, mode=130.0, octaves=0.7)
    assert p[1] == pytest.approx(1.0)
    assert p[0] == pytest.approx(p[2])  # symmetric in log tempo
    assert p[0] < 0.5


def test_detrend_removes_a_slow_ramp() -> None:
    x = np.linspace(0.0, 10.0, 1000)
    out = detrend(x, 51)
    assert np.abs(out[100:900]).max() < 1e-9


def _pulse_train(shape: np.ndarray, period: int = 20, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A detection function holding ``shape`` (peak at its last sample) once per period; the
    peaks' frame positions."""
    x = np.zeros(n)
    peaks = np.arange(30, n - 10, period)
    for p in peaks:
        x[p - len(shape) + 1 : p + 1] = shape
    return x, peaks.astype(float)


def test_attack_shift_leaves_sharp_onsets_alone() -> None:
    x, peaks = _pulse_train(np.array([1.0]))
    assert attack_shift(x, peaks) == 0.0


def test_attack_shift_moves_beats_to_the_start_of_a_slow_rise() -> None:
    # A rise over 4 frames (0.25, 0.5, 0.75, 1) peaking at the beat: half-way is reached 2
    # frames before the peak, so the beats move back by 2 - 0.5 frames.
    x, peaks = _pulse_train(np.linspace(0.0, 1.0, 5)[1:])
    assert attack_shift(x, peaks) == pytest.approx(-1.5, abs=0.05)


def _sustained_chords(seconds: float = 12.0, bpm: float = 70.0) -> np.ndarray:
    """Legato triads with slow (300 ms) attacks, one per beat, no percussion; with vibrato and a
    little breath noise, as sung or bowed notes have (a pure steady sine has no flux at all)."""
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    period = 60.0 / bpm
    chords = [(60, 64, 67), (57, 60, 64), (65, 69, 72), (67, 71, 74)]
    for k, on in enumerate(np.arange(0.0, seconds, period)):
        seg = (t >= on) & (t < on + period)
        tt = t[seg] - on
        env = np.minimum(1.0, tt / 0.3)
        for i, midi in enumerate(chords[k % 4]):
            f0 = 440.0 * 2 ** ((midi - 69) / 12)
            phase = 2 * np.pi * f0 * tt + 0.6 * np.sin(2 * np.pi * 5.5 * tt + i)  # ~ +-20 cents
            y[seg] += 0.1 * env * np.sin(phase)
    rng = np.random.default_rng(3)
    return (y + 0.01 * rng.standard_normal(len(y))).astype(np.float32)


def _flux(y: np.ndarray) -> np.ndarray:
    f = compute_features(y, SR)
    return mel_flux(f.mel)


def test_percussiveness_tells_clicks_from_legato_chords() -> None:
    clicks, _, _ = click_track(100.0, 4, seconds=12.0)
    assert percussiveness(_flux(clicks)) > 0.9
    assert percussiveness(_flux(_sustained_chords())) < 0.3
    assert percussiveness(np.zeros(100)) == 0.0


def test_prior_mode_follows_percussiveness() -> None:
    assert prior_mode(0.0) == pytest.approx(SUSTAINED_PRIOR_BPM)
    assert prior_mode(1.0) == pytest.approx(PRIOR_BPM)
    assert SUSTAINED_PRIOR_BPM < prior_mode(0.5) < PRIOR_BPM


@pytest.mark.parametrize("bpm", [60.0, 84.0])
def test_slow_legato_chords_get_their_beat(bpm: float) -> None:
    res = _analyse(_sustained_chords(seconds=20.0, bpm=bpm))
    assert res.tempo == pytest.approx(bpm, rel=0.01)
    beats = np.arange(0.0, 20.0, 60.0 / bpm)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9


def _block_chroma(n_beats: int, beat_frames: float, beats_per_chord: int, seed: int = 0) -> np.ndarray:
    """Chroma [12, frames] holding one random triad per ``beats_per_chord`` beats, with a little
    noise; consecutive chords differ."""
    rng = np.random.default_rng(seed)
    n = int(np.ceil(n_beats * beat_frames)) + 1
    chroma = 0.02 * rng.random((12, n))
    root = 0
    for start in range(0, n_beats, beats_per_chord):
        root = (root + int(rng.integers(1, 12))) % 12
        a, b = int(round(start * beat_frames)), int(round((start + beats_per_chord) * beat_frames))
        for step in (0, 4, 7):
            chroma[(root + step) % 12, a:b] += 1.0
    return chroma


def test_harmonic_period_finds_chord_segments_four_beats_long() -> None:
    beats = np.arange(64) * 20.0
    contrast = harmonic_period(_block_chroma(64, 20.0, 4), beats)
    assert max((k for k in contrast if k >= 1.5), key=contrast.get) == 4.0
    assert contrast[4.0] > 2 * contrast[2.0]


def test_harmonic_level_halves_eighth_notes_and_doubles_half_notes() -> None:
    chroma = _block_chroma(128, 20.0, 4, seed=1)  # a chord every 4 beats of 20 frames
    eighths = np.arange(255) * 10.0
    halves = np.arange(64) * 40.0
    quarters = np.arange(128) * 20.0
    assert harmonic_level(chroma, eighths, tempo=240.0, duple=True) == 0.5
    assert harmonic_level(chroma, halves, tempo=60.0, duple=True) == 2.0
    assert harmonic_level(chroma, quarters, tempo=120.0, duple=True) == 1.0
    # A half-beat that divides in three (a waltz bar heard as two dotted quarters) is not doubled.
    assert harmonic_level(chroma, halves, tempo=60.0, duple=False) == 1.0


def test_harmonic_level_keeps_a_chord_on_every_beat() -> None:
    chroma = _block_chroma(64, 30.0, 1, seed=2)  # chorale-style: a new chord on every beat
    assert harmonic_level(chroma, np.arange(64) * 30.0, tempo=80.0, duple=True) == 1.0


def test_duple_subdivision_tells_quarters_from_triplets() -> None:
    period = 48.0
    n = 4800
    duple = np.zeros(n)
    duple[:: int(period / 4)] = 1.0  # sixteenths: the half-beat divides in two
    triple = np.zeros(n)
    triple[:: int(period / 3)] = 1.0  # triplets
    assert duple_subdivision(duple, period)
    assert not duple_subdivision(triple, period)


def test_metrical_consistency_is_high_when_bars_match_the_chords() -> None:
    chroma = _block_chroma(128, 20.0, 4, seed=3)
    on_beat = metrical_consistency(harmonic_period(chroma, np.arange(128) * 20.0))
    eighths = metrical_consistency(harmonic_period(chroma, np.arange(255) * 10.0))
    assert on_beat > 0.9 and eighths < 0.7
    assert metrical_consistency(harmonic_period(np.zeros((12, 3000)), np.arange(128) * 20.0)) == 0.5


def _six_eight(dotted_bpm: float, *, seconds: float = 24.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """6/8: a kick and click on each dotted-quarter beat, softer clicks on the two eighths
    between, a new chord (plucked triad, struck on every eighth) on every bar of two beats.
    Returns y, beat times, downbeat times."""
    from .synth import note

    y = np.zeros(int(seconds * SR))
    beat = 60.0 / dotted_bpm
    eighth = beat / 3.0
    strong = _click(70.0, 1.0) + _click(1200.0, 0.6)
    soft = _click(2500.0, 0.35)
    roots = [60, 65, 67, 57]  # C, F, G, A minor-ish roots (triads below)
    beats = np.arange(0.0, seconds - beat, beat)
    for i in range(int((seconds - beat) / eighth)):
        start = int(round(i * eighth * SR))
        click = strong if i % 3 == 0 else soft
        end = min(len(y), start + len(click))
        y[start:end] += click[: end - start]
        root = roots[(i // 6) % len(roots)]
        third = 3 if root == 57 else 4
        for pitch in (root, root + third, root + 7):
            tone = note(pitch, eighth, amplitude=0.08)
            end = min(len(y), start + len(tone))
            y[start:end] += tone[: end - start]
    return y.astype(np.float32), beats, beats[::2]


@pytest.mark.parametrize("dotted_bpm", [66.0, 80.0])
def test_six_eight_is_compound(dotted_bpm: float) -> None:
    y, beats, downbeats = _six_eight(dotted_bpm)
    res = _analyse(y)
    assert res.beat_division == 3
    assert res.time_signature == "6/8" and res.beats_per_bar == 2
    assert res.tempo == pytest.approx(dotted_bpm, rel=0.02)
    assert mir_eval.beat.f_measure(beats, np.asarray(res.beat_times)) >= 0.9
    assert mir_eval.beat.f_measure(downbeats, np.asarray(res.downbeat_times)) >= 0.9


def test_straight_eighths_are_not_compound() -> None:
    y, _, _ = click_track(120.0, 4)
    res = _analyse(y)
    assert res.beat_division == 2 and res.time_signature == "4/4"


def _beat_patterns(fill: dict[int, float], *, every: int = 4, beats: int = 48) -> dict[str, np.ndarray]:
    """Beat-synchronous onset patterns (_SUBDIV = 12 points a beat, the low band empty): a strong
    onset on every beat, and ``fill`` (point -> strength) inside one beat in ``every``."""
    pattern = np.zeros((beats, 24))
    pattern[:, 0] = 4.0
    for point, strength in fill.items():
        pattern[::every, point] = strength
    return {"pattern": pattern}


def test_beat_division_reads_the_beats_that_divide() -> None:
    # A waltz felt in one: the beat sustains, and one beat in four (the bar where the bass walks)
    # splits into three quarter notes, weakly against the bar's accent.
    assert beat_division(_beat_patterns({4: 0.6, 8: 0.6})) == 3
    assert beat_division(_beat_patterns({4: 0.6, 8: 0.6}, every=1)) == 3
    # Straight eighths or sixteenths in the fills, and swing (the second third only), stay duple.
    assert beat_division(_beat_patterns({6: 0.6})) == 2
    assert beat_division(_beat_patterns({3: 0.6, 6: 0.6, 9: 0.6})) == 2
    assert beat_division(_beat_patterns({8: 0.6})) == 2
    # Triplets over straight eighths are not a compound beat.
    assert beat_division(_beat_patterns({4: 0.6, 6: 0.6, 8: 0.6})) == 2
    # Nothing between the beats at all.
    assert beat_division(_beat_patterns({})) == 2


def test_a_slow_grid_is_divided_as_its_busiest_beats_divide() -> None:
    beats = np.arange(32) * 64.0  # 40 BPM at ~43 frames a second: a bar counted as one beat
    # Quarter notes in the fills of a waltz bar: divided in three.
    tripled, period, _ = divide_slow_grid(beats, _beat_patterns({4: 0.6, 8: 0.6}, beats=32))
    assert tripled.shape[0] == 3 * 31 + 1 and period == pytest.approx(64.0 / 3.0)
    # Half notes or quarters between (a march read in whole notes): divided in two.
    doubled, period, _ = divide_slow_grid(beats, _beat_patterns({6: 0.6}, beats=32))
    assert doubled.shape[0] == 2 * 31 + 1 and period == pytest.approx(32.0)
    assert np.all(np.isin(beats, doubled))


def _in_a_room(y: np.ndarray, seconds: float = 1.2, wet: float = 0.6) -> np.ndarray:
    """``y`` through a synthetic room: exponentially decaying noise (RT60 ``seconds``) mixed in."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * SR)) / SR
    tail = rng.standard_normal(t.size) * 10.0 ** (-3.0 * t / seconds)
    tail /= np.sqrt(np.sum(tail**2))
    wet_signal = np.convolve(y, tail)[: y.size]
    return (
        (1.0 - wet) * y + wet * wet_signal / max(float(np.abs(wet_signal).max()), 1e-9) * float(np.abs(y).max())
    ).astype(np.float32)


@pytest.mark.parametrize("bpm", [96.0, 132.0])
def test_beats_in_a_reverberant_room_land_on_the_beat(bpm: float) -> None:
    """The learned activation tracks the beat itself, not the reverberant flux after it."""
    y, beats, _ = click_track(bpm, 4, seconds=20.0)
    result = _analyse(_in_a_room(y))
    assert result.tempo == pytest.approx(bpm, rel=0.02)
    est = result.beat_times
    nearest = est[np.abs(est[:, None] - beats[None, :]).argmin(axis=0)]
    # The flux alone puts these beats 12 ms early (measured); the activation within 4 ms.
    assert np.median(np.abs(nearest - beats)) < 0.008
    assert mir_eval.beat.f_measure(mir_eval.beat.trim_beats(beats), mir_eval.beat.trim_beats(est)) > 0.95


def test_the_flux_alone_still_tracks_without_the_network() -> None:
    """A missing network file leaves the flux tracker (the analysis never depends on the file)."""
    y, beats, _ = click_track(120.0, 4, seconds=16.0)
    result = estimate_rhythm(compute_features(y, SR), beat_net=None)
    assert result.tempo == pytest.approx(120.0, rel=0.02)
    assert mir_eval.beat.f_measure(mir_eval.beat.trim_beats(beats), mir_eval.beat.trim_beats(result.beat_times)) > 0.95
