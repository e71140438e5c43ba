"""A stereo recording whose second channel is the first inverted (np.stack([m, -m])) is analysed as
the music, not as the silence its plain mix would be."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from ai.analysis.pipeline import analyze, analyze_file
from ai.audio.decode import DecodedAudio
from tests.ai.analysis.synth import SR, clicks, progression

NOTE = "the channels cancel when summed (channel 2 is polarity-inverted): analysed with it flipped"


def _inverted(m: np.ndarray) -> np.ndarray:
    return np.stack([m, -m]).astype(np.float32)


def test_an_inverted_click_track_keeps_its_tempo() -> None:
    result = analyze(DecodedAudio(_inverted(clicks(120.0, 12.0)), SR))
    assert result.tempo == pytest.approx(120.0, abs=1.0)
    assert result.beats >= 20
    assert result.notes[0] == NOTE


def test_an_inverted_song_from_a_16_bit_file_keeps_its_tempo_and_key() -> None:
    y, _, _ = progression(["C", "F", "G", "C"], bpm=120.0, repeats=2)
    buffer = io.BytesIO()
    sf.write(buffer, _inverted(y).T, SR, format="WAV", subtype="PCM_16")
    result = analyze_file(buffer.getvalue(), name="inverted.wav")
    assert result.tempo == pytest.approx(120.0, abs=1.0)
    assert result.key == "C major"
    assert NOTE in result.notes
    # The same answer as the file with its channels in phase, apart from the note.
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([y, y]).T, SR, format="WAV", subtype="PCM_16")
    in_phase = analyze_file(buffer.getvalue(), name="in_phase.wav")
    assert (in_phase.tempo, in_phase.key, in_phase.beat_times) == (result.tempo, result.key, result.beat_times)
    assert NOTE not in in_phase.notes
