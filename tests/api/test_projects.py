"""/api/v1/analyze/project through HTTP: manifests, roles, stems, core status, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from integration.projects import ManifestScan, ProjectStore
from tests.api.conftest import engine_client, make_settings
from tests.support.core_standin import run_core_standin

ELECTRONIC = ["Kick", "Snare", "Hi-hats", "Bass", "Synth Lead", "Synth Pad", "FX"]


def write_project(projects: Path, project_id: str, tracks: list[str], filename: str = "project.dawg") -> Path:
    projects.mkdir(parents=True, exist_ok=True)
    manifest = {
        "project_id": project_id,
        "name": "Night Drive",
        "tempo": 124,
        "time_signature": "4/4",
        "tracks": tracks,
    }
    path = projects / filename
    path.write_text(json.dumps(manifest))
    return path


def write_stem(projects: Path, project_id: str, track: str, freq: float, seconds: float = 4.0) -> Path:
    stems = projects / project_id / "stems"
    stems.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(44100 * seconds)) / 44100
    path = stems / f"{track}.wav"
    sf.write(path, (0.2 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 44100)
    return path


def test_projects_are_listed_with_their_stems(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with engine_client(settings) as client:
        assert client.get("/api/v1/projects").json()["projects"] == []  # no directory yet: none, not an error
    write_project(settings.projects_dir, "e1", ELECTRONIC)
    write_stem(settings.projects_dir, "e1", "Kick", 60, seconds=0.5)
    (settings.projects_dir / "broken.dawg").write_text("{not json")
    with engine_client(settings) as client:
        body = client.get("/api/v1/projects").json()
    assert body["projects_dir"] == str(settings.projects_dir)
    assert body["projects"] == [
        {"project_id": "e1", "name": "Night Drive", "tempo": 124, "time_signature": "4/4", "tracks": ELECTRONIC,
         "stems": ["Kick"]}
    ]  # fmt: skip
    assert [u["file"] for u in body["unread"]] == ["broken.dawg"]  # left out, and it said so only in the log
    assert body["unread"][0]["reason"].startswith("not valid JSON (")


def test_the_listing_reads_the_directory_once_however_many_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each project's stems were found by its id, which read every manifest again: 2,000 projects took 9.6 minutes
    to list (300: 15 s), as long again for the empty mixing POST's analysis of a project."""
    settings = make_settings(tmp_path)
    for n in range(12):
        write_project(settings.projects_dir, f"p{n}", ["Kick", "Bass"], filename=f"p{n}.dawg")
        write_stem(settings.projects_dir, f"p{n}", "Kick", 60, seconds=0.1)
    reads: list[ProjectStore] = []
    scan = ProjectStore.scan

    def counted(self: ProjectStore) -> ManifestScan:
        reads.append(self)
        return scan(self)

    monkeypatch.setattr(ProjectStore, "scan", counted)
    with engine_client(settings) as client:
        listed = client.get("/api/v1/projects").json()["projects"]
        assert len(listed) == 12 and all(p["stems"] == ["Kick"] for p in listed)
        assert len(reads) == 1
        reads.clear()
        assert client.post("/api/v1/analyze/project", data={"project_id": "p3"}).status_code == 200
        assert len(reads) == 1


@pytest.mark.parametrize(("make", "said"), [(None, "does not exist"), ("file", "is a file, not a folder")])
def test_a_projects_folder_that_is_missing_or_a_file_is_said_so(tmp_path: Path, make: str | None, said: str) -> None:
    """It read as an empty folder ("there is none in ... yet"), and only the log said why."""
    settings = make_settings(tmp_path)
    if make == "file":
        settings.projects_dir.write_text("not a folder")
    with engine_client(settings) as client:
        listed = client.get("/api/v1/projects").json()
        assert listed["projects"] == [] and said in listed["message"] and "DAWG_AI_PROJECTS_DIR" in listed["message"]
        analysis = client.post("/api/v1/analyze/project")
        assert analysis.status_code == 404 and said in analysis.json()["detail"], analysis.text
        mix = client.post("/api/v1/mixing/suggest").json()
        assert mix["status"] == "no_audio" and said in mix["message"], mix
    settings.projects_dir.unlink(missing_ok=True)
    settings.projects_dir.mkdir()
    with engine_client(settings) as client:  # an empty folder is simply empty
        assert client.get("/api/v1/projects").json()["message"] is None


