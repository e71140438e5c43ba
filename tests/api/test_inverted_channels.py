"""/api/v1/analyze/audio with a WAV whose right channel is its left one inverted (a miswired cable)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.test_analysis import song_in_g_major, wav_bytes


def test_an_inverted_channel_is_analysed_flipped(client: TestClient) -> None:
    m = song_in_g_major()
    response = client.post(
        "/api/v1/analyze/audio", files={"file": ("inverted.wav", wav_bytes(np.stack([m, -m])), "audio/wav")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tempo"] == pytest.approx(110, rel=0.02)
    assert body["key"] == "G major"
    assert body["beats"] >= 32
    assert "the channels cancel when summed (channel 2 is polarity-inverted): analysed with it flipped" in body["notes"]
    assert body["channels"] == 2


@pytest.mark.parametrize("preview", ["none", "flac"])  # the upload read straight into the analysis, or a stem file
def test_the_accompaniment_follows_an_inverted_recording(client: TestClient, preview: str) -> None:
    m = song_in_g_major()
    response = client.post(
        "/api/v1/generate/accompaniment",
        files={"file": ("inverted.wav", wav_bytes(np.stack([m, -m])), "audio/wav")},
        data={"parts": "drums,bass", "seed": "7", "preview": preview, "model": "theory"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tempo"] == pytest.approx(110, rel=0.02)
    assert body["key"] == "G major"
