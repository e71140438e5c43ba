"""Beats on recordings whose every attack is soft (strings, pads): followed on the attacks, not where a tracker hears them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ai.analysis.pipeline import AnalysisResult
from ai.generation.accompaniment import AccompanimentOptions, accompany_cues, meter_changes, recording_cues
from ai.generation.base import GeneratorRegistry
from ai.generation.beat_following import (
    FRAME_S,
    REFINE_SR,
    attack_offset,
    fit_beats,
    follow_soft_attacks,
    missed_first_beats,
    onset_cues,
    refine_beats,
)
from ai.generation.theory import TheoryGenerator
from tests.ai.generation.test_accompaniment_following import clicks

TRUTH = 0.3 + np.arange(48) * 0.5  # 120 bpm
CHORDS = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (164.81, 207.65, 246.94)]
LATE = 0.045
"""Where a tracker puts its beats on such a recording: 35-60 ms after the notes begin (bench/accompaniment.py,
tune-strings set)."""


def bowed_chords(
    beats: np.ndarray, seconds: float, *, attack: float = 0.08, release: float = 0.15, bow_noise: float = 0.02
) -> np.ndarray:
    """A new chord on every beat, each note rising linearly over ``attack`` seconds (a bowed string) with a
    player's vibrato (0.6 % at about 5.5 Hz), the previous chord fading over ``release`` under it, over the bow's
    noise: no prominent onset anywhere. (Without vibrato and bow noise every chord change stood twice over the
    flat onsets around it, on 0.62 of the beats; the bench's strings rendered through a soundfont, on 0.02-0.34.)"""
    rng = np.random.default_rng(0)
    y = np.zeros(int(seconds * REFINE_SR))
    for k, beat in enumerate(beats):
        length = beats[k + 1] - beat if k + 1 < len(beats) else 0.5
        t = np.arange(int((length + 4 * release) * REFINE_SR)) / REFINE_SR
        gain = np.minimum(t / attack, 1.0) * np.where(t > length, np.exp(-(t - length) / release), 1.0)
        start = int(beat * REFINE_SR)
        for f in CHORDS[k % len(CHORDS)]:
            rate, phase = 5.5 * rng.uniform(0.9, 1.1), rng.uniform(0, 2 * np.pi)
            for harmonic in range(1, 6):
                vibrato = 0.006 * f * harmonic / rate * np.sin(2 * np.pi * rate * t + phase)
                tone = gain * np.sin(2 * np.pi * f * harmonic * t + vibrato + rng.uniform(0, 2 * np.pi)) / harmonic
                part = tone[: len(y) - start]
                y[start : start + len(part)] += part
    y += bow_noise * rng.standard_normal(len(y))
    return (0.1 * y).astype(np.float32)


@pytest.fixture(scope="module")
def strings() -> np.ndarray:
    return bowed_chords(TRUTH, 25.0)


def tracked(late: float) -> np.ndarray:
    return TRUTH + late + np.random.default_rng(1).normal(0.0, 0.006, len(TRUTH))


def followed(y: np.ndarray, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the beats refined, fitted and completed as before, the same followed onto soft attacks too)."""
    env, bands = onset_cues(y)
    before = missed_first_beats(env, fit_beats(refine_beats(env, beats)))
    return before, follow_soft_attacks(env, bands, before)


def within(beats: np.ndarray, tolerance: float = 0.020) -> float:
    """Share of the true beats with a beat within ``tolerance``."""
    return float(np.mean([np.min(np.abs(beats - t)) <= tolerance for t in TRUTH]))


def test_late_beats_on_slow_attacks_move_onto_the_attacks(strings: np.ndarray) -> None:
    before, after = followed(strings, tracked(LATE))
    assert within(before) == 0.0  # the onset refinement finds nothing to move them onto
    assert within(after) >= 0.95
    assert len(after) == len(TRUTH)


def test_beats_already_on_slow_attacks_stay(strings: np.ndarray) -> None:
    before, after = followed(strings, tracked(0.0))
    assert np.array_equal(after, before) and within(after) == 1.0


def test_sharp_attacks_are_left_to_the_onset_refinement() -> None:
    y = clicks(TRUTH, 25.0)
    env, bands = onset_cues(y)
    beats = fit_beats(refine_beats(env, tracked(0.03)))
    assert within(beats, 0.008) == 1.0  # on the clicks already
    assert np.array_equal(follow_soft_attacks(env, bands, beats), beats)


def test_no_attack_heard_moves_nothing() -> None:
    t = np.arange(25 * REFINE_SR) / REFINE_SR
    held = (0.1 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)  # one chord held throughout
    noise = (0.05 * np.random.default_rng(2).standard_normal(len(t))).astype(np.float32)
    for y in (held, noise):
        _, bands = onset_cues(y)
        assert attack_offset(bands, tracked(LATE)) == 0.0
    assert attack_offset(np.zeros((8, 100), dtype=np.float16), TRUTH) == 0.0  # shorter than the beats


def test_the_band_levels_are_the_log_mel_spectrum_averaged() -> None:
    """librosa's centred log-mel frames (dB, no floor) averaged over 8 groups of 16 bands, across block edges."""
    import librosa

    rng = np.random.default_rng(6)
    y = (0.2 * rng.standard_normal(int(13.0 * REFINE_SR))).astype(np.float32)  # 4,096 frames are 11.9 s
    y[: len(y) // 4] *= np.float32(1e-3)
    mel = librosa.feature.melspectrogram(y=y, sr=REFINE_SR, n_fft=512, hop_length=64)
    db = 10.0 * np.log10(np.maximum(1e-10, mel))
    expected = db.reshape(8, 16, -1).mean(axis=1)
    env, bands = onset_cues(y)
    assert bands.shape == expected.shape == (8, len(env)) and bands.dtype == np.float16
    np.testing.assert_allclose(bands.astype(np.float32), expected, rtol=0, atol=0.05)


def analysis_of(beats: np.ndarray, duration: float) -> AnalysisResult:
    """The analysis a tracker would give of the bowed chords: their beats (late), 4/4, A minor."""
    return AnalysisResult(
        duration=duration, sample_rate=REFINE_SR, channels=1, tempo=120.0, tempo_confidence=0.9,
        beat_tempo=120.0, beat_times=[float(b) for b in beats], beats=len(beats),
        downbeat_times=[float(b) for b in beats[::4]], time_signature="4/4", beat_division=2, key="A minor",
        key_confidence=0.8, key_score=0.9, key_runner_up=None, key_runner_up_score=0.0, tuning_cents=0.0, chords=[],
        loudness_lufs=None, true_peak_dbtp=None, peak_dbfs=None, loudness_range_lu=None,
        short_term_loudness_max_lufs=None, crest_factor_db=None, spectral_centroid_mean=0.0,
        spectral_rolloff_mean=0.0, rms_mean=0.0, zero_crossing_rate_mean=0.0, clipped_fraction=0.0,
    )  # fmt: skip


def test_the_accompaniment_plays_on_the_soft_attacks(strings: np.ndarray) -> None:
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator())
    analysis = analysis_of(tracked(LATE), len(strings) / REFINE_SR)
    result = accompany_cues(recording_cues(strings, 0.0), analysis, registry, AccompanimentOptions(seed=3))
    onsets = np.array(sorted({n.start for part in ("drums", "bass") for n in result.parts[part]}))
    assert within(onsets[onsets <= TRUTH[-1] + FRAME_S]) >= 0.95


def test_the_accompaniment_keeps_a_short_bar_the_analysis_found() -> None:
    """Beats every 0.5 s whose downbeats move by three beats after the 3rd bar (a 3/4 bar in a 4/4 song): the
    accompaniment's bars follow them and its MIDI file says 3/4 there; with regular downbeats, no odd bar."""
    import io

    import pretty_midi

    beats = np.arange(0.25, 20.0, 0.5)
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator())
    cues = recording_cues(clicks(beats, 20.5), 0.0)
    shifted = analysis_of(beats, 20.5)
    shifted.downbeat_times[:] = [float(b) for b in np.concatenate([beats[0:12:4], beats[11::4]])]
    result = accompany_cues(cues, shifted, registry, AccompanimentOptions(parts=("drums", "bass"), seed=3))
    assert 3 in result.grid.bar_lengths and result.grid.bar_span(3)[0] == pytest.approx(beats[11], abs=0.01)
    meters = pretty_midi.PrettyMIDI(io.BytesIO(result.midi)).time_signature_changes  # a 1/4 lead-in, then 4/4
    assert [m.numerator for m in meters] == [1, 4, 3, 4]
    assert [m.time for m in meters] == pytest.approx([0.0, 0.25, 4.25, 5.75], abs=0.01)
    changes = meter_changes(result.grid)
    assert [(c["bar"], c["time_signature"]) for c in changes] == [(3, "3/4"), (4, "4/4")]
    regular = accompany_cues(cues, analysis_of(beats, 20.5), registry, AccompanimentOptions(parts=("bass",), seed=3))
    assert regular.grid.bar_lengths == () and meter_changes(regular.grid) == []