def test_a_stem_link_that_leads_round_in_a_loop_breaks_no_project_request(tmp_path: Path) -> None:
    """One such link in one project made the list, the latest project's analysis and mixing a 500 (Python
    3.11 raises RuntimeError for a loop, which the stems reader did not catch)."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "e1", ELECTRONIC)
    kick = write_stem(settings.projects_dir, "e1", "Kick", 60, seconds=1.0)
    (kick.parent / "Loop.wav").symlink_to(kick.parent / "Loop.wav")
    with engine_client(settings) as client:
        listed = client.get("/api/v1/projects")
        assert listed.status_code == 200 and listed.json()["projects"][0]["stems"] == ["Kick"], listed.text[:300]
        for path in ("/api/v1/analyze/project", "/api/v1/mixing/suggest"):  # the latest project: e1
            answer = client.post(path)
            assert answer.status_code == 200, (path, answer.text[:300])


def test_a_named_project_without_stems_is_named_in_the_answer(tmp_path: Path) -> None:
    """It was told to "pass project_id", which it had (and the command answered "name the project")."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "e1", ELECTRONIC)
    folder = settings.projects_dir / "e1" / "stems"
    with engine_client(settings) as client:
        for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level"):
            body = client.post(f"{path}?project_id=e1").json()
            assert body["status"] == "no_audio" and (body["project_id"], body["project_name"]) == ("e1", "Night Drive")
            assert body["message"].startswith(
                f"project 'Night Drive' (project_id 'e1') has no readable stems in {folder}"
            )
        render = client.post("/api/v1/mixing/render?project_id=e1")
        assert render.status_code == 422 and render.json()["error"] == "no_audio"
        assert "project 'Night Drive' (project_id 'e1') has no readable stems" in render.json()["detail"]
        said = client.post("/api/v1/command", data={"text": "how's my mix", "project_id": "e1"}).json()
        assert said["speech"] == "Night Drive has no stems yet: render its tracks to its stems folder, then ask again."


@pytest.mark.parametrize("how", ["query", "form", "json"])
def test_project_roles_and_missing_stems(tmp_path: Path, how: str) -> None:
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "e1", ELECTRONIC)
    with engine_client(settings) as client:
        if how == "query":
            response = client.post("/api/v1/analyze/project?project_id=e1")
        elif how == "form":
            response = client.post("/api/v1/analyze/project", data={"project_id": "e1"})
        else:
            response = client.post("/api/v1/analyze/project", json={"project_id": "e1"})
    assert response.status_code == 200, response.text
    body = response.json()
    roles = {t["name"]: t["role"] for t in body["tracks"]}
    assert roles["Kick"] == "kick" and roles["Bass"] == "bass" and roles["Synth Pad"] == "pad"
    assert roles["Hi-hats"] == "hihat" and roles["Synth Lead"] == "lead" and roles["FX"] == "fx"
    missing = [f["track"] for f in body["findings"] if f["type"] == "missing_stem"]
    assert missing == ELECTRONIC
    assert body["core"]["connected"] is False and "reason" in body["core"]
    assert body["tempo"] == 124


