"""/api/v1/library through HTTP: scans as jobs (on Dask's LocalCluster), searches, clip searches, path rules;
on SQLite, and on PostgreSQL when DAWG_AI_TEST_POSTGRES_URL names a server (tests/support/databases.py)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ai import progress
from ai.analysis.pipeline import AnalysisResult
from ai.analysis.pipeline import analyze as real_analyze
from ai.audio.decode import DecodedAudio
from integration.library import scan as scan_module
from integration.library.scan import analyse_file as real_analyse_file
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.support.databases import KINDS, library_database

FINISHED = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("library")
    songs = tmp / "root" / "songs"
    songs.mkdir(parents=True)
    (songs / "g_major_110.wav").write_bytes(wav_bytes(song_in_g_major(110.0, bars=4)))
    (songs / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    projects = tmp / "projects"
    projects.mkdir()
    manifest = {"project_id": "p1", "name": "P", "tempo": 55.0, "time_signature": "4/4", "tracks": []}
    (projects / "p1.dawgproj").write_text(json.dumps(manifest))
    return tmp


@pytest.fixture(scope="module", params=KINDS)
def database(request: pytest.FixtureRequest, root: Path) -> Iterator[str]:
    with library_database(request.param, root) as url:
        yield url


@pytest.fixture(scope="module")
def client(root: Path, database: str) -> Iterator[TestClient]:
    settings = make_settings(
        root,
        projects_dir=root / "projects",
        data_dir=root / "data",
        library_roots=[root / "root"],
        library_db_url=database,
        dask_workers=2,
    )
    with engine_client(settings) as test_client:
        yield test_client


def wait_for(client: TestClient, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in FINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


def scan(client: TestClient, folder: str) -> dict[str, Any]:
    answer = client.post("/api/v1/library/scan", data={"folder": folder})
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == answer.json()["status_url"]
    job = wait_for(client, answer.json()["job_id"])
    assert job["state"] == "succeeded", job
    result: dict[str, Any] = client.get(answer.json()["result_url"]).json()
    return result


def test_scan_search_and_file(client: TestClient, root: Path) -> None:
    first = scan(client, "songs")
    assert {k: first[k] for k in ("files", "analysed", "failed", "skipped")} == {
        "files": 2,
        "analysed": 1,
        "failed": 1,
        "skipped": 0,
    }
    again = scan(client, str(root / "root" / "songs"))  # absolute works too; nothing changed
    assert (again["skipped"], again["analysed"]) == (2, 0)

    found = client.get("/api/v1/library/search", params={"key": "Em", "tempo_min": 50, "tempo_max": 60})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["key"] == "E minor" and body["camelot"] == "9A" and body["total"] == 1
    item = body["items"][0]
    assert item["key"] == "G major" and item["key_match"] == "relative" and item["tempo_factor"] == 0.5
    assert item["chords"] and isinstance(item["chords"], list)

    assert client.get("/api/v1/library/search", params={"key": "F#"}).json()["total"] == 0
    fits = client.get("/api/v1/library/search", params={"project_id": "p1"}).json()  # 55 BPM: half of 110
    assert fits["tempo"] == 55.0 and fits["meter"] == "4/4" and fits["total"] == 1
    spaced = client.get("/api/v1/library/search", params={"meter": " 4 / 4 "}).json()  # spoken forms still match
    assert spaced["meter"] == "4/4" and spaced["total"] == 1

    errors = client.get("/api/v1/library/search", params={"include_errors": "true", "q": "broken"}).json()
    broken = errors["items"][0]
    assert broken["status"] == "error" and broken["error"]
    one = client.get(f"/api/v1/library/files/{broken['id']}")
    assert one.status_code == 200 and one.json()["path"].endswith("broken.wav")


@pytest.mark.parametrize(
    ("folder", "status", "code"),
    [
        ("../", 400, "path_outside_library"),
        ("/etc", 400, "path_outside_library"),
        ("missing", 404, "library_folder_not_found"),
        ("", 422, "invalid_parameter"),
        ("songs/g_major_110.wav", 422, "invalid_parameter"),  # was 404 "no folder": it is there, as a file
    ],
)
def test_scan_folders_are_checked_at_once(client: TestClient, folder: str, status: int, code: str) -> None:
    answer = client.post("/api/v1/library/scan", data={"folder": folder})
    assert answer.status_code == status and answer.json()["error"] == code
    if folder.endswith(".wav"):
        assert "is a file, not a folder" in answer.json()["detail"], answer.text
    if folder == "missing":  # a folder removed since its scan: how its files leave the library (QA pass 4, L2)
        assert "scan the folder above it to drop its files" in answer.json()["detail"], answer.text
    if folder == "":  # was "folder: Field required", as if the field had not been sent
        assert answer.json()["detail"] == "folder: required, and not given (an empty value counts as none)"


def test_a_folder_that_cannot_be_followed_is_422_not_a_500(client: TestClient, root: Path) -> None:
    """Links in a loop (Path.resolve raised RuntimeError) and a name longer than the file system takes
    (is_dir raised OSError ENAMETOOLONG) were 500s; '~someone' unknown (expanduser's RuntimeError) too."""
    links = root / "root" / "links"
    links.mkdir(exist_ok=True)
    for name, target in (("loop", "loop"), ("ping", "pong"), ("pong", "ping")):
        if not (links / name).is_symlink():
            (links / name).symlink_to(target)
    for folder in ("links/loop", "links/ping", str(links / "pong")):
        answer = client.post("/api/v1/library/scan", json={"folder": folder})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_parameter", answer.text
        assert answer.json()["detail"].startswith("folder: ") and "loop" in answer.json()["detail"]
    for folder in ("x" * 300, "songs/" + "y" * 4000):
        answer = client.post("/api/v1/library/scan", data={"folder": folder})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_parameter", answer.text
        assert "File name too long" in answer.json()["detail"]
    answer = client.post("/api/v1/library/scan", params={"folder": "~nobody-has-this-name/music"})
    assert answer.status_code == 404 and answer.json()["error"] == "library_folder_not_found", answer.text
    assert scan(client, "links")["files"] == 0  # the folder that holds the links still scans


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"key": "H minor"}, 422, "invalid_parameter"),
        ({"tempo_min": 130, "tempo_max": 120}, 422, "invalid_parameter"),
        ({"page_size": 0}, 422, "invalid_parameter"),
        ({"colour": "red"}, 422, "invalid_parameter"),
        ({"meter": "banana"}, 422, "invalid_parameter"),  # was a search that silently found nothing
        ({"meter": "4-4"}, 422, "invalid_parameter"),
        ({"project_id": "../x"}, 400, "invalid_project_id"),
        ({"project_id": "nope"}, 404, "project_not_found"),
        ({"q": "\x00"}, 422, "invalid_parameter"),  # SQLite's LIKE stopped at NUL: every file matched
    ],
)
def test_bad_searches(client: TestClient, params: dict[str, Any], status: int, code: str) -> None:
    answer = client.get("/api/v1/library/search", params=params)
    assert answer.status_code == status and answer.json()["error"] == code, answer.text


