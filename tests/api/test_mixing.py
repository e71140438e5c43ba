"""Mixing routes through HTTP: each input route (uploads, project stems, master, reference) and bad input."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from urllib.parse import unquote

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
    assert body["suggestions"]  # these stems have problems: an empty list would check nothing below
    for item in body["suggestions"]:
        assert {"type", "message", "priority", "track", "suggestion", "confidence"} <= set(item)


def test_each_track_has_its_spectrum_against_its_role(client: TestClient) -> None:
    tracks = {t["name"]: t for t in client.post("/api/v1/mixing/suggest", files=upload(stems())).json()["tracks"]}
    bass = tracks["Bass"]["tonal"]
    assert bass["role_curve"] == "bass" and len(bass["grid_hz"]) == len(bass["track_db"]) == len(bass["role_db"]) == 61
    grid = np.array(bass["grid_hz"])
    track = np.array([np.nan if v is None else v for v in bass["track_db"]])
    # A bass of 55 and 110 Hz sines: its curve peaks there and is far below at 2 kHz.
    assert 45 <= grid[np.nanargmax(track)] <= 130
    assert track[np.argmin(np.abs(grid - 2000))] < np.nanmax(track) - 30
    vocals = np.array([np.nan if v is None else v for v in tracks["Vocals"]["tonal"]["track_db"]])
    assert 700 <= grid[np.nanargmax(vocals)] <= 4000


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


def test_a_crash_with_three_hits_is_levelled_not_left_at_0_db(client: TestClient) -> None:
    """98 % of its 100 ms stretches under -60 LUFS made it 'silent': no level move while the kick was raised."""
    rng = np.random.default_rng(7)
    crash = np.zeros(31 * SR, dtype=np.float32)
    t = np.arange(int(0.3 * SR)) / SR
    for at in (2, 14, 26):
        crash[at * SR : at * SR + t.size] = 0.02 * rng.standard_normal(t.size) * np.exp(-t / 0.05)
    tracks = {**stems(), "Crash": crash}
    body = client.post("/api/v1/mixing/auto_level", files=upload(tracks)).json()
    assert body["levels"]["Crash"]["loudness_before_lufs"] is not None
    assert body["levels"]["Crash"]["balance_db"] != 0.0 and not any("Crash" in note for note in body["notes"])
    advice = client.post("/api/v1/mixing/suggest", files=upload(tracks)).json()
    assert not [s for s in advice["suggestions"] if s["type"] == "silence"]
    (measured,) = [t for t in advice["tracks"] if t["name"] == "Crash"]
    assert measured["silent_share"] >= 0.98 and measured["audible_s"] > 0


def test_roles_override(client: TestClient) -> None:
    tracks = stems()
    files = [
        ("files", ("Track 1.wav", wav(tracks["Bass"]), "audio/wav")),
        ("files", ("Track 2.wav", wav(tracks["Vocals"]), "audio/wav")),
    ]
    body = client.post("/api/v1/mixing/auto_level", data={"roles": "Track 1=bass, Track 2=vocals"}, files=files).json()
    assert body["levels"]["Track 1"]["role"] == "bass" and body["levels"]["Track 2"]["role"] == "vocals"


def test_roles_with_a_number_of_thousands_of_digits_is_422(client: TestClient) -> None:
    files = upload({"Bass": stems(seconds=1.0)["Bass"]})
    roles = '{"Bass": ' + "9" * 5000 + "}"  # json.loads' ValueError was a 500
    for route in ("suggest", "auto_level", "render"):
        response = client.post(f"/api/v1/mixing/{route}", data={"roles": roles}, files=files)
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("roles: ")


@pytest.mark.parametrize("target", ["NaN", "loud", "-100", "1e309"])
def test_a_bad_target_is_422_with_or_without_audio_and_before_a_job_is_queued(client: TestClient, target: str) -> None:
    """Without audio it was answered 200 "no audio" (422 no_audio on render), and as a job 202 then failed:
    the target was only read once stems were measured."""
    for route in ("suggest", "auto_level", "render"):
        for request in ({"data": {"target": target}}, {"params": {"target": target, "async": "true"}}):
            response = client.post(f"/api/v1/mixing/{route}", **request)
            assert response.status_code == 422, (route, request, response.text)
            assert response.json()["error"] == "invalid_parameter" and response.json()["detail"].startswith("target: ")
    response = client.post("/api/v1/analyze/project", data={"target": target})
    assert response.status_code == 422 and response.json()["detail"].startswith("target: "), response.text


@pytest.mark.parametrize(
    ("target", "said"), [("NaN", "not a number"), ("-inf", "not a finite number"), ("1e309", "not a finite number")]
)
def test_a_target_that_is_no_number_says_so(client: TestClient, target: str, said: str) -> None:
    """'target: nan LUFS is outside -40 to -5 LUFS' named a range NaN is not outside."""
    for request in ({"data": {"target": target}}, {"params": {"target": target}}):
        response = client.post("/api/v1/mixing/suggest", **request)  # type: ignore[arg-type]
        assert response.json()["detail"] == f"target: {said} (got {target!r})", response.text
    json_nan = '{"target": ' + ("NaN" if said == "not a number" else "-Infinity") + "}"
    response = client.post("/api/v1/mixing/auto_level", content=json_nan, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"].startswith(f"target: {said} (got "), response.text


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
        rendered = client.post("/api/v1/mixing/render", data={"project_id": "p9", "format": "json"}).json()
        faster = client.post("/api/v1/mixing/suggest", data={"project_id": "p9", "tempo": "132"}).json()
    assert suggest["source"] == "project_stems" and len(suggest["tracks"]) == 3
    # The manifest's tempo sets delay and release times, unless the request gives one.
    assert (suggest["tempo_bpm"], suggest["tempo_source"]) == (100, "given")
    assert faster["tempo_bpm"] == 132
    assert rendered["report"]["tempo_bpm"] == 100 and {e["track"] for e in rendered["applied"]} >= {"Kick", "Bass"}
    # Each stem file feeds its own track: the project's gains are the uploaded stems' gains (the
    # files on disk are 16-bit, the uploads float).
    assert set(levels["gain_adjustments"]) == {"Kick", "Bass", "Vocals"}
    for name, gain in uploaded["gain_adjustments"].items():
        assert levels["gain_adjustments"][name] == pytest.approx(gain, abs=0.05), name
    assert from_json["levels"]["Vocals"]["role"] == "lead" and levels["levels"]["Vocals"]["role"] == "vocals"
    assert all(t["stem"] and t["measurements"]["integrated_lufs"] is not None for t in project["tracks"])
    assert not [f for f in project["findings"] if f["type"] == "missing_stem"]


@pytest.mark.parametrize("tempo", [0.001, 100000])
def test_a_manifest_tempo_no_delay_can_be_timed_by_is_measured_instead_and_said(tmp_path: Path, tempo: float) -> None:
    """A manifest's tempo is any positive number. One outside 20-400 BPM reached the space advice, which
    refused it: every mixing route of the project (and the empty POST that takes it) was a 422 'tempo: tempo
    must be 20-400 BPM', a parameter the caller had not sent."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    manifest = {"project_id": "odd", "name": "Odd", "tempo": tempo, "time_signature": "4/4", "tracks": ["Lead"]}
    (settings.projects_dir / "odd.json").write_text(json.dumps(manifest))
    folder = settings.projects_dir / "odd" / "stems"
    folder.mkdir(parents=True)
    # Bone-dry tones at random pitches every 0.5 s: the space advice times a delay by the tempo.
    rng = np.random.default_rng(1)
    t = np.arange(int(0.4 * SR)) / SR
    envelope = np.minimum(1.0, np.minimum(t / 0.005, (0.4 - t) / 0.01))
    lead = np.zeros(8 * SR)
    for start in range(0, lead.size - t.size - SR, SR // 2):
        f0 = 220.0 * 2 ** (rng.integers(0, 12) / 12)
        lead[start : start + t.size] += 0.2 * envelope * sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))
    sf.write(folder / "Lead.wav", np.stack([lead, lead], axis=1).astype(np.float32), SR)
    said = f"the manifest's tempo ({tempo:g} BPM) is outside 20-400 BPM and was not used"
    with engine_client(settings) as client:
        named = client.post("/api/v1/mixing/suggest", data={"project_id": "odd"})
        latest = client.post("/api/v1/mixing/suggest")
        levels = client.post("/api/v1/mixing/auto_level", data={"project_id": "odd"})
        rendered = client.post("/api/v1/mixing/render", data={"project_id": "odd", "format": "json"})
    for response in (named, latest, levels, rendered):
        assert response.status_code == 200, response.text
        assert said in response.json()["message"], response.json()["message"]
    assert named.json()["tempo_bpm"] != tempo and named.json()["tempo_source"] != "given"
    assert any(s["type"] == "space" for s in named.json()["suggestions"])  # the advice that refused the tempo


