"""Uploads in the formats FFmpeg decodes (M4A here) through HTTP: analysis, transcription and mixing take
them as they take a WAV; a broken or soundless one is 422, not 415."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.test_mixing import stems, wav
from tests.api.test_transcription import PITCHES, song
from tests.support.ffmpeg_audio import damage_packets, encode, id3v2, starting_at, video_only

SR = 44100


def click_track(bpm: float, seconds: float) -> np.ndarray:
    """np.ndarray [shape=(2, n)]: 1 kHz clicks on the beats, the downbeats louder."""
    y = np.zeros(int(seconds * SR), dtype=np.float32)
    t = np.arange(int(0.03 * SR)) / SR
    click = (np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 150)).astype(np.float32)
    for i, start in enumerate(range(0, len(y) - click.size, round(60 / bpm * SR))):
        y[start : start + click.size] += (0.8 if i % 4 == 0 else 0.5) * click
    return np.stack([y, y])


def m4a(samples: np.ndarray) -> bytes:
    return encode(samples if samples.ndim == 2 else samples[np.newaxis], SR, container="ipod", codec="aac")


def test_analysis_of_an_m4a_click_track(client: TestClient) -> None:
    response = client.post(
        "/api/v1/analyze/audio", files={"file": ("clicks.m4a", m4a(click_track(120.0, 12.0)), "audio/mp4")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tempo"] == pytest.approx(120.0, abs=1.0)
    assert body["sample_rate"] == SR and body["channels"] == 2
    assert body["duration"] == pytest.approx(12.0, abs=0.05)


def test_transcription_of_an_m4a(client: TestClient) -> None:
    response = client.post("/api/v1/transcribe", files={"file": ("song.m4a", m4a(song()), "audio/mp4")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tempo"] == pytest.approx(120.0, abs=3)
    assert set(PITCHES) <= {n["pitch"] for n in body["notes"]}


def test_mixing_takes_an_m4a_stem(client: TestClient) -> None:
    tracks = stems()
    files = [("files", ("Kick.m4a", m4a(tracks["Kick"]), "audio/mp4"))] + [
        ("files", (f"{name}.wav", wav(y), "audio/wav")) for name, y in tracks.items() if name != "Kick"
    ]
    response = client.post("/api/v1/mixing/suggest", files=files)
    assert response.status_code == 200, response.text
    assert {t["name"]: t["role"] for t in response.json()["tracks"]} == {
        "Kick": "kick",
        "Bass": "bass",
        "Vocals": "vocals",
    }


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("episode.aac", lambda y: id3v2(encode(y, SR, container="adts", codec="aac"), padding=4000)),
        ("take.mov", lambda y: starting_at(encode(y, SR, container="mov", codec="aac", faststart=True), b"moov")),
        ("memo.m4a", lambda y: damage_packets(m4a(y), range(40, 41))),  # one packet the decoder refuses
    ],
)
def test_uploads_that_were_refused_before(client: TestClient, name: str, make: Any) -> None:
    """An ID3-tagged raw AAC (422 before), a QuickTime file without ftyp (415), an M4A with one damaged
    packet (422): each is analysed as its audio."""
    response = client.post("/api/v1/analyze/audio", files={"file": (name, make(click_track(120.0, 4.0)), "audio/mp4")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sample_rate"] == SR and body["channels"] == 2
    assert body["duration"] == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(
    ("name", "data", "detail"),
    [
        ("cut.m4a", None, "cannot be decoded (truncated or corrupt)"),
        ("screen.mp4", video_only(1.0), "holds no audio stream (a video without sound)"),
    ],
)
def test_broken_and_soundless_uploads_are_422(client: TestClient, name: str, data: bytes | None, detail: str) -> None:
    if data is None:
        whole = m4a(click_track(120.0, 2.0))
        data = whole[: len(whole) // 2]
    response = client.post("/api/v1/analyze/audio", files={"file": (name, data, "audio/mp4")})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "undecodable_audio" and detail in response.json()["detail"]