def test_a_file_deleted_since_its_scan_says_so(client: TestClient, root: Path) -> None:
    """Its row stays until the next scan of its folder; the look-up and the search said nothing of the
    file being gone (a DAW took the path and found no file)."""
    stale = root / "root" / "stale"
    stale.mkdir(exist_ok=True)  # the root is shared by the database parametrisations
    (stale / "kept.wav").write_bytes(b"RIFF not a wave")
    (stale / "deleted.wav").write_bytes(b"RIFF not a wave either")
    assert scan(client, "stale")["files"] == 2
    (stale / "deleted.wav").unlink()
    found = client.get("/api/v1/library/search", params={"q": "/stale/", "include_errors": "true"}).json()
    on_disk = {Path(item["path"]).name: item["on_disk"] for item in found["items"]}
    assert on_disk == {"deleted.wav": False, "kept.wav": True}
    ids = {Path(item["path"]).name: item["id"] for item in found["items"]}
    assert client.get(f"/api/v1/library/files/{ids['deleted.wav']}").json()["on_disk"] is False
    assert client.get(f"/api/v1/library/files/{ids['kept.wav']}").json()["on_disk"] is True
    assert scan(client, "stale")["removed"] == 1


@pytest.mark.parametrize("file_id", [999_999, 2**31, 2**63 - 1])  # past PostgreSQL's 32-bit INTEGER too
def test_unknown_file_is_404(client: TestClient, file_id: int) -> None:
    answer = client.get(f"/api/v1/library/files/{file_id}")
    assert answer.status_code == 404 and answer.json()["error"] == "library_file_not_found", answer.text


