"""/api/v1/transcribe through HTTP: a known arpeggio over a beat, as JSON and as a .mid file, bad audio."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest
import soxr
from fastapi.testclient import TestClient

from ai.transcription.pitched import DEFAULT_OPTIONS
from api.routes.transcription import note_options
from api.schemas import TranscriptionParams
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import wav_bytes

SR = 44100
BPM = 120.0
BEAT = 60.0 / BPM
PITCHES = [60, 64, 67, 72] * 4  # one note per beat from beat 0, over a click
FIRST_BEAT = 0.5


def harmonic_tone(pitch: int, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    y: np.ndarray = np.sum([np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 5)], axis=0) * np.exp(-3.0 * t)
    return y


def song() -> np.ndarray:
    """Arpeggio notes on the beats (from 0.5 s, 120 BPM), played 20 ms late, with a low kick."""
    y = np.zeros(int(SR * (FIRST_BEAT + BEAT * (len(PITCHES) + 2))))
    t = np.arange(int(0.1 * SR)) / SR
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-t * 35)
    for i, pitch in enumerate(PITCHES):
        beat = int(SR * (FIRST_BEAT + i * BEAT))
        y[beat : beat + kick.size] += (0.6 if i % 4 == 0 else 0.4) * kick
        late = beat + int(0.02 * SR)
        note = harmonic_tone(pitch, 0.4)
        y[late : late + note.size] += 0.25 * note
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def song_wav() -> bytes:
    return wav_bytes(song())


def post(client: TestClient, data: bytes, name: str = "song.wav", **params: str) -> Any:
    return client.post("/api/v1/transcribe", params=params, files={"file": (name, data, "audio/wav")})


def test_json_notes_tempo_and_midi(client: TestClient, song_wav: bytes) -> None:
    response = client.post("/api/v1/transcribe", files={"file": ("song.wav", song_wav, "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "basic-pitch-icassp-2022" and body["instrument"] == "pitched"
    assert body["tempo"] == pytest.approx(BPM, abs=3)
    assert len(body["beat_times"]) >= 12
    for i, pitch in enumerate(PITCHES):
        onset = FIRST_BEAT + i * BEAT + 0.02
        assert any(n["pitch"] == pitch and abs(n["start"] - onset) <= 0.05 for n in body["notes"]), (pitch, onset)
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    tempos = [m for m in midi.tracks[0] if m.type == "set_tempo"]
    assert len(tempos) == len(body["tempo_map_bpm"]) == len(body["beat_times"])  # pickup + one per beat but the last
    assert all(m.type != "note_on" for m in midi.tracks[0])


def test_format_midi_is_the_file_on_the_beat_grid(client: TestClient, song_wav: bytes) -> None:
    response = client.post(
        "/api/v1/transcribe", data={"format": "midi"}, files={"file": ("my song.wav", song_wav, "audio/wav")}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/midi"
    assert 'filename="my_song_pitched.mid"' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith("filename*=UTF-8''my%20song_pitched.mid")
    midi = mido.MidiFile(file=io.BytesIO(response.content))
    tempos = [m for m in midi.tracks[0] if m.type == "set_tempo"]
    assert len(tempos) > 10
    # Played back through its tempo map, the notes sound where they were played.
    now, onsets = 0.0, []
    for message in midi:
        now += message.time
        if message.type == "note_on" and message.velocity:
            onsets.append(now)
    for i in range(len(PITCHES)):
        assert min(abs(t - (FIRST_BEAT + i * BEAT + 0.02)) for t in onsets) <= 0.05
    # The clip is as long as the recording (the last note ends before it): a DAW lines the two up.
    assert midi.length == pytest.approx(len(song()) / SR, abs=0.01) and now > onsets[-1] + 0.5


def test_quantize_to_the_beat_grid(client: TestClient, song_wav: bytes) -> None:
    response = post(client, song_wav, quantize="1/4")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["quantize"] == "1/4"
    said_yes = post(client, song_wav, quantize="true")
    assert said_yes.status_code == 200 and said_yes.json()["quantize"] == "1/16", said_yes.text
    beats = np.array(body["beat_times"])
    played = [note for note in body["notes"] if note["pitch"] in PITCHES]
    assert len(played) >= len(PITCHES), body["notes"]  # the arpeggio is there to be checked
    for note in played:
        # Played 20 ms late, moved onto the detected beat.
        assert np.min(np.abs(beats - note["start"])) < 0.005 or note["start"] < beats[0] - 0.2, note


@pytest.mark.parametrize(
    ("given", "step"),
    [("true", "1/16"), ("On", "1/16"), (True, "1/16"), ("1/8T", "1/8t"), ("off", None), (False, None), (None, None)],
)
def test_quantize_true_means_a_sixteenth(given: object, step: str | None) -> None:
    """A musician's "quantize: yes" (a form's true, JSON's true) is the 1/16 grid a DAW quantizes to."""
    assert TranscriptionParams.model_validate({"quantize": given}).quantize == step