class _MagentaStandIn(TheoryGenerator):
    """The theory backend under the Magenta family's name, recording the styles it is asked for."""

    family = "magenta"
    name = "magenta-stand-in"

    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str | None] = []

    def generate(self, request):  # type: ignore[no-untyped-def]
        self.styles.append(request.style)
        return super().generate(request)


@pytest.mark.parametrize(("meter", "style"), [("4/4", "rock"), ("3/4", "waltz")])
def test_magenta_accompanies_in_an_everyday_style_when_none_is_asked(meter: str, style: str) -> None:
    # With no style, the Magenta drums drew a groove of any style by seed (seed 1: a march under a pop song).
    beats = np.arange(0.25, 12.0, 0.5)
    magenta, theory = _MagentaStandIn(), TheoryGenerator()
    registry = GeneratorRegistry()
    registry.register(magenta)
    registry.register(theory)
    per_bar = int(meter[0])
    analysis = dataclasses.replace(
        analysis_of(beats, 12.5), time_signature=meter, downbeat_times=[float(b) for b in beats[::per_bar]]
    )
    cues = recording_cues(clicks(beats, 12.5), 0.0)
    accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("drums", "bass"), seed=1))
    assert magenta.styles == [style, style]
    accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("drums",), seed=1, style="funk"))
    assert magenta.styles[-1] == "funk"  # a style asked for is the one played


