"""No made-up tempo or key for audio without a pulse or notes: noise, random clicks, a sine sweep."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import estimate_rhythm, pulse_significance
from ai.analysis.rhythm.core import HELD_CHORD
from ai.analysis.rhythm.pulse import MIN_SIGNIFICANCE
from ai.analysis.tonal import MIN_PEAKINESS, estimate_key, notes_sound, pitch_peakiness
from tests.ai.analysis.synth import progression
from tests.ai.mixing.signals import SR as MIXING_SR
from tests.ai.mixing.signals import band_song
from tests.support.non_music import burst_loop, coloured_noise, organ_chord, poisson_clicks

SR = ANALYSIS_SR


def _noise(kind: str, seconds: float, level_db: float, *, seed: int = 0, fade_s: float = 0.0) -> np.ndarray:
    """White, pink or brown noise at ``level_db`` RMS (dBFS), with linear fades of ``fade_s``."""
    n = int(seconds * SR)
    y = coloured_noise(np.random.default_rng(seed), n, kind, SR) * 10.0 ** (level_db / 20.0)
    if fade_s > 0:
        ramp = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (fade_s * SR))
        y = y * ramp
    return y.astype(np.float32)


def _poisson_clicks(rate: float, seconds: float, *, seed: int = 0) -> np.ndarray:
    """Noise clicks (3 ms decay) at random (Poisson) times, ``rate`` a second."""
    return poisson_clicks(np.random.default_rng(seed), seconds, rate, SR).astype(np.float32)


def _burst_loop(bpm: float, seconds: float, *, seed: int = 0) -> np.ndarray:
    """A drum loop of noise bursts only (kick low-passed at 400 Hz). Its pitch-class distribution fits
    E minor at 0.7 or more (the key before the peakiness rule: "E minor" at 0.03)."""
    return burst_loop(np.random.default_rng(seed), seconds, bpm, SR).astype(np.float32)


def _sweep(seconds: float, f0: float, f1: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    k = np.log(f1 / f0) / seconds
    return (0.3 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1.0) / k)).astype(np.float32)


NOISES = [
    ("white", 20.0, -20.0, 0.0),
    ("white", 8.0, -50.0, 2.0),
    ("pink", 20.0, -10.0, 3.0),
    ("pink", 6.0, -30.0, 0.0),
    ("brown", 20.0, -20.0, 3.0),
    ("brown", 8.0, -40.0, 0.0),
]


@pytest.mark.parametrize(("kind", "seconds", "level_db", "fade_s"), NOISES)
def test_noise_has_no_tempo_beats_or_meter(kind: str, seconds: float, level_db: float, fade_s: float) -> None:
    res = estimate_rhythm(compute_features(_noise(kind, seconds, level_db, fade_s=fade_s), SR))
    assert res.tempo == 0.0 and res.tempo_confidence == 0.0
    assert len(res.beat_times) == 0 and len(res.downbeat_times) == 0
    assert res.time_signature is None and res.beats_per_bar == 0
    assert "no periodic pulse" in res.why_none


@pytest.mark.parametrize("rate", [0.5, 1.0, 2.0, 3.0, 6.0, 12.0])
def test_random_clicks_have_no_tempo(rate: float) -> None:
    res = estimate_rhythm(compute_features(_poisson_clicks(rate, 30.0, seed=int(rate * 10)), SR))
    assert res.tempo == 0.0 and len(res.beat_times) == 0 and res.time_signature is None
    assert res.why_none


def test_a_slow_sine_sweep_under_a_noise_floor_has_no_tempo() -> None:
    """The sweep alone has no attacks (the steady-tone rule); a quiet hiss under it gives the flux
    something to read, and it got a tempo."""
    sweep = _sweep(20.0, 100.0, 2000.0) + _noise("white", 20.0, -50.0, seed=3)
    res = estimate_rhythm(compute_features(sweep, SR))
    assert res.tempo == 0.0 and len(res.beat_times) == 0 and res.time_signature is None


def test_a_noise_burst_loop_keeps_its_tempo_but_gets_no_key() -> None:
    features = compute_features(_burst_loop(120.0, 16.0), SR)
    res = estimate_rhythm(features)
    assert res.tempo > 0 and len(res.beat_times) >= 8 and not res.why_none
    assert min(abs(res.tempo - t) for t in (60.0, 120.0, 240.0)) < 2.0
    key = estimate_key(features)
    assert key.key is None and key.why_none.startswith(("no pitched notes", "no pitched content"))
    assert pitch_peakiness(features) < MIN_PEAKINESS and not notes_sound(features)


def test_a_quiet_groove_keeps_its_tempo() -> None:
    """A real groove 50 dB down, over a hiss: its pulse still stands out of the surrogates."""
    y, beats, _ = progression(["C", "Am", "F", "G"], bpm=100.0, beats_per_chord=4, repeats=3)
    quiet = 10.0 ** (-50.0 / 20.0) * y / np.abs(y).max() + _noise("pink", len(y) / SR, -80.0, seed=5)
    features = compute_features(quiet.astype(np.float32), SR)
    assert pulse_significance(features.onset_env, features.frame_rate) >= MIN_SIGNIFICANCE
    res = estimate_rhythm(features)
    assert abs(res.tempo - 100.0) < 2.0 and len(res.beat_times) >= 0.8 * len(beats)


def test_notes_keep_a_tempo_where_the_pulse_is_weak() -> None:
    """Held chords that change at irregular times (no period): notes sound, so the no-pulse rule does not
    decide (the rubato and sung music of the real set shows no more period than noise)."""
    rng = np.random.default_rng(2)
    y = np.zeros(int(20.0 * SR), dtype=np.float32)
    t = 0.0
    for label in ["C", "F", "G", "Am", "Dm", "E", "C", "G", "F", "C"]:
        chord, _, _ = progression([label], bpm=60.0, beats_per_chord=1, repeats=1)
        i = int(t * SR)
        y[i : i + len(chord)] += chord[: len(y) - i]
        t += rng.uniform(1.1, 2.9)
    features = compute_features(y, SR)
    assert notes_sound(features)
    assert not estimate_rhythm(features).why_none


def test_a_kick_under_noise_stems_keeps_a_tempo() -> None:
    """The mixing tests' band (a 55 Hz sine-burst kick every 0.5 s under band-noise bass, guitar, vocals and
    hats): the all-band onset envelope is mostly the noise's, but the kick/bass envelope beats."""
    mono = np.sum([s.mean(axis=0) for s in band_song().values()], axis=0).astype(np.float32)
    features = compute_features(mono, MIXING_SR)
    assert pulse_significance(features.onset_env, features.frame_rate) < MIN_SIGNIFICANCE
    res = estimate_rhythm(features)
    assert not res.why_none and res.tempo > 0 and len(res.beat_times) > 0


