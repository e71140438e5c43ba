"""/api/v1/analyze/audio through HTTP: synthetic audio with known answers, and bad audio."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.audio import loudness
from tests.api.conftest import engine_client, make_settings

SR = 44100


def wav_bytes(y: np.ndarray, sr: int = SR, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y.T if y.ndim == 2 else y, sr, format=fmt, subtype=subtype)
    return buffer.getvalue()


def tone(freqs: list[float], seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    out = np.zeros_like(t)
    for f in freqs:
        for h in range(1, 5):
            out += np.sin(2 * np.pi * f * h * t) / h
    return out


def song_in_g_major(bpm: float = 110.0, bars: int = 8) -> np.ndarray:
    """Kick on every beat, accented downbeat, over G C D G (one chord per bar)."""
    beat = 60.0 / bpm
    chords = [[196.0, 246.94, 293.66], [261.63, 329.63, 392.0], [293.66, 369.99, 440.0], [196.0, 246.94, 293.66]]
    parts = [tone(chords[b % 4], 4 * beat) for b in range(bars)]
    y = 0.08 * np.concatenate(parts)
    t = np.arange(int(0.12 * SR)) / SR
    kick = np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30)
    for i in range(bars * 4):
        start = int(i * beat * SR)
        y[start : start + len(kick)] += (0.9 if i % 4 == 0 else 0.5) * kick[: len(y) - start]
    return y.astype(np.float32)


def test_analysis_of_a_known_song(client: TestClient) -> None:
    response = client.post(
        "/api/v1/analyze/audio", files={"file": ("song.wav", wav_bytes(song_in_g_major()), "audio/wav")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filename"] == "song.wav"
    assert body["tempo"] == pytest.approx(110, rel=0.02)
    assert body["key"] == "G major"
    assert 0.5 < body["key_confidence"] <= 1
    assert body["duration"] == pytest.approx(8 * 4 * 60 / 110, abs=0.01)
    assert body["beats"] == len(body["beat_times"]) >= 32
    assert body["time_signature"] == "4/4"
    # The song starts on a downbeat at sample 0 and changes chord every bar.
    bar = 4 * 60 / 110
    downbeats = np.asarray(body["downbeat_times"])
    assert np.all(np.abs(downbeats[:8] - bar * np.arange(8)) < 0.035)
    assert np.all(downbeats[8:] > 8 * bar - 0.05) and len(downbeats) <= 9  # the grid may close at the end
    at_bars = [next(c["label"] for c in body["chords"] if c["start"] <= (b + 0.5) * bar < c["end"]) for b in range(8)]
    assert at_bars == ["G", "C", "D", "G"] * 2
    # The levels are those of the uploaded file (16-bit, as sent).
    sent = np.round(song_in_g_major() * 32767) / 32767
    assert body["peak_dbfs"] == pytest.approx(20 * np.log10(np.abs(sent).max()), abs=0.01)
    assert body["loudness_lufs"] == pytest.approx(loudness.integrated_loudness(y=sent[np.newaxis], sr=SR), abs=0.01)
    for field in (
        "spectral_centroid_mean",
        "spectral_rolloff_mean",
        "rms_mean",
        "zero_crossing_rate_mean",
        "loudness_lufs",
        "peak_dbfs",
    ):
        assert isinstance(body[field], float), field
    # The web front end reads the spectral means as one object, the same values as the flat fields.
    spectral = body["spectral_features"]
    assert set(spectral) == {"spectral_centroid_mean", "spectral_rolloff_mean", "rms_mean", "zero_crossing_rate_mean"}
    assert all(spectral[name] == body[name] for name in spectral)
    assert 100 < spectral["spectral_centroid_mean"] < spectral["spectral_rolloff_mean"] < SR / 2


@pytest.mark.parametrize("channels,expected", [(1, -23.01), (2, -20.0)])
def test_loudness_of_a_reference_tone(client: TestClient, channels: int, expected: float) -> None:
    # BS.1770: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LKFS; channels add in power.
    t = np.arange(SR * 5) / SR
    y = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)  # -20 dBFS peak
    audio = np.stack([y] * channels)
    body = client.post(
        "/api/v1/analyze/audio", files={"file": ("tone.wav", wav_bytes(audio, subtype="FLOAT"), "audio/wav")}
    ).json()
    assert body["loudness_lufs"] == pytest.approx(expected, abs=0.1)
    assert body["peak_dbfs"] == pytest.approx(-20.0, abs=0.05)


@pytest.mark.parametrize(
    "fmt,subtype,name", [("FLAC", "PCM_16", "a.flac"), ("OGG", "VORBIS", "a.ogg"), ("MP3", "MPEG_LAYER_III", "a.mp3")]
)
def test_compressed_formats_decode(client: TestClient, fmt: str, subtype: str, name: str) -> None:
    data = wav_bytes(song_in_g_major(bars=4), fmt=fmt, subtype=subtype)
    response = client.post("/api/v1/analyze/audio", files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert response.json()["duration"] == pytest.approx(4 * 4 * 60 / 110, abs=0.1)


def test_silence_is_answered_without_inventing_a_tempo(client: TestClient) -> None:
    body = client.post(
        "/api/v1/analyze/audio", files={"file": ("s.wav", wav_bytes(np.zeros(SR * 3, np.float32)), "audio/wav")}
    ).json()
    assert body["tempo"] is None and body["beats"] == 0
    assert body["key"] is None
    assert body["loudness_lufs"] is None


def test_dc_alone_gets_one_answer_from_analysis_mixing_and_drum_transcription(client: TestClient) -> None:
    # A constant 0.5 for 10 s: the analysis measured -29 LUFS and the drums found a hit, where mixing
    # called it silent. Nothing in it is heard.
    dc = wav_bytes(np.full((2, SR * 10), 0.5, dtype=np.float32))
    body = client.post("/api/v1/analyze/audio", files={"file": ("dc.wav", dc, "audio/wav")}).json()
    assert body["loudness_lufs"] is None and any("DC only" in note for note in body["notes"])
    levels = client.post("/api/v1/mixing/auto_level", files={"files": ("dc.wav", dc, "audio/wav")}).json()
    assert levels["levels"]["dc"]["gain_db"] == 0.0
    assert any("silent or too short to measure" in note for note in levels["notes"])
    drums = client.post("/api/v1/transcribe", data={"instrument": "drums"}, files={"file": ("dc.wav", dc, "audio/wav")})
    assert drums.status_code == 200 and drums.json()["notes"] == []


def test_audio_longer_than_the_limit_is_413(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path, max_audio_duration_s=2.0)) as limited:
        response = limited.post(
            "/api/v1/analyze/audio", files={"file": ("long.wav", wav_bytes(tone([220.0], 3.0) * 0.1), "audio/wav")}
        )
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "long.wav: 3 s of audio is longer than the limit of 2 s (setting DAWG_AI_MAX_AUDIO_DURATION_S)"
    )


def test_a_tenth_of_a_second(client: TestClient) -> None:
    response = client.post(
        "/api/v1/analyze/audio",
        files={"file": ("short.wav", wav_bytes(tone([440.0], 0.1).astype(np.float32) * 0.3), "audio/wav")},
    )
    assert response.status_code == 200
    assert response.json()["duration"] == pytest.approx(0.1, abs=0.001)


def test_surround_input(client: TestClient) -> None:
    y = np.stack([song_in_g_major(bars=4)] * 6)
    response = client.post("/api/v1/analyze/audio", files={"file": ("51.wav", wav_bytes(y), "audio/wav")})
    assert response.status_code == 200
    assert response.json()["key"] == "G major"


@pytest.mark.parametrize(
    "name,data,status,code",
    [
        ("empty.wav", b"", 422, "undecodable_audio"),
        ("notes.wav", b"these are my song notes, not audio" * 10, 415, "unsupported_media_type"),
        ("cut.wav", None, 422, "undecodable_audio"),
    ],
)
def test_bad_files(client: TestClient, name: str, data: bytes | None, status: int, code: str) -> None:
    if data is None:
        data = wav_bytes(song_in_g_major(bars=1))[:40]  # header cut before the data chunk
    response = client.post("/api/v1/analyze/audio", files={"file": (name, data, "audio/wav")})
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


def test_nan_samples_are_refused(client: TestClient) -> None:
    y = np.zeros(SR, np.float32)
    y[100] = np.nan
    response = client.post(
        "/api/v1/analyze/audio", files={"file": ("nan.wav", wav_bytes(y, subtype="FLOAT"), "audio/wav")}
    )
    assert response.status_code == 422
    assert "NaN" in response.json()["detail"]


def test_missing_file_field(client: TestClient) -> None:
    response = client.post("/api/v1/analyze/audio")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("file")


@pytest.mark.parametrize("path,field", [("/api/v1/analyze/audio", "file"), ("/api/v1/mixing/suggest", "files")])
def test_a_sample_rate_too_low_to_hold_audio_is_refused(client: TestClient, path: str, field: str) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(64, dtype=np.float32), 8, format="WAV")  # 8 Hz: a 500 on mixing before
    response = client.post(path, files={field: ("slow.wav", buffer.getvalue(), "audio/wav")})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "undecodable_audio" and "8 Hz" in response.json()["detail"]


def test_a_click_gets_no_key(client: TestClient) -> None:
    y = tone([440.0], 0.002).astype(np.float32) * 0.3  # was read as C minor, confidence 0.65
    body = client.post("/api/v1/analyze/audio", files={"file": ("click.wav", wav_bytes(y), "audio/wav")}).json()
    assert body["key"] is None and body["chords"] == [] and body["tempo"] is None
    assert any("no key" in note for note in body["notes"])
