"""/api/v1/transcribe's key signature: the file signs the analysis's key only where the notes can be in one.

A drum recording whose key the analysis still named (a kit's ringing toms fit a key profile) transcribed to 0-1
pitched notes and got 'B minor' or 'B major' as its file's key signature (QA pass 32, item 1)."""

from __future__ import annotations

import base64
import io
from typing import Any

import mido
import numpy as np
from fastapi.testclient import TestClient

from ai.analysis.drums_only import NOTE as DRUMS_ONLY_NOTE
from ai.music_theory import parse_key
from tests.ai.analysis.synth import SR, drum_kit, note
from tests.api.test_analysis import wav_bytes
from tests.api.test_drums_only_answers import _wav
from tests.api.test_transcription import song

TRANSCRIBE = "/api/v1/transcribe"


def _line(pitches: list[int], *, seconds: float = 16.0, bpm: float = 110.0) -> np.ndarray:
    """A bass line of bright plucked notes on the beats (12 partials), cycling through ``pitches``."""
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    beat = 60.0 / bpm
    for k, at in enumerate(np.arange(0.0, seconds - beat, beat)):
        tone = note(pitches[k % len(pitches)], beat, harmonics=12, amplitude=0.3, decay=1.0)
        i = int(at * SR)
        y[i : i + tone.size] += tone[: y.size - i]
    return y


def _key_signatures(body: dict[str, Any]) -> list[str]:
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(str(body["midi_base64"]))))
    return [message.key for track in midi.tracks for message in track if message.type == "key_signature"]


def _transcribed(client: TestClient, audio: bytes) -> dict[str, Any]:
    response = client.post(TRANSCRIBE, files={"file": ("take.wav", audio, "audio/wav")})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_notes_of_two_pitch_classes_sign_no_key_and_say_why(client: TestClient) -> None:
    """A root-fifth bass over a drum loop: the analysis hears C major, the notes are C and G alone."""
    mix = _line([36, 43]) + drum_kit(seconds=16.0, sr=SR)
    body = _transcribed(client, _wav(0.5 * mix / np.abs(mix).max()))
    assert {int(n["pitch"]) % 12 for n in body["notes"]} == {0, 7}, body["notes"]
    assert body["key"] is None and _key_signatures(body) == []
    assert (
        body["key_note"]
        == "the notes sound 2 pitch classes (a key needs 3): no key signature, though the analysis heard C major"
    )


def test_a_drum_loop_signs_no_key_and_says_the_analysis_heard_drums(client: TestClient) -> None:
    body = _transcribed(client, _wav(drum_kit(seconds=16.0, sr=SR)))
    assert body["key"] is None and _key_signatures(body) == []
    assert body["key_note"] == f"the recording has no key ({DRUMS_ONLY_NOTE}): the file has no key signature"


def test_music_in_a_key_keeps_its_signature(client: TestClient) -> None:
    body = _transcribed(client, wav_bytes(song()))  # a C E G C arpeggio (the analysis hears A minor)
    assert isinstance(body["key"], str) and body["key_note"] is None
    assert _key_signatures(body) == [parse_key(body["key"]).midi_key_signature]
