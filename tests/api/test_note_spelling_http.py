"""Keys and chords over HTTP are written as a musician writes them: Db in F minor, the caller's C# kept."""

from __future__ import annotations

import base64
import io

import mido
import soundfile as sf
from fastapi.testclient import TestClient

from tests.ai.analysis.synth import SR, progression


def test_generation_spells_chords_in_the_key(client: TestClient) -> None:
    cases = [
        ({"key": "F", "scale": "minor"}, "F", ["Fm", "Db", "Ab", "Eb"]),
        ({"key": "Db", "scale": "major"}, "Db", ["Db", "Bbm", "Gb", "Ab"]),
        ({"key": "C#", "scale": "major"}, "C#", ["C#", "A#m", "F#", "G#"]),  # as the caller wrote it
        ({"key": "B", "scale": "major"}, "B", ["B", "G#m", "E", "F#"]),
        ({"chords": "C# F# G# C#"}, "C#", ["C#", "F#", "G#", "C#"]),  # no key: the chords' spelling
        ({"chords": "Db Gb Ab Db"}, "Db", ["Db", "Gb", "Ab", "Db"]),
    ]
    for given, key, chords in cases:
        body = {**given, "bars": "4", "seed": "2"}
        for path in ("bassline", "melody"):
            answer = client.post(f"/api/v1/generate/{path}", data=body)
            assert answer.status_code == 200, answer.text
            assert (answer.json()["key"], answer.json()["chords"]) == (key, chords), (path, given)


def test_analysis_names_the_chords_of_a_flat_key_with_flats(client: TestClient) -> None:
    """Before, a song in F minor was answered with C# and G# chords."""
    audio, _, _ = progression(["Fm", "Db", "Ab", "Eb"], bpm=100.0, repeats=3)
    buffer = io.BytesIO()
    sf.write(buffer, audio, SR, format="WAV", subtype="PCM_16")
    answer = client.post("/api/v1/analyze/audio", files={"file": ("f_minor.wav", buffer.getvalue(), "audio/wav")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["key"] in ("F minor", "Ab major"), body["key"]
    labels = {chord["label"] for chord in body["chords"]} - {"N"}
    assert {"Db", "Ab", "Eb"} <= labels, labels
    assert not any("#" in label for label in labels), labels


def _key_signatures(midi_bytes: bytes) -> list[str]:
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes))
    return [m.key for track in midi.tracks for m in track if m.type == "key_signature"]


def test_generated_midi_carries_the_key_signature(client: TestClient) -> None:
    """A DAW shows the clip's key from its key-signature event: Db (five flats), F minor, a mode's parent."""
    for given, signature in (
        ({"key": "Db"}, "Db"),
        ({"key": "F", "scale": "minor"}, "Fm"),
        ({"key": "C#", "scale": "major"}, "C#"),
        ({"key": "D", "scale": "dorian"}, "C"),
        ({"key": "A", "scale": "blues"}, "Am"),
    ):
        answer = client.post("/api/v1/generate/bassline", data={**given, "bars": "2", "seed": "1"})
        assert answer.status_code == 200, answer.text
        assert _key_signatures(base64.b64decode(answer.json()["midi_base64"])) == [signature], given
    drums = client.post("/api/v1/generate/midi", data={"style": "drums", "bars": "1", "seed": "1"})
    assert drums.status_code == 200, drums.text
    assert _key_signatures(base64.b64decode(drums.json()["midi_base64"])) == []  # drums have no key


def test_the_accompaniment_midi_carries_the_key_it_plays_in(client: TestClient) -> None:
    audio, _, _ = progression(["Fm", "Db", "Ab", "Eb"], bpm=100.0, repeats=3)
    buffer = io.BytesIO()
    sf.write(buffer, audio, SR, format="WAV", subtype="PCM_16")
    answer = client.post(
        "/api/v1/generate/accompaniment",
        data={"parts": "bass", "key": "F minor", "seed": "1", "preview": "none"},
        files={"file": ("f_minor.wav", buffer.getvalue(), "audio/wav")},
    )
    assert answer.status_code == 200, answer.text
    assert _key_signatures(base64.b64decode(answer.json()["midi_base64"])) == ["Fm"]


def test_a_transcription_carries_the_key_heard(client: TestClient) -> None:
    audio, _, _ = progression(["Fm", "Db", "Ab", "Eb"], bpm=100.0, repeats=2)
    buffer = io.BytesIO()
    sf.write(buffer, audio, SR, format="WAV", subtype="PCM_16")
    upload = {"file": ("f_minor.wav", buffer.getvalue(), "audio/wav")}
    pitched = client.post("/api/v1/transcribe", files=upload)
    assert pitched.status_code == 200, pitched.text
    heard = {"F minor": "Fm", "Ab major": "Ab"}
    assert pitched.json()["key"] in heard, pitched.json()["key"]
    signatures = _key_signatures(base64.b64decode(pitched.json()["midi_base64"]))
    assert signatures == [heard[pitched.json()["key"]]]
    drums = client.post("/api/v1/transcribe", data={"instrument": "drums"}, files=upload)
    assert drums.status_code == 200, drums.text
    assert drums.json()["key"] is None and _key_signatures(base64.b64decode(drums.json()["midi_base64"])) == []