def test_a_loudness_target_as_a_json_number_means_what_it_means_in_a_query(tmp_path: Path) -> None:
    """Jarvis sends {"target": -16}; curl sends target=-16: the same target, not a 422 for the number."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    (settings.projects_dir / "t.json").write_text(
        json.dumps({"project_id": "t1", "name": "T", "tempo": 100, "time_signature": "4/4", "tracks": ["Kick"]})
    )
    folder = settings.projects_dir / "t1" / "stems"
    folder.mkdir(parents=True)
    for name, y in stems(seconds=3).items():
        sf.write(folder / f"{name}.wav", y, SR)
    with engine_client(settings) as client:
        for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level", "/api/v1/analyze/project"):
            as_json = client.post(path, json={"project_id": "t1", "target": -16})
            as_query = client.post(f"{path}?project_id=t1&target=-16")
            assert as_json.status_code == 200, (path, as_json.text)
            # As a phone or text editor types it (U+2212 minus), and as the platform is called: -16 too.
            as_typed = client.post(path, data={"project_id": "t1", "target": "\u221216 LUFS"})
            as_platform = client.post(path, data={"project_id": "t1", "target": "Apple Music"})
            assert as_typed.status_code == 200 and as_platform.status_code == 200, (as_typed.text, as_platform.text)
            if path != "/api/v1/analyze/project":
                assert as_json.json()["target"] == as_query.json()["target"] == as_typed.json()["target"]
                assert as_json.json()["target"]["lufs"] == -16.0
                assert as_platform.json()["target"] == {"name": "apple", "lufs": -16.0, "ceiling_dbtp": -1.0}
        too_quiet = client.post("/api/v1/mixing/suggest", json={"project_id": "t1", "target": -60})
    assert too_quiet.status_code == 422 and too_quiet.json()["detail"].startswith("target: ")


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


def test_auto_level_of_a_finished_mix_asks_for_stems(client: TestClient) -> None:
    """A master alone has no tracks to balance: not "no audio found, upload a master" (it was uploaded)."""
    mix = sum(stems().values())
    response = client.post("/api/v1/mixing/auto_level", files={"master": ("mix.wav", wav(mix), "audio/wav")})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["detail"].startswith("master: ")
    assert "'files'" in body["detail"] and "no audio found" not in body["detail"]


def test_an_empty_post_answers_the_same_everywhere(tmp_path: Path) -> None:
    """The web client sends every mixing request as an empty POST: one 200 no_audio answer, whatever
    the body's type; a project named without stems gets the same answer naming it; /render has nothing to
    render (422)."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    (settings.projects_dir / "empty.json").write_text(
        json.dumps({"project_id": "e1", "name": "Empty", "tempo": 120, "time_signature": "4/4", "tracks": ["Kick"]})
    )
    empties = [
        {},
        {"json": {}},
        {"content": b"null", "headers": {"content-type": "application/json"}},
        {"content": b"", "headers": {"content-type": "application/octet-stream"}},
        {"data": {"target": "streaming"}},
    ]
    with engine_client(settings) as client:
        answers = [
            client.post(path, **kw)
            for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level")
            for kw in empties
        ]
        named = [
            client.post(path, params={"project_id": "e1"})
            for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level")
        ]
        render = client.post("/api/v1/mixing/render")
        render_project = client.post("/api/v1/mixing/render", json={"project_id": "e1"})
    for response in answers:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "no_audio" and "files" in body["message"]
        # A number wherever it appears (the web client multiplies it by 100); the words say nothing was scored.
        assert body["overall_quality"] == 0.0 and body["mix_quality_score"] is None
        assert body["quality_summary"].startswith("No audio, nothing scored")
        assert body["suggestions"] == [] and body["levels"] == {} and body["gain_adjustments"] == {}
    assert len({json.dumps(r.json(), sort_keys=True) for r in answers}) == 1
    for response in named:  # the same answer, but about the project named (it was told to "pass project_id")
        body = response.json()
        assert {k: v for k, v in body.items() if k not in ("message", "project_id", "project_name")} == {
            k: v for k, v in answers[0].json().items() if k not in ("message", "project_id", "project_name")
        }
        assert body["message"].startswith("project 'Empty' (project_id 'e1') has no readable stems")
    for response in (render, render_project):
        assert response.status_code == 422 and response.json()["error"] == "no_audio"