def test_the_soft_attack_shift_stops_at_the_beats_own_attacks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Beats on the notes already, and a beat-averaged rise that (as on a dense mix with a sharp attack in it) lies
    # 60 ms before them: the beats move no earlier than their own attacks, not the 60 ms.
    import ai.generation.beat_following as beat_following

    monkeypatch.setattr(beat_following, "attack_offset", lambda bands, beats: -0.060)
    # Clean strings (no bow noise), whose chord changes the beats' own onsets find; the dense-mix check
    # (test_beats_on_a_dense_mix_stay_on_its_mild_attacks) is left out to see this bound alone.
    monkeypatch.setattr(beat_following, "SOFT_ONSET_SHARE", 1.0)
    strings = bowed_chords(TRUTH, 25.0, bow_noise=0.002)
    env, bands = onset_cues(strings)
    on_notes = tracked(0.0)
    own = beat_following.own_attack_offset(env, on_notes)
    moved = beat_following.follow_soft_attacks(env, bands, on_notes)
    assert abs(own) < 0.020  # their attacks rise where the notes begin
    assert np.allclose(moved, on_notes + min(own, 0.0))
    assert within(moved) >= 0.95


def test_beats_on_a_dense_mix_stay_on_its_mild_attacks(strings: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dense mix's attacks rarely stand 8 times over the onsets around them (step 1 finds nothing to move the
    beats onto), but most stand twice over them: its beats lie on them already. On real Beatles mixes the
    beat-averaged rise and the beats' own earlier onsets both lay 30-40 ms before such beats, and step 4 moved them
    there ("Ticket to Ride": -4 ms from the annotated beats, moved to -42 ms). Soft strings under mild hits on
    every beat and as many between them, the beats on the hits, and that rise: nothing moves."""
    import ai.generation.beat_following as beat_following

    monkeypatch.setattr(beat_following, "attack_offset", lambda bands, beats: -0.040)
    monkeypatch.setattr(beat_following, "own_attack_offset", lambda env, beats: -0.040)
    between = np.sort(np.random.default_rng(3).uniform(0.2, 24.5, 300))
    mix = (strings + 0.02 * clicks(TRUTH, 25.0) + 0.01 * clicks(between, 25.0)).astype(np.float32)
    env, bands = onset_cues(mix)
    on_hits = missed_first_beats(env, fit_beats(refine_beats(env, tracked(0.0))))
    assert np.mean(~np.isnan(beat_following.prominent_onsets(env, on_hits))) < beat_following.REFINE_SHIFT_SHARE
    assert np.array_equal(follow_soft_attacks(env, bands, on_hits), on_hits)
    # the strings alone, beats late: still moved onto their attacks
    late = missed_first_beats(*[onset_cues(strings)[0]], fit_beats(refine_beats(onset_cues(strings)[0], tracked(LATE))))
    assert not np.array_equal(follow_soft_attacks(*onset_cues(strings), late), late)
