"""/generate/accompaniment's key and chords: a drum loop (no key or chords to hear) gets the caller's harmony, or a
stated default; a pitched recording keeps its heard chords under the caller's key; bad values are a 422."""

from __future__ import annotations

import base64
import io

import mido
import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

from ai.analysis.drums_only import NOTE
from ai.music_theory import Chord, parse_chord
from tests.ai.analysis.synth import drum_kit
from tests.api.test_accompaniment import drifting_song

SR = 44100


def _loop() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, drum_kit(sr=SR), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _accompany(client: TestClient, audio: bytes, **data: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/generate/accompaniment",
        files={"file": ("take.wav", audio, "audio/wav")},
        data={"parts": "drums,bass,pad", "seed": "3", "model": "theory", **data},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _bar_chords(body: dict) -> list[Chord]:  # type: ignore[type-arg]
    return [parse_chord(bar["chord"]) for bar in body["analysis"]["bar_chords"]]


def _chords(text: str) -> list[Chord]:
    return [parse_chord(label) for label in text.split()]


def _bass_pitch_classes(body: dict) -> set[int]:  # type: ignore[type-arg]
    return {note["pitch"] % 12 for note in body["notes"]["bass"]}


def test_drum_loops_take_the_callers_harmony_or_say_they_used_the_default(client: TestClient) -> None:
    loop = _loop()
    plain = _accompany(client, loop)
    assert NOTE in plain["analysis"]["notes"]
    assert plain["harmony_source"] == "default" and plain["key"] == "C major"
    bars = _bar_chords(plain)
    assert bars[:4] == _chords("C Am F G") and len(set(bars)) == 4  # I-vi-IV-V, repeating

    keyed = _accompany(client, loop, key="F minor")
    assert keyed["harmony_source"] == "given" and keyed["key"] == "F minor"
    assert _bar_chords(keyed)[:4] == _chords("Fm Db Ab Eb")  # the minor key's i-VI-III-VII
    assert _bass_pitch_classes(keyed) <= {5, 7, 8, 10, 0, 1, 3}  # F natural minor

    chorded = _accompany(client, loop, chords="Dm Bb F C")
    assert chorded["harmony_source"] == "given" and chorded["key"] in ("D minor", "F major")
    assert _bar_chords(chorded)[:4] == _chords("Dm Bb F C")


def test_a_pitched_recording_keeps_its_chords_under_the_callers_key(client: TestClient) -> None:
    wav, _ = drifting_song()
    heard = _accompany(client, wav)
    assert heard["harmony_source"] == "recording" and heard["key"] in ("G major", "E minor")
    keyed = _accompany(client, wav, key="E minor")
    assert keyed["harmony_source"] == "recording" and keyed["key"] == "E minor"
    assert _bar_chords(keyed) == _bar_chords(heard)
    assert keyed["harmony_note"] is None
    chorded = _accompany(client, wav, chords="Am D G C")
    assert chorded["harmony_source"] == "given"
    assert _bar_chords(chorded)[:4] == _chords("Am D G C")


def test_a_charts_beat_slashes_set_the_bars(client: TestClient) -> None:
    """A waltz's chart over a loop heard in 4/4: the bars hold 3 of its beats, in the answer and the file (they were
    4, the chart's changes a beat later every bar)."""
    body = _accompany(client, _loop(), chords="C / / | G / / |")
    assert body["time_signature"] == "3/4", body["harmony_note"]
    assert "the bars are 3/4, as the chords' slashes count the recording's beats" in body["harmony_note"]
    assert "the parts play the chords given" in body["harmony_note"]  # both said
    starts = [bar["start"] for bar in body["analysis"]["bar_chords"]]
    beats = np.asarray(body["analysis"]["beat_times"])
    at_beats = [int(np.argmin(np.abs(beats - start))) for start in starts[1:6]]  # the first may be a lead-in
    assert np.all(np.diff(at_beats) == 3), at_beats
    assert _bar_chords(body)[:4] == _chords("C G C G")
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    meters = [(m.numerator, m.denominator) for track in midi.tracks for m in track if m.type == "time_signature"]
    assert meters[-1] == (3, 4) and len(meters) <= 2, meters  # a lead-in measure of its own length may come first
    fitting = _accompany(client, _loop(), chords="C / / / | G / / / |")  # fits what was heard: no word on it
    assert fitting["time_signature"] == "4/4" and "bars are" not in (fitting["harmony_note"] or "")


def test_bad_keys_and_chords_are_refused(client: TestClient) -> None:
    loop = _loop()
    for data, field in (
        ({"key": "H minor"}, "key"),
        ({"chords": "Am Q7"}, "chords"),
        ({"chords": "Am F", "harmony": "melody"}, "harmony"),
        ({"key": "x" * 40}, "key"),
        ({"chords": "C / / | G / / / |"}, "counts 4 beats"),  # bars of 3 and of 4: no meter holds both
    ):
        response = client.post(
            "/api/v1/generate/accompaniment", files={"file": ("loop.wav", loop, "audio/wav")}, data=data
        )
        assert response.status_code == 422, (data, response.text)
        assert field in response.text, response.text


def test_the_command_passes_the_key_said_and_plays_bass_over_a_drum_loop(client: TestClient) -> None:
    said = client.post(
        "/api/v1/command",
        data={"text": "accompany my drum loop in F minor", "model": "theory", "seed": "3"},
        files={"file": ("loop.wav", _loop(), "audio/wav")},
    )
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "accompany" and body["params"] == {"parts": "bass", "key": "F", "scale": "minor"}
    result = body["result"]
    assert result["key"] == "F minor" and result["harmony_source"] == "given" and result["parts"] == ["bass"]
    unkeyed = client.post(
        "/api/v1/command",
        data={"text": "play along with this", "model": "theory", "seed": "3"},
        files={"file": ("loop.wav", _loop(), "audio/wav")},
    )
    assert unkeyed.status_code == 200, unkeyed.text
    assert unkeyed.json()["result"]["harmony_source"] == "default"
    assert "it has no key to hear, so I picked one" in unkeyed.json()["speech"]
    assert "in C major" in unkeyed.json()["speech"]


def test_key_and_chords_are_in_the_docs(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/generate/accompaniment"]["post"]
    text = str(operation)
    assert "'key'" in text and "'chords'" in text and "drums alone" in text
