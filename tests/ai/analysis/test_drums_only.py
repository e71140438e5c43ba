"""Drums alone get no key or chords (ai/analysis/drums_only.py, models/drums_only.json); pitched music keeps them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from ai.analysis import drums_only
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.drums_only import (
    FEATURE_NAMES,
    NOTE,
    TERM_NAMES,
    DrumsOnlyModel,
    drum_features,
    load_model,
    only_drums,
)
from ai.analysis.features import SharedFeatures, finish_features, spectral_pass
from ai.analysis.pipeline import analyze, summarize_audio
from ai.analysis.tonal import estimate_key
from ai.audio.decode import DecodedAudio
from tests.ai.analysis.synth import drum_kit, note, progression

SR = 44100


def compute_features(mono: np.ndarray, sr: int) -> SharedFeatures:
    """The features as the analysis computes them from a file's samples."""
    summary = summarize_audio(DecodedAudio(mono[np.newaxis, :].astype(np.float32), sr))
    return finish_features(spectral_pass(summary.y, ANALYSIS_SR))


def _sine_line(seconds: float = 16.0) -> np.ndarray:
    """A whistled tune: pure sines (no harmonics) through a C major scale, two notes a second."""
    pitches = [72, 74, 76, 77, 79, 77, 76, 74]
    out = [note(pitches[i % len(pitches)], 0.5, sr=SR, harmonics=1, decay=0.5) for i in range(int(seconds * 2))]
    return np.concatenate(out)


def test_the_shipped_model_loads() -> None:
    model = load_model()
    assert model is not None and model.weights.shape == (len(TERM_NAMES),)
    assert len(TERM_NAMES) == len(FEATURE_NAMES) + 21  # the six peak features' squares and products


def test_a_drum_loop_is_drums_alone_and_loses_the_key_it_used_to_get() -> None:
    kit = drum_kit(sr=SR)
    features = compute_features(kit, SR)
    assert estimate_key(features).key is not None  # what the analysis answered before the model
    assert only_drums(features.semitone_spec)
    result = analyze(DecodedAudio(np.stack([kit, kit]), SR))
    assert result.key is None and result.chords == [] and result.key_confidence == 0.0
    assert NOTE in result.notes
    assert result.tempo is not None  # the rhythm is still read


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param(lambda: progression(["C", "Am", "F", "G"], sr=SR)[0], id="chords"),
        pytest.param(_sine_line, id="sine line"),
        pytest.param(lambda: drum_kit(sr=SR) + 0.5 * _sine_line(), id="sine line under drums"),
    ],
)
def test_pitched_music_keeps_its_key(signal) -> None:  # type: ignore[no-untyped-def]
    audio = np.asarray(signal(), dtype=np.float32)
    assert not only_drums(compute_features(audio, SR).semitone_spec)
    assert analyze(DecodedAudio(audio[np.newaxis, :], SR)).key is not None