def test_a_two_second_clip_of_a_song_says_why_it_has_no_tempo() -> None:
    """1.5-2.4 s of a song are past the analysis' 1.5 s floor but under the tracker's 2 s of sound: no tempo,
    and no note said why (the accompaniment's 422 no_beat then gave the loudness-range note as its reason)."""
    from ai.analysis.pipeline import analyze
    from ai.audio.decode import DecodedAudio

    chords, _, _ = progression(["C", "F", "G", "C"], bpm=120.0, beats_per_chord=1, repeats=2)
    clip = chords[: int(1.9 * SR)]
    res = estimate_rhythm(compute_features(clip, SR))
    assert res.tempo == 0.0 and res.why_none == "the sound lasts under 2 s: too short to show a pulse"
    notes = analyze(DecodedAudio(np.stack([clip, clip]), SR)).notes
    assert "the sound lasts under 2 s: too short to show a pulse: no tempo, beats or meter" in notes


@pytest.mark.parametrize("seconds", [8.0, 20.0])
def test_a_held_organ_chord_has_no_tempo(seconds: float) -> None:
    """An organ's ranks beat against each other: small attacks with a weak period (69.8 and 108.9 BPM here, a
    FluidSynth church organ 52.1 BPM at confidence 0.195). One chord held at a steady level has no pulse."""
    organ = organ_chord(np.random.default_rng(0), seconds, SR).astype(np.float32)
    res = estimate_rhythm(compute_features(organ, SR))
    assert res.tempo == 0.0 and len(res.beat_times) == 0 and res.time_signature is None
    assert res.why_none == HELD_CHORD


def test_one_chord_over_a_drum_loop_keeps_its_tempo() -> None:
    """The same chord over a beat: its chroma holds as still, but the pulse is sure."""
    organ = organ_chord(np.random.default_rng(0), 20.0, SR)
    loop = _burst_loop(120.0, 20.0, seed=1)
    res = estimate_rhythm(compute_features((organ + 0.3 * loop / np.abs(loop).max()).astype(np.float32), SR))
    assert not res.why_none and abs(res.tempo - 120.0) < 2.0