def test_an_id_beyond_the_database_integers_is_422_not_a_500(client: TestClient) -> None:
    response = client.get(f"/api/v1/library/files/{2**64}")  # SQLite raised OverflowError: a 500
    assert response.status_code == 422 and response.json()["error"] == "invalid_parameter"


def test_a_cancelled_scan_keeps_its_finished_files(
    library_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel the scan job after its first file, scan again: only the files left are analysed."""
    songs = tmp_path / "root" / "songs"
    songs.mkdir(parents=True)
    data = wav_bytes(song_in_g_major(110.0, bars=2))
    for n in range(4):
        (songs / f"song_{n}.wav").write_bytes(data)
    calls: list[int] = []

    def slow_analyze(audio: DecodedAudio) -> AnalysisResult:
        calls.append(1)
        if len(calls) > 1:  # the first file finishes; the second waits until the job is cancelled
            for _ in range(200):
                progress.check()
                time.sleep(0.02)
        return real_analyze(audio)

    monkeypatch.setattr(scan_module, "analyze", slow_analyze)
    with _scan_client(tmp_path, library_url) as client:
        job_id = client.post("/api/v1/library/scan", data={"folder": "songs"}).json()["job_id"]
        deadline = time.monotonic() + 30
        while client.get("/api/v1/library/search").json()["total"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.post(f"/api/v1/jobs/{job_id}/cancel").json()["state"] == "cancelled"
        assert client.get("/api/v1/library/search").json()["total"] == 1
        monkeypatch.setattr(scan_module, "analyze", real_analyze)
        resumed = scan(client, "songs")
        assert (resumed["skipped"], resumed["analysed"]) == (1, 3)


def test_search_by_an_uploaded_clip(client: TestClient, root: Path) -> None:
    """A G major clip at 114 BPM finds the G major song at 110 (within 8 %), and says what it heard."""
    scan(client, "songs")
    clip = wav_bytes(song_in_g_major(114.0, bars=4))
    answer = client.post("/api/v1/library/search", files={"file": ("idea.wav", clip, "audio/wav")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    heard = body["clip"]
    assert heard["filename"] == "idea.wav" and heard["key"] == "G major" and heard["camelot"] == "9B"
    assert heard["tempo"] == pytest.approx(114.0, rel=0.02) and heard["meter"] == "4/4"
    assert body["key"] == "G major" and body["meter"] == "4/4" and body["tempo"] == heard["tempo"]
    assert [Path(item["path"]).name for item in body["items"]] == ["g_major_110.wav"]
    assert body["items"][0]["key_match"] == "exact" and body["items"][0]["tempo_factor"] == 1.0

    # The clip's tempo is a filter: at 140 BPM (neither 110 nor its half or double within 8 %) nothing fits.
    faster = wav_bytes(song_in_g_major(140.0, bars=4))
    too_fast = client.post("/api/v1/library/search", files={"file": ("fast.wav", faster, "audio/wav")}).json()
    assert too_fast["tempo"] == pytest.approx(140.0, rel=0.02) and too_fast["total"] == 0

    # A parameter given wins over the clip's value: in F# major nothing fits.
    other_key = client.post(
        "/api/v1/library/search", data={"key": "F#"}, files={"file": ("idea.wav", clip, "audio/wav")}
    )
    assert other_key.status_code == 200 and other_key.json()["total"] == 0
    assert other_key.json()["clip"]["key"] == "G major"


@pytest.mark.parametrize(
    ("files", "data", "status", "code"),
    [
        ({"file": ("notes.wav", b"these are my song notes, not audio" * 10, "audio/wav")}, {}, 415, None),
        ({"file": ("empty.wav", b"", "audio/wav")}, {}, 422, "undecodable_audio"),
        ({"file": ("cut.wav", b"RIFF\x10\x00\x00\x00WAVEfmt garbage", "audio/wav")}, {}, 422, "undecodable_audio"),
        ({}, {"key": "Am"}, 422, "invalid_parameter"),  # no clip
        ({"file": ("x.wav", b"RIFF", "audio/wav")}, {"project_id": "p1"}, 422, "invalid_parameter"),
        ({"file": ("x.wav", b"RIFF", "audio/wav")}, {"key": "H minor"}, 422, "invalid_parameter"),
    ],
)
def test_bad_clip_searches(
    client: TestClient, files: dict[str, Any], data: dict[str, str], status: int, code: str | None
) -> None:
    answer = client.post("/api/v1/library/search", files=files or None, data=data)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == (code or "unsupported_media_type")


def test_a_clip_search_without_a_body_is_a_4xx(client: TestClient) -> None:
    answer = client.post("/api/v1/library/search")
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_parameter"
    assert "file" in answer.json()["detail"]


def test_the_clip_search_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/library/search"]["post"]
    multipart = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert operation["requestBody"]["required"] and multipart["required"] == ["file"]
    assert {"file", "key", "tempo", "page_size"} <= set(multipart["properties"])
    assert {"413", "415", "422"} <= set(operation["responses"])


def test_the_database_is_migrated_at_start_up_when_roots_are_set(tmp_path: Path) -> None:
    """An engine with library roots opens (and migrates) its database in a start-up step; one without
    creates no database until a library request needs it."""
    database = tmp_path / "data" / "library.sqlite"
    with engine_client(make_settings(tmp_path, library_roots=[tmp_path])) as client:
        deadline = time.monotonic() + 30
        while "library" in client.app.state.engine.warming_up or not database.exists():  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the library step did not run"
            time.sleep(0.05)
        store = client.app.state.engine.library.store  # type: ignore[attr-defined]
        assert store.revision() is not None and store.count() == 0
    plain = tmp_path / "plain"
    with engine_client(make_settings(plain)):
        pass
    assert not (plain / "data" / "library.sqlite").exists()


def test_a_database_url_without_its_driver_is_an_honest_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, library_roots=[tmp_path], library_db_url="postgresql+nosuchdriver://u@h/db")
    with engine_client(settings) as client:
        for response in (client.get("/api/v1/library/search"), client.get("/api/v1/library/files/1")):
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["error"] == "library_database_unavailable" and "DAWG_AI_LIBRARY_DB_URL" in body["detail"]
        assert client.get("/health").status_code == 200  # the rest of the engine serves on


def test_a_data_folder_that_cannot_be_made_is_an_honest_503(tmp_path: Path) -> None:
    """The database's folder under a plain file was a 500 "internal error" on every library request."""
    (tmp_path / "afile").write_text("not a folder")
    with engine_client(make_settings(tmp_path, data_dir=tmp_path / "afile" / "data")) as client:
        response = client.get("/api/v1/library/search", params={"key": "C"})
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["error"] == "library_database_unavailable"
        assert str(tmp_path / "afile" / "data") in body["detail"] and "DAWG_AI_DATA_DIR" in body["detail"]


def test_a_database_deleted_while_the_engine_runs_is_made_again(tmp_path: Path, held: HeldAnalysis) -> None:
    """Deleted under a running engine, the SQLite file was written on, unlinked, and every row scanned since
    was lost at the next start; now the next library request makes a new file."""
    _library_folder(tmp_path, "first", 1)
    _library_folder(tmp_path, "second", 1)
    held.release.set()
    data = tmp_path / "data"
    with _scan_client(tmp_path, f"sqlite:///{data / 'library.sqlite'}") as client:
        assert wait_for(client, _post_scan(client, "first")["job_id"])["state"] == "succeeded"
        shutil.rmtree(data)
        assert wait_for(client, _post_scan(client, "second")["job_id"])["state"] == "succeeded"
        assert (data / "library.sqlite").exists()
        found = client.get("/api/v1/library/search").json()
        assert [Path(item["path"]).name for item in found["items"]] == ["second_0.wav"], found


class HeldAnalysis:
    """Stands in for the scan's ``analyse_file``: a file under a folder named ``held`` waits until
    ``release`` is set (checking for cancellation meanwhile), so a scan of it is surely still running
    when the next request comes; ``entered`` is set when such a file is reached. Every file analysed is
    counted in ``analysed`` (a path twice: work done twice)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.analysed: list[str] = []

    def __call__(self, task: scan_module.FileTask) -> dict[str, Any]:
        if f"{os.sep}held{os.sep}" in task.path:
            self.entered.set()
            while not self.release.wait(0.01):
                progress.check()  # a cancelled scan stops here
        self.analysed.append(Path(task.path).name)
        return real_analyse_file(task)


def _library_folder(root: Path, name: str, files: int) -> None:
    folder = root / "root" / name
    folder.mkdir(parents=True)
    data = wav_bytes(song_in_g_major(110.0, bars=1))
    for n in range(files):
        (folder / f"{folder.name}_{n}.wav").write_bytes(data)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldAnalysis]:
    analysis = HeldAnalysis()
    monkeypatch.setattr(scan_module, "analyse_file", analysis)
    yield analysis
    analysis.release.set()  # a scan left waiting ends (the engine's shutdown cancels it too)


def _scan_client(
    tmp_path: Path, library_url: str, *, concurrency: int | None = None
) -> AbstractContextManager[TestClient]:
    """An engine whose scans run in its own threads (an analysis patched in this process is the one they run);
    ``concurrency`` jobs at once (the settings' default when None)."""
    workers = {} if concurrency is None else {"jobs_concurrency": concurrency}
    settings = make_settings(
        tmp_path,
        data_dir=tmp_path / "data",
        library_roots=[tmp_path / "root"],
        library_db_url=library_url,
        library_scan_mode="sequential",
        **workers,
    )
    return engine_client(settings)


def _post_scan(client: TestClient, folder: str) -> dict[str, Any]:
    answer = client.post("/api/v1/library/scan", data={"folder": folder})
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == answer.json()["status_url"]
    return dict(answer.json())


def test_a_folder_being_scanned_is_not_scanned_twice(library_url: str, tmp_path: Path, held: HeldAnalysis) -> None:
    """A second scan of a folder while the first runs answers the first's job; another folder scans
    beside it; once the first has finished the folder can be scanned again."""
    _library_folder(tmp_path, "held", files=2)
    _library_folder(tmp_path, "other", files=1)
    with _scan_client(tmp_path, library_url, concurrency=2) as client:
        first = _post_scan(client, "held")
        assert first["already_running"] is False
        assert held.entered.wait(30), "the first scan did not reach its first file"

        for name in ("held", str(tmp_path / "root" / "held"), "other/../held"):  # one folder, named three ways
            again = _post_scan(client, name)
            assert again["job_id"] == first["job_id"] and again["status_url"] == first["status_url"]
            assert again["already_running"] is True and again["state"] == "running"

        other = _post_scan(client, "other")  # runs while the first is still held: scans stay parallel
        assert other["job_id"] != first["job_id"] and other["already_running"] is False
        assert wait_for(client, other["job_id"])["state"] == "succeeded"
        assert client.get(first["status_url"]).json()["state"] == "running"

        held.release.set()
        assert wait_for(client, first["job_id"])["result"]["analysed"] == 2
        assert sorted(held.analysed) == ["held_0.wav", "held_1.wav", "other_0.wav"]  # each file once

        after = _post_scan(client, "held")  # finished: a new scan (its files unchanged, skipped)
        assert after["job_id"] != first["job_id"] and after["already_running"] is False
        assert wait_for(client, after["job_id"])["result"]["skipped"] == 2


def test_a_folder_and_its_subfolder_scanned_at_once_analyse_each_file_once(
    library_url: str, tmp_path: Path, held: HeldAnalysis
) -> None:
    """A subfolder of a folder being scanned answers that scan's job; a folder scanned while its subfolder's
    scan runs leaves the subfolder's files to it (``covered``)."""
    _library_folder(tmp_path, "music/held", files=2)
    _library_folder(tmp_path, "music/free", files=1)
    _library_folder(tmp_path, "other", files=1)
    with _scan_client(tmp_path, library_url, concurrency=2) as client:
        sub = _post_scan(client, "music/held")
        assert held.entered.wait(30), "the subfolder's scan did not reach its first file"
        parent = _post_scan(client, "music")
        assert parent["job_id"] != sub["job_id"] and parent["already_running"] is False
        result = wait_for(client, parent["job_id"])["result"]  # done while the subfolder's scan is held
        assert (result["files"], result["analysed"], result["covered"]) == (3, 1, 2)
        assert _post_scan(client, "music/held")["job_id"] == sub["job_id"]
        held.release.set()
        assert wait_for(client, sub["job_id"])["result"]["analysed"] == 2
        assert sorted(held.analysed) == ["free_0.wav", "held_0.wav", "held_1.wav"]  # each file once

        held.release.clear()
        held.entered.clear()
        (tmp_path / "root" / "music" / "held" / "held_2.wav").write_bytes(
            (tmp_path / "root" / "music" / "held" / "held_0.wav").read_bytes()
        )
        whole = _post_scan(client, "music")
        assert held.entered.wait(30), "the folder's scan did not reach the new file"
        for name in ("music/held", str(tmp_path / "root" / "music" / "held"), "music/free"):
            inside = _post_scan(client, name)  # inside the folder being scanned: its job
            assert inside["job_id"] == whole["job_id"] and inside["already_running"] is True
        other = _post_scan(client, "other")
        assert other["job_id"] != whole["job_id"] and wait_for(client, other["job_id"])["state"] == "succeeded"
        held.release.set()
        assert wait_for(client, whole["job_id"])["result"]["analysed"] == 1


def test_a_failed_or_cancelled_scan_lets_its_folder_be_scanned_again(
    library_url: str, tmp_path: Path, held: HeldAnalysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is free again once its scan has failed, or was cancelled while running or while queued."""
    _library_folder(tmp_path, "held", files=1)
    _library_folder(tmp_path, "waiting", files=1)
    _library_folder(tmp_path, "broken", files=1)
    with _scan_client(tmp_path, library_url, concurrency=1) as client:
        running = _post_scan(client, "held")
        assert held.entered.wait(30), "the scan did not reach its file"
        queued = _post_scan(client, "waiting")  # the only worker is busy: this one waits
        assert queued["state"] == "queued"
        assert _post_scan(client, "waiting")["job_id"] == queued["job_id"]

        for job in (queued, running):
            assert client.post(f"{job['status_url']}/cancel").json()["state"] == "cancelled"
        for job, folder in ((queued, "waiting"), (running, "held")):
            anew = _post_scan(client, folder)
            assert anew["job_id"] != job["job_id"] and anew["already_running"] is False
        held.release.set()
        for job in client.get("/api/v1/jobs").json()["jobs"]:
            wait_for(client, job["job_id"])

        def lost_database(task: scan_module.FileTask) -> dict[str, Any]:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(scan_module, "analyse_file", lost_database)
        failed = _post_scan(client, "broken")
        assert wait_for(client, failed["job_id"])["state"] == "failed"
        monkeypatch.setattr(scan_module, "analyse_file", held)
        anew = _post_scan(client, "broken")
        assert anew["job_id"] != failed["job_id"] and anew["already_running"] is False
        assert wait_for(client, anew["job_id"])["result"]["analysed"] == 1


def test_the_scan_route_documents_one_scan_per_folder(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/library/scan"]["post"]
    assert "already_running" in operation["description"]
    schema = operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert "already_running" in components[schema]["properties"]