def _held_sines(freqs: list[float], seconds: float = 8.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.2 * sum(np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.float32)


def test_audio_without_an_attack_is_not_drums_alone() -> None:
    """A held sine chord and a 440 Hz test tone have no attack at all, yet the model called them drums alone
    ("only drums and percussion sound (no pitched notes)"): the chord lost its key, the tone its reason."""
    chord = analyze(DecodedAudio(_held_sines([261.63, 329.63, 392.0])[np.newaxis, :], SR))
    assert chord.key == "C major" and NOTE not in chord.notes
    assert any(n.startswith("no attacks sound") for n in chord.notes) and chord.tempo is None
    tone = analyze(DecodedAudio(_held_sines([440.0])[np.newaxis, :], SR))
    assert tone.key is None and NOTE not in tone.notes
    assert "fewer than three pitch classes sound: no key or chords" in tone.notes


def test_a_held_chord_between_silences_is_not_drums_but_a_few_kicks_are() -> None:
    """A sine triad cut in and out of silence: its start and end are its only attacks ("only 2 attacks sound"), and
    the model called it drums alone, so the command told its user to transcribe the drums. It holds its level, where
    three kicks decay between their attacks: those stay drums alone."""
    chord = np.zeros(5 * SR, dtype=np.float32)
    chord[SR : 4 * SR] = _held_sines([261.63, 329.63, 392.0], 3.0) * np.float32(0.5)
    found = analyze(DecodedAudio(chord[np.newaxis, :], SR))
    assert any(n.startswith("only 2 attacks sound") for n in found.notes), found.notes
    assert found.key == "C major" and NOTE not in found.notes
    t = np.arange(SR // 2) / SR
    kick = (np.sin(2 * np.pi * 55 * t) * np.exp(-t * 12)).astype(np.float32)
    kicks = np.zeros(4 * SR, dtype=np.float32)
    for start in (0.3, 1.6, 2.9):
        kicks[int(start * SR) : int(start * SR) + kick.size] += 0.8 * kick
    found = analyze(DecodedAudio(kicks[np.newaxis, :], SR))
    assert any(n.startswith("only 3 attacks sound") for n in found.notes) and NOTE in found.notes


def test_features_do_not_depend_on_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compute_features(drum_kit(8.0, sr=SR) + 0.3 * _sine_line(8.0), SR).semitone_spec
    whole = drum_features(spec)
    monkeypatch.setattr(drums_only, "BLOCK_FRAMES", 7)
    np.testing.assert_allclose(drum_features(spec), whole, rtol=1e-9, atol=1e-12)


def test_silence_and_a_few_frames_have_features() -> None:
    assert np.isfinite(drum_features(np.zeros((84, 100), dtype=np.float32))).all()
    assert np.isfinite(drum_features(np.random.default_rng(0).random((84, 3)).astype(np.float32))).all()


def test_a_missing_or_malformed_model_is_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "drums_only.json"
    bad.write_text(
        json.dumps({"features": ["other"], "mean": [], "scale": [], "weights": [], "bias": 0, "threshold": 0})
    )
    with caplog.at_level(logging.WARNING):
        assert load_model(bad) is None
        assert load_model(tmp_path / "missing.json") is None
    assert "drums-only model not loaded" in caplog.text
    model = load_model()
    assert model is not None
    data = model.to_dict()
    assert DrumsOnlyModel.from_dict(data).threshold == model.threshold
    with pytest.raises(ValueError):
        DrumsOnlyModel.from_dict({**data, "scale": [0.0] * len(TERM_NAMES)})
    with pytest.raises(ValueError):
        DrumsOnlyModel.from_dict({**data, "weights": [float("nan")] * len(TERM_NAMES)})
    lines = {k: v for k, v in data.items() if k != "terms"}  # session 24's file: a line over the features
    lines.update({k: data[k][: len(FEATURE_NAMES)] for k in ("mean", "scale", "weights")})
    with pytest.raises(ValueError, match="terms"):
        DrumsOnlyModel.from_dict(lines)


def test_notes_hold_a_harmonic_share_that_hits_lack() -> None:
    chords = drums_only.harmonic_shares(
        compute_features(progression(["C", "Am", "F", "G"], sr=SR)[0], SR).semitone_spec
    )
    kit = drums_only.harmonic_shares(compute_features(drum_kit(sr=SR), SR).semitone_spec)
    assert chords[0] > 0.6 and kit[0] < chords[0] - 0.3
    assert np.all((kit >= 0.0) & (kit <= 1.0)) and np.all((chords >= 0.0) & (chords <= 1.0))


def test_a_faint_bass_line_under_a_kit_holds_low_pitches_that_the_kit_alone_does_not() -> None:
    """Session 33: a bass 12 dB under a kit changed the five peak features by a few hundredths (a FluidR3 song's drum
    bus and the same with its bass 12 dB lower: 0.07 / 0.09 harmonic lead); held low peaks tell them apart."""
    column = FEATURE_NAMES.index("held_low_pitch_entropy")
    kit = drum_kit(sr=SR)
    roots = [36, 43, 41, 38, 45, 40, 43, 36]
    bass = np.concatenate([note(roots[i % 8], 0.545, sr=SR, harmonics=4, decay=1.0) for i in range(30)])
    bass = np.pad(bass, (0, max(0, kit.size - bass.size)))[: kit.size]
    faint = 10 ** (-12 / 20) * np.sqrt(np.mean(kit**2) / np.mean(bass**2))
    alone = drum_features(compute_features(kit, SR).semitone_spec)[column]
    under = drum_features(compute_features(kit + faint * bass, SR).semitone_spec)[column]
    assert alone < 1.5 and under > 3.0


def test_the_best_case_bounds_the_score_whatever_the_shares() -> None:
    model = load_model()
    assert model is not None
    rng = np.random.default_rng(0)
    for _ in range(200):
        peaks = (
            model.mean[: drums_only.PEAK_FEATURES]
            + rng.normal(0, 2, drums_only.PEAK_FEATURES) * model.scale[: drums_only.PEAK_FEATURES]
        )
        shares = rng.random(len(FEATURE_NAMES) - drums_only.PEAK_FEATURES)
        assert model.score(np.concatenate([peaks, shares])) <= model.best_case(peaks) + 1e-9


def test_music_is_settled_by_its_peaks_without_the_median_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compute_features(progression(["C", "Am", "F", "G"], sr=SR)[0], SR).semitone_spec

    def not_needed(_: np.ndarray) -> np.ndarray:
        raise AssertionError("the harmonic shares were computed for music")

    monkeypatch.setattr(drums_only, "harmonic_shares", not_needed)
    assert not only_drums(spec)
    with pytest.raises(AssertionError):  # a drum loop's peaks leave it open: the shares are read
        only_drums(compute_features(drum_kit(sr=SR), SR).semitone_spec)


@pytest.mark.parametrize(
    ("seed", "style", "soundfont"),
    [
        pytest.param(2, "funk", "/usr/share/sounds/sf2/FluidR3_GM.sf2", id="funk through FluidR3"),
        pytest.param(1, "hip-hop", "/usr/share/sounds/sf2/TimGM6mb.sf2", id="hip-hop through TimGM6mb"),
    ],
)
def test_the_engines_own_groove_is_drums_alone_and_under_its_bass_is_not(seed: int, style: str, soundfont: str) -> None:
    """Session 32 (QA pass 32): the engine's grooves got a key and chords; the fitting set now holds its grooves of
    seeds 11 and 12 through TimGM6mb and MuseScore General Lite. Funk, seed 2, through FluidR3 (neither seed nor
    soundfont fitted) scored 1.18 against session 24's threshold 1.72. Session 33: through TimGM6mb the QA's renders
    still kept a key; hip-hop, seed 1 (a seed not fitted), scored 1.71 against session 32's threshold 2.00."""
    from ai.generation.preview import render_midi
    from training.drums_only import SR as RENDER_SR
    from training.drums_only import groove_midis

    if not Path(soundfont).is_file():
        pytest.skip(f"{soundfont} is not installed")
    drums_midi, bass_midi = groove_midis(seed, style)
    drums = render_midi([drums_midi], RENDER_SR, Path(soundfont))
    spec = finish_features(spectral_pass(summarize_audio(DecodedAudio(drums, RENDER_SR)).y, ANALYSIS_SR)).semitone_spec
    assert only_drums(spec)
    bass = render_midi([bass_midi], RENDER_SR, Path(soundfont))
    n = min(drums.shape[1], bass.shape[1])
    mix = drums[:, :n] + bass[:, :n] * np.sqrt(np.mean(drums[:, :n] ** 2) / np.mean(bass[:, :n] ** 2))
    band = finish_features(spectral_pass(summarize_audio(DecodedAudio(mix, RENDER_SR)).y, ANALYSIS_SR))
    assert not only_drums(band.semitone_spec)