@pytest.mark.parametrize("given", ["1/7", 16, "sometimes"])
def test_quantize_refuses_what_is_no_step(given: object) -> None:
    with pytest.raises(ValueError, match="none or one of 1/4"):
        TranscriptionParams.model_validate({"quantize": given})


def test_the_request_picks_the_note_decoding() -> None:
    assert note_options(TranscriptionParams()) == DEFAULT_OPTIONS
    theirs = note_options(TranscriptionParams(note_decoding="basic-pitch", onset_threshold=0.5))
    assert theirs.decoder == "basic-pitch" and theirs.onset_threshold == 0.5
    assert theirs.support_threshold == DEFAULT_OPTIONS.support_threshold  # the rest stays the engine's


def test_basic_pitchs_own_note_decoding_answers(client: TestClient, song_wav: bytes) -> None:
    response = post(client, song_wav, note_decoding="basic-pitch")
    assert response.status_code == 200, response.text
    assert response.json()["notes"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"quantize": "1/7"}, "quantize"),
        ({"onset_threshold": "2"}, "onset_threshold"),
        ({"instrument": "voice"}, "instrument"),
        ({"minimum_frequency": "500", "maximum_frequency": "100"}, "maximum_frequency"),
        ({"format": "mp3"}, "format"),
        ({"note_decoding": "magic"}, "note_decoding"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, song_wav: bytes, params: dict[str, str], parameter: str) -> None:
    response = post(client, song_wav, **params)
    assert response.status_code == 422, response.text
    assert parameter in response.json()["detail"]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("empty.wav", b"", 422, "undecodable_audio"),
        ("notes.wav", b"these are my song notes, not audio" * 10, 415, "unsupported_media_type"),
    ],
)
def test_bad_audio(client: TestClient, name: str, data: bytes, status: int, code: str) -> None:
    response = post(client, data, name=name)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


def test_missing_file_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/transcribe", data={"quantize": "1/16"})
    assert response.status_code == 422
    assert "file" in response.json()["detail"]