def test_a_missing_stem_says_why_when_its_place_holds_a_file_not_read_or_no_file_can_be_named(tmp_path: Path) -> None:
    """The advice was "render it to <stems>/Bass.wav" where Bass.wav was there, a link out of the folder (never
    read), and "render it to <stems>/../Kick.wav" or "<stems>/sub/Bass.wav" for names no stem file can have: paths
    outside the stems folder, which the engine never reads either."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "p1", ["Kick", "Bass", "Vox", "sub/Bass", "../Kick"])
    write_stem(settings.projects_dir, "p1", "Kick", 60, seconds=0.5)
    outside = write_stem(tmp_path / "elsewhere", "x", "Bass", 80, seconds=0.5)
    stems = settings.projects_dir / "p1" / "stems"
    (stems / "Bass.wav").symlink_to(outside)
    (stems / "Vox.wav").mkdir()
    with engine_client(settings) as client:
        body = client.post("/api/v1/analyze/project", data={"project_id": "p1"}).json()
    said = {f["track"]: f["message"] for f in body["findings"] if f["type"] == "missing_stem"}
    assert said["Bass"] == (
        f"no rendered stem for 'Bass': {stems / 'Bass.wav'} is a link to {outside}, outside the stems folder, "
        "which is not read; put the rendered file itself there for measured advice"
    )
    assert said["Vox"].startswith(f"no rendered stem for 'Vox': {stems / 'Vox.wav'} is not a file (a folder or a pipe)")
    for track in ("sub/Bass", "../Kick"):
        assert said[track] == (
            f"no rendered stem for '{track}': its name holds '/', so no stem file in {stems} can be named after it; "
            "rename the track for measured advice"
        )
    assert "Kick" not in said


def test_a_stem_longer_than_the_limit_is_left_out_with_a_note_not_the_whole_project(tmp_path: Path) -> None:
    """One stem over DAWG_AI_MAX_AUDIO_DURATION_S (a 31-minute drone beside an 8 s kick) made every project route a
    413, where a stem that cannot be decoded is left out and named; a project of long stems alone stays a 413."""
    settings = make_settings(tmp_path, max_audio_duration_s=2.0)
    write_project(settings.projects_dir, "p1", ["Kick", "Drone"])
    write_stem(settings.projects_dir, "p1", "Kick", 60, seconds=1.0)
    write_stem(settings.projects_dir, "p1", "Drone", 110, seconds=3.0)
    write_project(settings.projects_dir, "p2", ["Drone"], filename="p2.dawg")
    write_stem(settings.projects_dir, "p2", "Drone", 110, seconds=3.0)
    said = "the stem 'Drone.wav' (track 'Drone') was left out: Drone: 3 s of audio is longer than the limit of 2 s"
    with engine_client(settings) as client:
        for path in ("/api/v1/analyze/project", "/api/v1/mixing/suggest", "/api/v1/mixing/auto_level"):
            response = client.post(path, data={"project_id": "p1"})
            assert response.status_code == 200, (path, response.text)
            assert said in response.json()["message"], (path, response.json()["message"])
        alone = client.post("/api/v1/mixing/suggest", data={"project_id": "p2"})
    assert alone.status_code == 413 and "longer than the limit of 2 s" in alone.json()["detail"]


def test_project_with_live_core_reports_track_count_difference(tmp_path: Path) -> None:
    with run_core_standin(mode="normal", num_tracks=6) as core:
        settings = make_settings(tmp_path, core_url=core.url)
        write_project(settings.projects_dir, "band", ["Drums", "Bass", "Guitar", "Vocals"])
        with engine_client(settings) as client:
            body = client.post("/api/v1/analyze/project", json={"project_id": "band"}).json()
    assert body["core"]["connected"] is True
    assert body["core"]["numTracks"] == 6
    (differs,) = [f for f in body["findings"] if f["type"] == "core_track_count_differs"]
    assert differs["evidence"] == {"core_tracks": 6, "manifest_tracks": 4}


def test_unknown_project_is_404(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "e1", ELECTRONIC)
    with engine_client(settings) as client:
        response = client.post("/api/v1/analyze/project?project_id=nope")
    assert response.status_code == 404
    assert response.json()["error"] == "project_not_found"


@pytest.mark.parametrize("project_id", ["../etc", "..", "a/b", "/etc/passwd", "..%2F..%2Fsecret"])
def test_ids_that_leave_the_directory_are_refused(tmp_path: Path, project_id: str) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        response = client.post("/api/v1/analyze/project", json={"project_id": project_id})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_project_id"


def test_a_request_naming_no_project_and_no_project_there_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/analyze/project")
    assert response.status_code == 404
    assert response.json()["error"] == "project_not_found"
    assert "named no project" in response.json()["detail"]


def test_a_request_naming_no_project_takes_the_one_worked_on_last(tmp_path: Path) -> None:
    """Jarvis ("analyse my project") and DAWG-CORE's own project/analyze name no project: the engine takes
    the project whose manifest or stems were written last, and says so."""
    settings = make_settings(tmp_path)
    projects = settings.projects_dir
    older = write_project(projects, "older", ["Drums", "Bass"], filename="older.dawg")
    newer = write_project(projects, "newer", ["Kick", "Snare"], filename="newer.dawg")
    os.utime(older, (1_000_000, 1_000_000))
    os.utime(newer, (2_000_000, 2_000_000))
    with engine_client(settings) as client:
        saved_last = client.post("/api/v1/analyze/project")
        assert saved_last.status_code == 200, saved_last.text
        assert saved_last.json()["project_id"] == "newer"
        assert "'newer'" in saved_last.json()["message"] and "saved 1970-01-24" in saved_last.json()["message"]
        named = client.post("/api/v1/analyze/project", json={"project_id": "older"}).json()
        assert named["project_id"] == "older" and named["message"] is None

        stem = write_stem(projects, "older", "Bass", 55, seconds=0.5)  # stems rendered later than either manifest
        os.utime(stem, (3_000_000, 3_000_000))
        for response in (
            client.post("/api/v1/analyze/project"),
            client.post("/api/v1/analyze/project", data={"project_id": ""}),  # a form's empty field names none
            client.post("/api/v1/analyze/project", json={}),
        ):
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["project_id"] == "older"
            assert "stems written 1970-02-04" in body["message"]
            assert [t["name"] for t in body["tracks"] if t["stem"]] == ["Bass"]


def test_a_stem_still_being_written_is_left_out_with_a_note(tmp_path: Path) -> None:
    """DAWG-CORE writes stems into the project while the AI panel asks (an empty POST): one stem that is not
    audio yet failed the whole answer with a 415 for a file the caller never sent. It is left out, named in
    the message; a project whose every stem is unreadable still answers the decoder's error."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "p1", ["Kick", "Bass", "Guitar"])
    write_stem(settings.projects_dir, "p1", "Kick", 60)
    write_stem(settings.projects_dir, "p1", "Bass", 110)
    (settings.projects_dir / "p1" / "stems" / "Guitar.wav").write_bytes(b"RIFF" + b"\0" * 40)  # a header so far
    with engine_client(settings) as client:
        for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level", "/api/v1/analyze/project"):
            response = client.post(path, data={"project_id": "p1"})
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            assert "'Guitar.wav'" in body["message"] and "left out" in body["message"], (path, body["message"])
        suggested = client.post("/api/v1/mixing/suggest").json()  # the empty POST: the project written last
        assert {t["name"] for t in suggested["tracks"]} == {"Kick", "Bass"}
        assert "written last" in suggested["message"] and "Guitar.wav" in suggested["message"]
        rendered = client.post("/api/v1/mixing/render", data={"project_id": "p1", "format": "json"}).json()
        assert "Guitar.wav" in rendered["message"]
    for track in ("Kick", "Bass"):
        (settings.projects_dir / "p1" / "stems" / f"{track}.wav").write_text("not audio either")
    with engine_client(settings) as client:
        response = client.post("/api/v1/mixing/suggest", data={"project_id": "p1"})
    assert response.status_code == 415 and response.json()["detail"].startswith("Kick: not an audio file"), (
        response.text
    )


