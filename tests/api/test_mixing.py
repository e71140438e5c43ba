"""Mixing routes through HTTP: each input route (uploads, project stems, master, reference) and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.audio import loudness
from tests.api.conftest import engine_client, make_settings

SR = 44100


def wav(y: np.ndarray, sr: int = SR) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y.T if y.ndim == 2 else y, sr, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def stems(seconds: float = 6.0, sr: int = SR) -> dict[str, np.ndarray]:
    """Kick (60 Hz thumps), bass (sustained 55-110 Hz), vocals (band noise around 1-3 kHz, 'phrases')."""
    rng = np.random.default_rng(1)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    kick = np.zeros(n)
    hit = np.sin(2 * np.pi * 60 * t[:6000]) * np.exp(-t[:6000] * 25)
    for start in range(0, n - 6000, sr // 2):
        kick[start : start + 6000] += 0.8 * hit
    bass = 0.3 * (np.sin(2 * np.pi * 55 * t) + 0.5 * np.sin(2 * np.pi * 110 * t))
    noise = rng.normal(0, 1, n)
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    spectrum[(freqs < 800) | (freqs > 3500)] = 0
    vocals = np.fft.irfft(spectrum, n)
    vocals *= 0.1 / np.abs(vocals).max() * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    return {"Kick": kick.astype(np.float32), "Bass": bass.astype(np.float32), "Vocals": vocals.astype(np.float32)}


def upload(tracks: dict[str, np.ndarray]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (f"{name}.wav", wav(y), "audio/wav")) for name, y in tracks.items()]


def test_suggest_from_uploaded_stems(client: TestClient) -> None:
    response = client.post("/api/v1/mixing/suggest", files=upload(stems()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["source"] == "uploads"
    assert {t["name"]: t["role"] for t in body["tracks"]} == {"Kick": "kick", "Bass": "bass", "Vocals": "vocals"}
    assert 0 <= body["mix_quality_score"] <= 100 and body["overall_quality"]
    for item in body["suggestions"]:
        assert {"type", "message", "priority", "track", "suggestion", "confidence"} <= set(item)


def test_rumble_is_found_on_the_right_track(client: TestClient) -> None:
    tracks = stems()
    t = np.arange(len(tracks["Vocals"])) / SR
    tracks["Vocals"] = tracks["Vocals"] + (0.2 * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
    body = client.post("/api/v1/mixing/suggest", files=upload(tracks)).json()
    rumble = [s for s in body["suggestions"] if s["type"] == "rumble"]
    assert rumble and all(s["track"] == "Vocals" for s in rumble), body["suggestions"]


def test_auto_level_does_not_depend_on_input_gain(client: TestClient) -> None:
    tracks = stems()
    first = client.post("/api/v1/mixing/auto_level", files=upload(tracks)).json()
    louder = dict(tracks, Bass=tracks["Bass"] * 10 ** (9 / 20))
    second = client.post("/api/v1/mixing/auto_level", files=upload(louder)).json()
    assert first["status"] == "success"
    assert set(first["levels"]) == {"Kick", "Bass", "Vocals"}
    assert set(first["gain_adjustments"]) == set(first["levels"])
    assert second["gain_adjustments"]["Bass"] == pytest.approx(first["gain_adjustments"]["Bass"] - 9, abs=0.3)
    assert second["gain_adjustments"]["Kick"] == pytest.approx(first["gain_adjustments"]["Kick"], abs=0.3)


def test_roles_override(client: TestClient) -> None:
    tracks = stems()
    files = [
        ("files", ("Track 1.wav", wav(tracks["Bass"]), "audio/wav")),
        ("files", ("Track 2.wav", wav(tracks["Vocals"]), "audio/wav")),
    ]
    body = client.post("/api/v1/mixing/auto_level", data={"roles": "Track 1=bass, Track 2=vocals"}, files=files).json()
    assert body["levels"]["Track 1"]["role"] == "bass" and body["levels"]["Track 2"]["role"] == "vocals"


def test_project_stems_route(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    (settings.projects_dir / "band.json").write_text(
        json.dumps(
            {
                "project_id": "p9",
                "name": "Band",
                "tempo": 100,
                "time_signature": "4/4",
                "tracks": ["Kick", "Bass", "Vocals"],
            }
        )
    )
    folder = settings.projects_dir / "p9" / "stems"
    folder.mkdir(parents=True)
    for name, y in stems().items():
        sf.write(folder / f"{name}.wav", y, SR)
    with engine_client(settings) as client:
        suggest = client.post("/api/v1/mixing/suggest", data={"project_id": "p9"}).json()
        levels = client.post("/api/v1/mixing/auto_level?project_id=p9").json()
        from_json = client.post(
            "/api/v1/mixing/auto_level", json={"project_id": "p9", "roles": {"Vocals": "lead"}}
        ).json()
        project = client.post("/api/v1/analyze/project", json={"project_id": "p9"}).json()
        uploaded = client.post("/api/v1/mixing/auto_level", files=upload(stems())).json()
    assert suggest["source"] == "project_stems" and len(suggest["tracks"]) == 3
    # Each stem file feeds its own track: the project's gains are the uploaded stems' gains (the
    # files on disk are 16-bit, the uploads float).
    assert set(levels["gain_adjustments"]) == {"Kick", "Bass", "Vocals"}
    for name, gain in uploaded["gain_adjustments"].items():
        assert levels["gain_adjustments"][name] == pytest.approx(gain, abs=0.05), name
    assert from_json["levels"]["Vocals"]["role"] == "lead" and levels["levels"]["Vocals"]["role"] == "vocals"
    assert all(t["stem"] and t["measurements"]["integrated_lufs"] is not None for t in project["tracks"])
    assert not [f for f in project["findings"] if f["type"] == "missing_stem"]


def test_master_only_and_reference(client: TestClient) -> None:
    mix = sum(stems().values())
    stereo = np.stack([mix, mix])
    ref = np.stack([mix * 3, mix * 3]).clip(-1, 1)
    response = client.post(
        "/api/v1/mixing/suggest",
        data={"target": "streaming"},
        files={"master": ("mix.wav", wav(stereo), "audio/wav"), "reference": ("ref.wav", wav(ref), "audio/wav")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "master" and body["mode"] == "master"
    # The master and the reference are each measured from their own upload.
    master_lufs = loudness.integrated_loudness(y=stereo, sr=SR)
    reference_lufs = loudness.integrated_loudness(y=ref, sr=SR)
    assert body["reference"]["loudness_lufs"] == pytest.approx(master_lufs, abs=0.01)
    assert body["reference"]["reference_loudness_lufs"] == pytest.approx(reference_lufs, abs=0.01)
    assert body["reference"]["loudness_difference_lu"] == pytest.approx(master_lufs - reference_lufs, abs=0.01)
    (move,) = [s for s in body["suggestions"] if s["type"] == "loudness"]
    # Too loud for streaming: a plain gain move down to -14 LUFS (no limiter needed going down).
    assert move["action"] == {"kind": "gain", "gain_db": pytest.approx(-14.0 - master_lufs, abs=0.05)}


def test_no_audio_says_so_plainly(client: TestClient) -> None:
    for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level"):
        body = client.post(path).json()
        assert body["status"] == "no_audio"
        assert "stems" in body["message"]
    assert client.post("/api/v1/mixing/suggest").json()["suggestions"] == []


def test_one_unreadable_stem_is_named(client: TestClient) -> None:
    files = upload(stems()) + [("files", ("Guitar.wav", b"not audio at all, just text" * 20, "audio/wav"))]
    response = client.post("/api/v1/mixing/suggest", files=files)
    assert response.status_code == 415
    assert "Guitar" in response.json()["detail"]


def test_stems_of_different_rates_and_lengths(client: TestClient) -> None:
    tracks = stems()
    short_48k = stems(seconds=4.0, sr=48000)["Bass"]
    files = [
        ("files", ("Kick.wav", wav(tracks["Kick"]), "audio/wav")),
        ("files", ("Bass.wav", wav(short_48k, sr=48000), "audio/wav")),
    ]
    response = client.post("/api/v1/mixing/suggest", files=files)
    # A DAW's stems may differ in rate and length: they are brought onto one rate (the higher on a
    # tie) and aligned at their start, and the answer says so track by track.
    assert response.status_code == 200
    body = response.json()
    tracks_by_name = {t["name"]: t for t in body["tracks"]}
    assert {t["sample_rate"] for t in body["tracks"]} == {48000}
    assert "resampled from 44100 Hz to 48000 Hz" in tracks_by_name["Kick"]["notes"]
    assert "2.0 s shorter than the longest stem; counted as silent after its end" in tracks_by_name["Bass"]["notes"]
    assert "Kick: resampled from 44100 Hz to 48000 Hz" in body["notes"]
    assert tracks_by_name["Bass"]["duration_s"] == pytest.approx(4.0, abs=0.01)


def test_bad_target_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/mixing/suggest", data={"target": "loud please"}, files=upload(stems(seconds=2)))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("target")


def test_project_and_uploads_together_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/mixing/suggest", data={"project_id": "x"}, files=upload(stems(seconds=1)))
    assert response.status_code == 422