def test_audio_longer_than_the_limit_is_413(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path, max_audio_duration_s=2.0)) as limited:
        response = post(limited, wav_bytes(np.zeros(3 * SR, dtype=np.float32)), name="long.wav")
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_silence_gives_no_notes_and_a_default_grid(client: TestClient) -> None:
    response = post(client, wav_bytes(np.zeros(2 * SR, dtype=np.float32)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["notes"] == [] and body["tempo"] is None and body["tempo_map_bpm"] == [120.0]


def test_quantize_without_a_beat_grid_keeps_the_real_times_and_says_why(client: TestClient) -> None:
    # 1.9 s of the song: notes, but no tempo. They were moved onto a stand-in 120 BPM grid that is not the
    # recording's (a 2 s clip of a 124 BPM song), and the answer said quantize '1/16'.
    clip = wav_bytes(song()[: int(1.9 * SR)])
    plain = post(client, clip).json()
    asked = post(client, clip, quantize="1/16").json()
    assert plain["tempo"] is None and plain["notes"], plain
    assert asked["quantize"] is None and asked["notes"] == plain["notes"]
    assert asked["quantize_note"].startswith("the recording has no beat grid (")
    assert asked["quantize_note"].endswith("): the notes keep their real times")
    assert plain["quantize_note"] is None
    # The file alone said nothing: a curl user asking for a quantised .mid got the real times without a word.
    as_midi = post(client, clip, quantize="1/16", format="midi")
    assert as_midi.status_code == 200 and as_midi.headers["x-quantize-note"] == asked["quantize_note"]
    assert "x-quantize-note" not in post(client, clip, format="midi").headers


def test_drums_without_the_drum_model_is_503(
    client: TestClient, song_wav: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ai.transcription import drums

    monkeypatch.setattr(drums, "model_file", lambda: Path("/nonexistent/drum_transcription.npz"))
    drums._cached_shipped.cache_clear()
    try:
        response = post(client, song_wav, instrument="drums")
    finally:
        drums._cached_shipped.cache_clear()
    assert response.status_code == 503
    assert response.json()["error"] == "model_unavailable"
    assert "drum transcription model" in response.json()["detail"]


def test_drums_are_gm_drum_notes_on_channel_10(client: TestClient, song_wav: bytes) -> None:
    response = post(client, song_wav, instrument="drums")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["instrument"] == "drums"
    assert body["notes"] and all(35 <= n["pitch"] <= 81 for n in body["notes"])  # the kick is heard
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    note_ons = [m for m in midi.tracks[1] if m.type == "note_on" and m.velocity > 0]
    assert len(note_ons) == len(body["notes"]) and all(m.channel == 9 for m in note_ons)


def test_drums_of_a_file_under_12_khz_say_the_hats_are_beyond_its_band(client: TestClient) -> None:
    # An 8 kHz copy of a groove gave 6 hits where the full band gave 61, and the answer said nothing of why.
    phone = soxr.resample(song(), SR, 8000)
    low = post(client, wav_bytes(phone, sr=8000), instrument="drums")
    full = post(client, wav_bytes(song()), instrument="drums")
    pitched = post(client, wav_bytes(phone, sr=8000))
    assert low.status_code == full.status_code == pitched.status_code == 200
    note = low.json()["bandwidth_note"]
    assert note is not None and "8000 Hz" in note and "above 4 kHz" in note and "hi-hats" in note
    assert full.json()["bandwidth_note"] is None and pitched.json()["bandwidth_note"] is None
    as_midi = post(client, wav_bytes(phone, sr=8000), instrument="drums", format="midi")
    assert as_midi.headers["x-bandwidth-note"] == note


def test_as_a_job(client: TestClient, song_wav: bytes) -> None:
    response = post(client, song_wav, **{"async": "true"})
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    for _ in range(200):
        job = client.get(status_url).json()
        if job["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "succeeded", job


def test_the_route_is_listed_with_the_served_endpoints(client: TestClient) -> None:
    assert "POST /api/v1/transcribe" in client.get("/").json()["endpoints"]


def test_models_lists_the_transcription_models_and_whether_they_are_loaded(client: TestClient, song_wav: bytes) -> None:
    assert post(client, song_wav).status_code == 200  # loads the pitched model
    entries = {m["name"]: m for m in client.get("/api/v1/models").json()["transcription"]}
    assert set(entries) == {"basic-pitch-icassp-2022", "drum_transcription"}
    assert entries["basic-pitch-icassp-2022"]["available"] and entries["basic-pitch-icassp-2022"]["loaded"]
    assert entries["drum_transcription"]["path"].endswith("models/drum_transcription.npz")
    status = client.get("/api/v1/status").json()
    assert {"basic-pitch-icassp-2022", "drum_transcription"} <= {m["name"] for m in status["ai_models"]}


STEADY_BPM = 142.0
"""A beat of 0.4225 s: 18.3 of the analysis's 23 ms frames, so its raw beats fall 18 or 19 frames apart."""


def steady_song(beats: int = 32, first: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """A kick and an arpeggio note on every beat at a constant STEADY_BPM, and the beats' times."""
    times = first + np.arange(beats) * 60.0 / STEADY_BPM
    y = np.zeros(int(SR * (times[-1] + 1.0)))
    t = np.arange(int(0.1 * SR)) / SR
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-t * 35)
    for i, at in enumerate(times):
        start = int(round(at * SR))
        y[start : start + kick.size] += (0.6 if i % 4 == 0 else 0.4) * kick
        note = harmonic_tone(PITCHES[i % len(PITCHES)], 0.35)
        y[start : start + note.size] += 0.25 * note
    return y.astype(np.float32), times


def test_a_steady_recordings_tempo_map_and_quantize_grid_hold_its_tempo(client: TestClient) -> None:
    """The tempo map and the quantise grid stand on the accompaniment's followed beats: on the analysis's raw
    beats (23 ms frames) a steady 142 BPM map swung 136-152 BPM and quantised notes landed up to 28 ms off."""
    y, beats = steady_song()
    response = post(client, wav_bytes(y), quantize="1/16")
    assert response.status_code == 200, response.text
    body = response.json()
    inner = np.array(body["tempo_map_bpm"][1:-1])  # the lead-in's and the last beat's segments left out
    assert len(inner) >= 20 and np.max(np.abs(inner / STEADY_BPM - 1.0)) < 0.01, inner
    step = 60.0 / STEADY_BPM / 4
    grid = beats[0] + np.arange(-4, 4 * len(beats) + 4) * step
    starts = np.array([n["start"] for n in body["notes"] if n["pitch"] in PITCHES and n["start"] >= beats[0] - 0.05])
    assert len(starts) >= len(beats) - 2, body["notes"]
    off = np.array([np.min(np.abs(grid - s)) for s in starts])
    assert np.max(off) < 0.006, np.round(off * 1000, 1)
    # The answer says which beats it followed, and the analysis's own beside them.
    assert len(body["analysis_beat_times"]) >= 20 and body["beat_times"] != body["analysis_beat_times"]
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(body["midi_base64"])))
    assert len([m for m in midi.tracks[0] if m.type == "set_tempo"]) == len(body["tempo_map_bpm"])


def test_a_recording_that_opens_on_the_downbeat_has_its_first_bar_whole(client: TestClient) -> None:
    """An 8-bar song bounced from a DAW starts on bar 1: its first beat is at 0. The transcription's grid dropped
    it, so the file's first bar line fell on the second beat (0.54 s) and the song read as 9 bars, the first of
    three beats, where /analyze/audio has its first downbeat at 0 (QA pass 4)."""
    from tests.api.test_analysis import song_in_g_major

    body = post(client, wav_bytes(song_in_g_major(bars=8))).json()
    assert body["downbeat_times"][0] == 0.0 and body["beat_times"][0] == 0.0
    bars = np.diff(body["downbeat_times"]) / np.median(np.diff(body["beat_times"]))
    assert np.allclose(bars, 4.0, atol=0.1)  # every bar line four beats after the last
