"""Transcription of a stereo recording whose second channel is the first inverted finds its notes."""

from __future__ import annotations

import numpy as np

from ai.audio.decode import DecodedAudio
from ai.transcription.pitched import transcribe_pitched
from ai.transcription.transcribe import transcribe
from tests.ai.transcription.test_pitched import ARPEGGIO, arpeggio


def _inverted() -> DecodedAudio:
    mono = arpeggio()
    return DecodedAudio(np.stack([mono.samples[0], -mono.samples[0]]), mono.sample_rate)


def test_the_notes_of_an_inverted_recording_are_found() -> None:
    assert [n.pitch for n in transcribe(_inverted()).notes] == ARPEGGIO  # the analysis's one pass
    assert [n.pitch for n in transcribe_pitched(_inverted())] == ARPEGGIO  # DecodedAudio.mono()
