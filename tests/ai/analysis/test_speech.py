"""Speech has no tempo, key or chords, and audio in which nothing pitched sounds has no tuning (session 39, QA 11).

Real speech read as music got a tempo, a key and chords (an 11-s speech: 103.6 BPM, B major, G#m Bm7 C#maj7 Fm7
Em7), and a jazz drum stem a tuning of +46.2 cents. The tests use the mixing tests' synthetic voice line, which the
voice-activity network hears as a voice (real audio is not shipped with the tests).
"""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis import pipeline
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.pipeline import SPEECH, analyze
from ai.audio.decode import DecodedAudio
from tests.ai.mixing.signals import SR, voice_line
from tests.support.non_music import coloured_noise


def _analysed(y: np.ndarray, sr: int = SR) -> pipeline.AnalysisResult:
    return analyze(DecodedAudio(y[None, :], sr))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_speech_has_no_tempo_key_or_chords(seed: int) -> None:
    """Syllables of 120-250 ms with pauses, as speech runs: no pulse to speak of, no key."""
    result = _analysed(voice_line(sung=False, seed=seed))
    assert result.tempo is None and result.beat_times == [] and result.time_signature is None, result
    assert result.key is None and result.chords == [] and result.tuning_cents == 0.0
    assert result.notes[0].startswith(f"{SPEECH} (a voice in ") and "no held notes" in result.notes[0]
    assert result.notes[1] == f"{SPEECH}: no key or chords"


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("cadence_s", "bpm"), [(0.3, 100.0), (0.45, 133.3)])
def test_speech_in_a_steady_cadence_keeps_its_tempo_but_has_no_key(seed: int, cadence_s: float, bpm: float) -> None:
    """A syllable every 0.3 or 0.45 s (a count-in, a rap a cappella) beats 100 or 133 BPM, which it keeps; its key
    step said "drums alone" and now says speech."""
    result = _analysed(voice_line(sung=False, seed=seed, cadence_s=cadence_s))
    assert result.tempo is not None and abs(result.tempo - bpm) < 1.0, result  # 200 syllables a minute: 100 BPM
    assert result.key is None and result.chords == [] and result.tuning_cents == 0.0
    assert f"{SPEECH}: no key or chords" in result.notes
    assert not any("drums" in note for note in result.notes), result.notes


def test_a_spoken_voice_over_a_beat_keeps_the_beat_s_tempo() -> None:
    """A rapped verse or a podcast's music bed: the network hears the voice as speech (LibriSpeech over a
    drum-and-bass loop: 0.77-0.87 of its frames), but the beat under it has a tempo. A kick and a bass line at
    120 BPM under the spoken line keep theirs."""
    n = 12 * SR
    t = np.arange(n) / SR
    beat_phase = (t * 2.0) % 1.0  # 120 BPM
    kick = np.sin(2 * np.pi * 55.0 * t) * np.exp(-beat_phase * 12.0)
    bass = 0.3 * np.sin(2 * np.pi * 82.4 * t) * ((t * 4.0) % 1.0 < 0.5)
    voice = voice_line(12.0, sung=False, seed=0)
    result = _analysed((0.5 * (kick + bass) + voice[:n]).astype(np.float32))
    assert result.tempo is not None and abs(result.tempo - 120.0) < 2.0, result
    assert not any(note.startswith(SPEECH) for note in result.notes), result.notes


def test_a_sung_line_keeps_its_tempo_and_key() -> None:
    result = _analysed(voice_line(sung=True, seed=0))
    assert result.tempo is not None and result.key is not None, result
    assert not any(note.startswith(SPEECH) for note in result.notes)


def test_without_the_voice_network_speech_is_analysed_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "read_voice", lambda y, sr, **kw: None)
    result = _analysed(voice_line(sung=False, seed=0, cadence_s=0.3))
    assert result.tempo is not None
    assert not any(note.startswith(SPEECH) for note in result.notes)


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_has_no_tuning(kind: str) -> None:
    """The tuning of noise's spectral peaks is a number of nothing (white noise read several cents, a drum stem
    +46.2): with nothing pitched in the audio it is 0, as for drums alone and silence."""
    y = (0.1 * coloured_noise(np.random.default_rng(4), 8 * ANALYSIS_SR, kind, ANALYSIS_SR)).astype(np.float32)
    assert abs(compute_features(y, ANALYSIS_SR).tuning_cents) >= 1.0  # what the peaks say, and was reported
    result = _analysed(y, ANALYSIS_SR)
    assert result.key is None and result.tuning_cents == 0.0, result