def test_an_unusual_time_signature_is_a_finding(tmp_path: Path) -> None:
    """A manifest in 99/4 was taken without a word, where a tempo outside 30-300 had its finding."""
    from ai.project_findings import unusual_meter

    settings = make_settings(tmp_path)
    path = write_project(settings.projects_dir, "odd", ["Kick", "Bass"])
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "time_signature": "99/4"}))
    with engine_client(settings) as client:
        body = client.post("/api/v1/analyze/project", data={"project_id": "odd"}).json()
    (odd,) = [f for f in body["findings"] if f["type"] == "unusual_time_signature"]
    assert odd["priority"] == "low" and "99/4" in odd["message"]
    assert [unusual_meter(m) for m in ("4/4", "7/8", "12/8", "5/4", "32/32")] == [None] * 5
    assert unusual_meter("4/3") is not None and unusual_meter("0/4") is not None and unusual_meter("x") is not None


def test_file_names_that_are_not_utf8_are_no_500(tmp_path: Path) -> None:
    """A cp1252 name in the projects folder or a project's stems folder made the listing, the project's analysis
    and its mixing advice a 500 (the name reached the JSON answer with a surrogate escape)."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "a1b2", ["Bass"])
    write_stem(settings.projects_dir, "a1b2", "Bass", 55)
    odd = write_stem(settings.projects_dir, "a1b2", "Kick", 60)
    odd.rename(os.fsdecode(bytes(odd.parent) + b"/Kick \xe9.wav"))
    Path(os.fsdecode(bytes(settings.projects_dir) + b"/caf\xe9.json")).write_text("{}")
    with engine_client(settings) as client:
        listing = client.get("/api/v1/projects")
        assert listing.status_code == 200 and listing.json()["unread"][0]["file"] == "caf\\xe9.json"
        analysis = client.post("/api/v1/analyze/project", data={"project_id": "a1b2"})
        assert analysis.status_code == 200 and [t["name"] for t in analysis.json()["tracks"]] == ["Bass"]
        assert client.post("/api/v1/mixing/suggest", data={"project_id": "a1b2"}).status_code == 200


def test_a_stem_left_out_for_its_name_is_named_in_the_answers(tmp_path: Path) -> None:
    """A stem whose name is not UTF-8 was left out of the project's analysis and mixing with a line in the log only:
    the answers read as if the file were not there. Their message names it, escaped as the listing writes it."""
    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "a1b2", ["Bass", "Kick"])
    write_stem(settings.projects_dir, "a1b2", "Bass", 55)
    odd = write_stem(settings.projects_dir, "a1b2", "Kick", 60)
    odd.rename(os.fsdecode(bytes(odd.parent) + b"/Kick \xe9.wav"))
    write_project(settings.projects_dir, "solo", ["Vox"], filename="solo.dawg")
    alone = write_stem(settings.projects_dir, "solo", "Vox", 220)
    alone.rename(os.fsdecode(bytes(alone.parent) + b"/Vox \xfc.wav"))
    said = "a1b2/stems/Kick \\xe9.wav is not read: its name is not UTF-8 text"
    with engine_client(settings) as client:
        for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level", "/api/v1/analyze/project"):
            response = client.post(path, data={"project_id": "a1b2"})
            assert response.status_code == 200, response.text
            assert said in response.json()["message"], (path, response.json()["message"])
        # A project whose one stem is such a file: no stems read, and the answer says which file was there.
        for path in ("/api/v1/mixing/suggest", "/api/v1/analyze/project"):
            response = client.post(path, data={"project_id": "solo"})
            assert response.status_code == 200, response.text
            assert "solo/stems/Vox \\xfc.wav is not read" in response.json()["message"], (path, response.text)


def test_a_podcast_project_is_judged_at_the_podcast_loudness(tmp_path: Path) -> None:
    """DAWG-CORE's Podcast template (Host, Guest, Music) with no target: /mixing/suggest aimed it at the podcast
    target (-16 LUFS) while the project's analysis still told it "streaming asks for -14 LUFS"."""
    from tests.ai.mixing.signals import SR, voice_line
    from tests.api.test_mixing import stems

    settings = make_settings(tmp_path)
    write_project(settings.projects_dir, "pod", ["Host", "Guest", "Music"])
    folder = settings.projects_dir / "pod" / "stems"
    folder.mkdir(parents=True)
    host, guest = voice_line(16.0, sung=False, seed=2), voice_line(16.0, sung=False, seed=3)
    turns = (np.arange(len(host)) // (4 * SR)) % 2 == 0
    music = stems(16.0, sr=SR)
    bed = (music["Bass"] + music["Kick"]) * np.float32(0.3)
    for name, y in {"Host": host * turns, "Guest": guest * ~turns, "Music": bed}.items():
        sf.write(folder / f"{name}.wav", np.asarray(y, np.float32), SR)
    with engine_client(settings) as client:
        body = client.post("/api/v1/analyze/project", data={"project_id": "pod"}).json()
        given = client.post("/api/v1/analyze/project", data={"project_id": "pod", "target": "streaming"}).json()
    said = [s["message"] for s in body["suggestions"] if s["type"] == "loudness"]
    assert len(said) == 1 and "podcast asks for -16 LUFS" in said[0], body["suggestions"]
    assert any("streaming asks for -14 LUFS" in s["message"] for s in given["suggestions"] if s["type"] == "loudness")