def test_a_tracks_other_files_are_named_not_passed_over(tmp_path: Path) -> None:
    """Kick.wav beside Kick.flac, Bass.wav beside bass.wav: one of each was read without a word (QA pass 5b)."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    manifest = {
        "project_id": "p8",
        "name": "Twice",
        "tempo": 100,
        "time_signature": "4/4",
        "tracks": ["Kick", "Bass", "Vocals"],
    }
    (settings.projects_dir / "twice.json").write_text(json.dumps(manifest))
    folder = settings.projects_dir / "p8" / "stems"
    folder.mkdir(parents=True)
    for name, y in stems().items():
        sf.write(folder / f"{name}.wav", y, SR)
    sf.write(folder / "Kick.flac", stems()["Kick"], SR)
    sf.write(folder / "bass.wav", stems()["Bass"], SR)
    with engine_client(settings) as client:
        suggest = client.post("/api/v1/mixing/suggest", data={"project_id": "p8"}).json()
        project = client.post("/api/v1/analyze/project", json={"project_id": "p8"}).json()
    for said in (suggest["message"], project["message"]):
        assert "Kick: Kick.wav is read, not Kick.flac" in said, said
        assert "Bass: Bass.wav is read, not bass.wav" in said, said
        assert "Vocals:" not in said
    assert len(suggest["tracks"]) == 3


def project_with_stems(projects: Path, project_id: str, name: str, written: float | None) -> None:
    (projects / f"{project_id}.json").write_text(
        json.dumps({"project_id": project_id, "name": name, "tempo": 100, "time_signature": "4/4", "tracks": []})
    )
    if written is None:
        return
    folder = projects / project_id / "stems"
    folder.mkdir(parents=True)
    for track, y in stems(seconds=2).items():
        sf.write(folder / f"{track}.wav", y, SR)
        os.utime(folder / f"{track}.wav", (written, written))


def test_an_empty_post_takes_the_project_whose_stems_were_written_last(tmp_path: Path) -> None:
    """DAWG-CORE's AI panel and the web client send every mixing request empty: the answer is about the
    project the user last rendered stems of, and says which; a named project or uploads take none."""
    settings = make_settings(tmp_path)
    projects = settings.projects_dir
    projects.mkdir(parents=True)
    project_with_stems(projects, "older", "Older Song", written=1_700_000_000)
    project_with_stems(projects, "newer", "Newer Song", written=1_800_000_000)
    project_with_stems(projects, "nostems", "Sketch", written=None)  # saved last, but nothing rendered
    with engine_client(settings) as client:
        suggest = client.post("/api/v1/mixing/suggest").json()
        levels = client.post("/api/v1/mixing/auto_level", data={}).json()
        render = client.post("/api/v1/mixing/render", json={"format": "wav"})
        named = client.post("/api/v1/mixing/suggest", data={"project_id": "older"}).json()
        uploaded = client.post("/api/v1/mixing/suggest", files=upload(stems(seconds=1))).json()
        master = client.post("/api/v1/mixing/suggest", files={"master": ("m.wav", wav(stems()["Bass"]), "audio/wav")})
        spoken = client.post("/api/v1/command", json={"text": "auto balance levels"}).json()  # Jarvis
    for body in (suggest, levels):
        assert body["status"] == "success" and body["source"] == "project_stems", body
        assert (body["project_id"], body["project_name"]) == ("newer", "Newer Song")
        assert "'Newer Song'" in body["message"] and "2027-01-15" in body["message"] and "project_id" in body["message"]
    assert {t["name"] for t in suggest["tracks"]} == {"Kick", "Bass", "Vocals"}
    assert isinstance(suggest["overall_quality"], float)
    assert render.status_code == 200 and render.headers["X-Project-Id"] == "newer"
    assert "newer_mix.wav" in render.headers["Content-Disposition"]
    assert named["project_id"] == "older" and named["message"] is None
    assert spoken["result"]["project_id"] == "newer" and spoken["speech"].startswith("In Newer Song: Biggest moves")
    assert uploaded["source"] == "uploads" and uploaded["project_id"] is None and uploaded["message"] is None
    assert master.status_code == 200 and master.json()["source"] == "master" and master.json()["project_id"] is None


def test_overall_quality_is_a_number_in_0_1(client: TestClient) -> None:
    body = client.post("/api/v1/mixing/suggest", files=upload(stems())).json()
    assert isinstance(body["overall_quality"], float)
    assert body["overall_quality"] == pytest.approx(body["mix_quality_score"] / 100, abs=0.005)
    assert isinstance(body["quality_summary"], str) and body["quality_summary"]


# ----------------------------------------------------------------------------------- render


def test_a_render_of_uploaded_stems_is_named_mix_wav(client: TestClient) -> None:
    # It was "mix_mix.wav" (the default project name "mix" and the kind).
    response = client.post("/api/v1/mixing/render", files=upload(stems()))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="mix.wav"'


def test_render_returns_a_mastered_wav(client: TestClient) -> None:
    response = client.post(
        "/api/v1/mixing/render", data={"master": "true", "target": "streaming"}, files=upload(stems())
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-disposition"] == 'attachment; filename="mix_master.wav"'
    y, sr = sf.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
    assert sr == SR and y.shape == (6 * SR, 2) and sf.info(io.BytesIO(response.content)).subtype == "PCM_24"
    # Measured here from the file: on the target, under the ceiling; the headers say the same.
    lufs = loudness.integrated_loudness(y=y.T, sr=sr)
    peak = loudness.true_peak_dbtp(y=y.T, sr=sr)
    assert lufs == pytest.approx(-14.0, abs=0.5) and peak <= -1.0
    assert float(response.headers["x-loudness-lufs"]) == pytest.approx(lufs, abs=0.05)
    assert float(response.headers["x-target-lufs"]) == -14.0
    assert int(response.headers["x-findings-gone"]) <= int(response.headers["x-findings-acted-on"])


def test_render_of_a_finished_mix_alone_masters_it(client: TestClient) -> None:
    # "Master it for Spotify" with a finished mix: its DC offset goes, it reaches the target under the ceiling.
    tracks = stems()
    mix = sum(tracks.values()) * np.float32(0.3) + np.float32(0.02)
    response = client.post(
        "/api/v1/mixing/render",
        data={"format": "json", "target": "-16"},
        files={"master": ("song.wav", wav(mix), "audio/wav")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    y, sr = sf.read(io.BytesIO(base64.b64decode(body["audio_base64"])), dtype="float32", always_2d=True)
    assert loudness.integrated_loudness(y=y.T, sr=sr) == pytest.approx(-16.0, abs=0.5)
    assert loudness.true_peak_dbtp(y=y.T, sr=sr) <= -1.0 and abs(float(y.mean())) < 1e-3
    assert body["master"]["target"]["lufs"] == -16.0
    moves = [m for entry in body["applied"] for m in entry["moves"]]
    assert {m["kind"] for m in moves} <= {"eq", "stereo", "auto_level"} and any(m["kind"] == "eq" for m in moves)
    wav_answer = client.post("/api/v1/mixing/render", files={"master": ("song.wav", wav(mix), "audio/wav")})
    assert wav_answer.status_code == 200
    assert wav_answer.headers["content-disposition"] == 'attachment; filename="mix_master.wav"'
    assert float(wav_answer.headers["x-target-lufs"]) == -14.0


def test_render_of_a_finished_mix_alone_is_judged_as_a_master(client: TestClient) -> None:
    # A hot finished mix: /suggest finds its true peak over the ceiling; the render's limiter answers it, and
    # the render says so (it was judged as a one-stem mix: "the sum of the stems ... clips", never gone).
    mix = sum(stems().values())
    mix = mix * np.float32(0.98 / np.abs(mix).max())
    files = {"master": ("song.wav", wav(mix), "audio/wav")}
    advice = client.post("/api/v1/mixing/suggest", files=files).json()
    assert advice["mode"] == "master" and "true_peak" in {s["type"] for s in advice["suggestions"]}
    body = client.post("/api/v1/mixing/render", data={"format": "json"}, files=files).json()
    assert body["report"]["mode"] == body["report_after"]["mode"] == "master"
    assert body["report"]["mix_quality_score"] == advice["mix_quality_score"]
    after = body["measured_after"]
    assert body["master"]["true_peak_dbtp"] <= -1.0
    assert "true_peak" in {g["type"] for g in after["gone"]} and after["remaining"] == []
    assert after["mix_quality_score_after"] > after["mix_quality_score_before"] == advice["mix_quality_score"]
    said = [s["message"] for s in body["report"]["suggestions"] + body["report_after"]["suggestions"]]
    assert said and not any("stems" in message for message in said + [r["message"] for r in after["remaining"]])
    answer = client.post("/api/v1/mixing/render", files=files)
    assert answer.status_code == 200
    acted_on, gone = int(answer.headers["x-findings-acted-on"]), int(answer.headers["x-findings-gone"])
    assert gone == acted_on == after["acted_on"] >= 1


def test_render_json_reports_what_was_applied(client: TestClient) -> None:
    tracks = stems()
    t = np.arange(len(tracks["Vocals"])) / SR
    tracks["Vocals"] = tracks["Vocals"] + (0.01 * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
    response = client.post(
        "/api/v1/mixing/render",
        data={"format": "json", "bit_depth": "16", "apply": "auto_level,eq"},
        files=upload(tracks),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    audio = base64.b64decode(body["audio_base64"])
    y, sr = sf.read(io.BytesIO(audio), dtype="float32", always_2d=True)
    assert sf.info(io.BytesIO(audio)).subtype == "PCM_16" and sr == body["sample_rate"] == SR
    assert body["master"] is None and body["duration_s"] == pytest.approx(6.0)
    vocals = next(entry for entry in body["applied"] if entry["track"] == "Vocals")
    assert [m["type"] for m in vocals["moves"] if m["kind"] == "eq"] == ["high_pass"], vocals["moves"]
    assert {(g["type"], g["track"]) for g in body["measured_after"]["gone"]} >= {("rumble", "Vocals")}
    assert any(s["type"] == "rumble" for s in body["report"]["suggestions"])
    assert not any(s["type"] == "rumble" and not s["info"] for s in body["report_after"]["suggestions"])
    # Without a master the mix sits at auto-level's pre-master level, under the ceiling.
    assert loudness.true_peak_dbtp(y=y.T, sr=sr) <= -1.0
    # Not asked for: compressor and gain moves are listed as skipped, with the reason.
    assert body["skipped"] and all("reason" in item for item in body["skipped"])


def test_render_flac_and_errors(client: TestClient) -> None:
    flac = client.post("/api/v1/mixing/render", data={"format": "flac", "bit_depth": "16"}, files=upload(stems(3)))
    assert flac.status_code == 200 and flac.headers["content-type"] == "audio/flac"
    assert sf.info(io.BytesIO(flac.content)).format == "FLAC"
    bad = [
        ({"apply": "reverb"}, "apply"),
        ({"bit_depth": "8"}, "bit_depth"),
        ({"format": "mp3"}, "format"),
    ]
    for data, name in bad:
        response = client.post("/api/v1/mixing/render", data=data, files=upload(stems(1)))
        assert response.status_code == 422 and response.json()["detail"].startswith(name), response.text
    not_audio = upload(stems(1)) + [("files", ("Notes.wav", b"just text, not audio" * 10, "audio/wav"))]
    response = client.post("/api/v1/mixing/render", files=not_audio)
    assert response.status_code == 415 and "Notes" in response.json()["detail"]


def test_render_is_in_the_docs(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/mixing/render"]["post"]
    assert {p["name"] for p in operation["parameters"]} >= {"format", "bit_depth", "master", "apply", "target"}
    assert {"200", "413", "415", "422"} <= set(operation["responses"])
    assert {"audio/wav", "audio/flac", "application/json"} <= set(operation["responses"]["200"]["content"])
    assert "files" in operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]


# ----------------------------------------------------------------------------------- real sessions


def pcm24(seconds: float, seed: int, sr: int = 48000) -> bytes:
    """A 24-bit stereo WAV of band noise (seconds at 48 kHz: 288 kB a second)."""
    rng = np.random.default_rng(seed)
    y = (0.1 * rng.standard_normal((int(seconds * sr), 2))).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_24")
    return buffer.getvalue()


def session(n: int = 4, seconds: float = 7.0) -> list[tuple[str, tuple[str, bytes, str]]]:
    names = ["Kick", "Bass", "Guitar", "Vocals", "Keys", "Pad", "Snare", "Hi-hats"][:n]
    return [("files", (f"{name}.wav", pcm24(seconds, k), "audio/wav")) for k, name in enumerate(names)]


def test_a_24_bit_session_streams_through_temporary_files(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    files = session()  # 4 stems of 2.0 MB
    settings = make_settings(tmp_path, max_upload_mb=10, max_request_mb=20, upload_dir=uploads)
    with engine_client(settings) as client:
        response = client.post("/api/v1/mixing/auto_level", files=files)
        broken = client.post(
            "/api/v1/mixing/suggest", files=files + [("files", ("Bad.wav", pcm24(1.0, 9)[:30], "audio/wav"))]
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["levels"]) == {"Kick", "Bass", "Guitar", "Vocals"} and body["source"] == "uploads"
    assert broken.status_code == 422 and "Bad" in broken.json()["detail"]
    # Every upload went through a temporary file that is gone afterwards, also when decoding failed.
    assert list(uploads.iterdir()) == []


def test_upload_limits_per_file_and_per_request(tmp_path: Path) -> None:
    files = session()  # 4 stems of 2.0 MB, 8.1 MB together
    with engine_client(make_settings(tmp_path, max_upload_mb=10, max_request_mb=5)) as client:
        total = client.post("/api/v1/mixing/suggest", files=files)
    with engine_client(make_settings(tmp_path, max_upload_mb=1.5, max_request_mb=1024)) as client:
        one = client.post("/api/v1/mixing/suggest", files=files[:1])
    assert total.status_code == 413 and "DAWG_AI_MAX_REQUEST_MB" in total.json()["detail"]
    assert one.status_code == 413 and "DAWG_AI_MAX_UPLOAD_MB" in one.json()["detail"]
    # The limit is quoted in the setting's own megabytes (a 100 MB setting was called 105 MB).
    assert "limit is 5 MB" in total.json()["detail"] or "more than 5 MB" in total.json()["detail"]
    assert "1.5 MB per file" in one.json()["detail"]  # was "1.6 MB"


def test_a_session_larger_than_the_file_limit_is_accepted(tmp_path: Path) -> None:
    files = session(seconds=4.0)  # 4 stems of 1.15 MB, 4.6 MB together
    with engine_client(make_settings(tmp_path, max_upload_mb=2, max_request_mb=8)) as client:
        response = client.post("/api/v1/mixing/auto_level", files=files)
    assert response.status_code == 200, response.text


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


def test_an_8_bit_file_is_not_called_clipped_for_its_resolution(client: TestClient) -> None:
    t = np.arange(44_100 * 2) / 44_100
    clean = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)  # peaks at -6 dBFS, 8-bit flat
    clipped = (0.5 * np.clip(2 * np.sin(2 * np.pi * 220 * t), -1, 1)).astype(np.float32)  # clipped, turned down

    def types(y: np.ndarray) -> list[str]:
        buffer = io.BytesIO()
        sf.write(buffer, y, 44_100, format="WAV", subtype="PCM_U8")
        answer = client.post("/api/v1/mixing/suggest", files={"files": ("Bass.wav", buffer.getvalue(), "audio/wav")})
        assert answer.status_code == 200, answer.text
        return [s["type"] for s in answer.json()["suggestions"] if s.get("track") in ("Bass", None)]

    assert "clipping" not in types(clean)  # was "clipped flat-topped at -6.0 dBFS"
    assert "clipping" in types(clipped)


def test_true_or_false_for_a_number_is_refused_on_mixing_too(client: TestClient) -> None:
    for path, body in (("suggest", {"tempo": True}), ("render", {"bit_depth": True})):
        response = client.post(f"/api/v1/mixing/{path}", json=body)  # read as 1 before, then range-checked
        assert response.status_code == 422, (path, response.text)
        assert next(iter(body)) in response.json()["detail"] and "not true or false" in response.json()["detail"]


def test_render_json_carries_the_wav_answer_byte_for_byte(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """format=json is written into a file with the WAV's base64 put in its slot a piece at a time: the
    same JSON as dumping the model with the whole base64, and the same audio as format=wav."""
    from api import file_response
    from api.routes import mixing as mixing_route

    files = upload(stems())
    wav = client.post("/api/v1/mixing/render", data={"format": "wav", "bit_depth": "16"}, files=files)
    as_json = client.post("/api/v1/mixing/render", data={"format": "json", "bit_depth": "16"}, files=files)
    assert wav.status_code == as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert base64.b64decode(as_json.json()["audio_base64"]) == wav.content
    # The piecewise writer equals the whole encoding, also for a file of several pieces.
    source = tmp_path / "mix.wav"
    source.write_bytes(bytes(range(256)) * 40_000 + b"tail")
    expected = '{"a":1,"audio_base64":"' + base64.b64encode(source.read_bytes()).decode() + '","z":2}'
    monkeypatch.setattr(file_response, "BASE64_READ", 3 * 1000)
    path = mixing_route._json_file('{"a":1,"audio_base64":"@@slot@@","z":2}', "@@slot@@", source, tmp_path)
    assert path.read_text() == expected and not source.exists()


def test_a_stem_at_4_khz_is_advised_on_without_its_reverb_not_refused(client: TestClient) -> None:
    """It was a 422 "sample_rate: 4000 Hz is too low to measure reverb", naming neither a parameter the caller
    sent nor the track; analysis takes 4 kHz, and the same stem beside a 44.1 kHz one was mixed."""
    t = np.arange(4000 * 6) / 4000
    lead = (0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level"):
        response = client.post(path, files=[("files", ("Lead.wav", wav(lead, 4000), "audio/wav"))])
        assert response.status_code == 200, (path, response.text[:300])
    body = client.post("/api/v1/mixing/suggest", files=[("files", ("Lead.wav", wav(lead, 4000), "audio/wav"))]).json()
    assert not [s for s in body["suggestions"] if s["type"] == "space"]


def test_a_render_of_silence_leaves_out_the_loudness_it_has_not_got(client: TestClient) -> None:
    """X-Loudness-LUFS and X-True-Peak-dBTP came as empty strings, which a header parser reads as a value."""
    silence = np.zeros((2, SR * 2), dtype=np.float32)
    response = client.post("/api/v1/mixing/render", files=[("files", ("Pad.wav", wav(silence), "audio/wav"))])
    assert response.status_code == 200, response.text[:300]
    assert "x-loudness-lufs" not in response.headers and "x-applied-moves" in response.headers


def test_a_render_names_the_findings_it_made_and_leaves_no_dc(client: TestClient) -> None:
    """A quiet stem's DC under -50 dBFS, raised by the render, was DC in the mix that its report after named
    while the headers said only X-Findings-Gone: the render takes DC out of every stem and counts what it made."""
    tracks = stems()
    tracks["Vocals"] = tracks["Vocals"] * np.float32(0.1) + np.float32(10 ** (-52 / 20))
    body = client.post("/api/v1/mixing/render", data={"format": "json", "master": "true"}, files=upload(tracks)).json()
    y, _ = sf.read(io.BytesIO(base64.b64decode(body["audio_base64"])), dtype="float32", always_2d=True)
    assert np.abs(y.mean(axis=0)).max() < 1e-4
    new = body["measured_after"]["new"]
    assert not [n for n in new if n["type"] == "dc_offset"]
    assert not [s for s in body["report_after"]["suggestions"] if s["type"] == "dc_offset"]
    answer = client.post("/api/v1/mixing/render", data={"master": "true"}, files=upload(tracks))
    assert int(answer.headers["x-findings-new"]) == len(new)


def test_a_track_too_loud_gets_a_level_move_and_no_masking_cut_in_the_advice_or_the_render(
    client: TestClient,
) -> None:
    """A piano 12 dB too loud had a level finding and masking cuts on it; the render applied the cuts, then
    raised the piano to make up for them (3.3 dB over /auto_level's gain): masking is judged at the balanced levels."""
    tracks = stems()
    tracks["Vocals"] = tracks["Vocals"] * np.float32(10 ** (14 / 20))
    vocal_rms = float(np.sqrt(np.mean(tracks["Vocals"] ** 2)))
    rng = np.random.default_rng(9)
    spectrum = np.fft.rfft(rng.normal(0, 1, tracks["Vocals"].size))
    freqs = np.fft.rfftfreq(tracks["Vocals"].size, 1 / SR)
    spectrum[(freqs < 150) | (freqs > 6000)] = 0  # too loud everywhere, not in one band
    guitar = np.fft.irfft(spectrum, tracks["Vocals"].size)
    tracks["Guitar"] = (guitar * 3 * vocal_rms / np.sqrt(np.mean(guitar**2))).astype(np.float32)
    advice = client.post("/api/v1/mixing/suggest", files=upload(tracks)).json()
    assert [s for s in advice["suggestions"] if s["type"] == "level" and s["track"] == "Guitar"]
    assert not [s for s in advice["suggestions"] if s["type"] == "masking" and "Guitar" in s["tracks"]]
    assert advice["mix"]["balanced_gains_db"]["Guitar"] < -6
    body = client.post("/api/v1/mixing/render", data={"format": "json"}, files=upload(tracks)).json()
    (applied,) = [a for a in body["applied"] if a["track"] == "Guitar"]
    assert not [m for m in applied["moves"] if m["kind"] == "eq"]
    levels = client.post("/api/v1/mixing/auto_level", files=upload(tracks)).json()["levels"]
    assert applied["gain_db"] == pytest.approx(levels["Guitar"]["gain_db"], abs=0.3)


def test_a_master_that_misses_its_target_says_so_in_its_headers(client: TestClient) -> None:
    """target=-5 mastered to about -9 LUFS where the -1 dBTP ceiling held it: the JSON said so (within_tolerance,
    note), a WAV's headers only gave the loudness reached and the target, for the reader to compare."""
    tracks = stems()
    loud = client.post("/api/v1/mixing/render", data={"master": "true", "target": "-5"}, files=upload(tracks))
    assert loud.status_code == 200, loud.text[:300]
    assert loud.headers["x-target-reached"] == "false"
    assert float(loud.headers["x-loudness-lufs"]) < -5.5
    assert "dBTP ceiling holds the master at" in unquote(loud.headers["x-master-note"])
    usual = client.post("/api/v1/mixing/render", data={"master": "true"}, files=upload(tracks))
    assert usual.headers["x-target-reached"] == "true" and "x-master-note" not in usual.headers
    plain = client.post("/api/v1/mixing/render", files=upload(tracks))  # no master: no target to reach
    assert "x-target-reached" not in plain.headers
