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


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("cadence_s", [0.3, 0.45])
def test_speech_in_a_steady_cadence_has_no_tempo_key_or_chords(seed: int, cadence_s: float) -> None:
    """A syllable every 0.3 or 0.45 s: the rhythm heard 100 or 133 BPM in it, and the key step "drums alone"."""
    result = _analysed(voice_line(sung=False, seed=seed, cadence_s=cadence_s))
    assert result.tempo is None and result.beat_times == [] and result.time_signature is None, result
    assert result.key is None and result.chords == [] and result.tuning_cents == 0.0
    assert result.notes[0].startswith(f"{SPEECH} (a voice in ") and "no held notes" in result.notes[0]
    assert result.notes[1] == f"{SPEECH}: no key or chords"
    assert not any("drums" in note for note in result.notes), result.notes


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
