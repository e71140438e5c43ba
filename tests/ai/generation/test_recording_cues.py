"""The accompaniment's cues taken from the analysis's one-pass signal, which they then let go."""

from __future__ import annotations

import numpy as np

from ai.analysis.features import finish_features, spectral_pass
from ai.analysis.pipeline import analyze_summary, reported_tuning, summarize_audio
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio
from ai.generation.accompaniment import RecordingCues, recording_cues, take_recording_cues

SR = 22050


def chords_and_clicks(seconds: float = 12.0, cents: float = 30.0) -> DecodedAudio:
    """A detuned (by ``cents``) triad per 2-second bar with clicks on the beats at 120 bpm."""
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    detune = 2.0 ** (cents / 1200.0)
    for bar, root in enumerate((220.0, 174.61, 261.63, 196.0) * 3):
        a, b = int(2 * bar * SR), int(2 * (bar + 1) * SR)
        for ratio in (1.0, 1.26, 1.5):
            y[a:b] += 0.1 * np.sin(2 * np.pi * root * ratio * detune * t[a:b])
    for beat in np.arange(0.0, seconds, 0.5):
        s = int(beat * SR)
        y[s : s + 200] += 0.8 * np.exp(-np.arange(len(y[s : s + 200])) / 40.0)
    return DecodedAudio(np.stack([y, y]).astype(np.float32), SR)


def test_the_pass_s_tuning_is_the_features_tuning() -> None:
    summary = summarize_audio(chords_and_clicks())
    spectral = spectral_pass(summary.y, SR)
    tuning = spectral.tuning_cents()
    assert abs(tuning - 30.0) < 10.0  # the signal's detuning is found
    assert tuning == finish_features(spectral).tuning_cents


def test_taken_cues_equal_the_cues_of_the_signal_and_the_signal_goes() -> None:
    audio = chords_and_clicks()
    plain = summarize_audio(audio)
    signal = plain.y.copy()
    taken: list[RecordingCues] = []

    def look(summary: SignalSummary, spectral: object) -> None:
        taken.append(take_recording_cues(summary, reported_tuning(spectral.tuning_cents())))  # type: ignore[attr-defined]
        assert summary.y.size == 0  # let go before the analysis's later stages

    analysis = analyze_summary(summarize_audio(audio), release_signal=True, last_look=look)
    assert analysis == analyze_summary(plain)  # the look changes nothing in the analysis
    expected = recording_cues(signal, analysis.tuning_cents)
    (cues,) = taken
    assert np.array_equal(cues.onsets, expected.onsets)
    assert np.array_equal(cues.chroma, expected.chroma)


def test_the_half_rate_copy_over_the_signal_s_own_buffer_is_chroma_signal_s() -> None:
    from ai.generation.bar_harmony import chroma_signal, chroma_signal_in_place

    rng = np.random.default_rng(4)
    for n in (1, 1000, (1 << 16) - 1, 1 << 16, 3 * (1 << 16) + 123, 22050 * 20):
        y = rng.standard_normal(n).astype(np.float32)
        expected = chroma_signal(y.copy(), SR)
        got = chroma_signal_in_place(y, SR)
        assert got is y and np.array_equal(got, expected), n  # the same buffer, the same samples
    view = rng.standard_normal(5000).astype(np.float32)[100:]  # not its own buffer: copied, left alone
    kept = view.copy()
    assert np.array_equal(chroma_signal_in_place(view, SR), chroma_signal(kept, SR))
    assert np.array_equal(view, kept)


def test_the_one_pass_signal_owns_its_buffer() -> None:
    summary = summarize_audio(chords_and_clicks(seconds=3.0))
    assert summary.y.flags.owndata and summary.y.size == int(np.ceil(3.0 * SR))
