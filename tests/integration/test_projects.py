"""ProjectStore on real temporary project folders: manifests, ids that try to escape, stems."""

from __future__ import annotations

import json
import logging
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from integration.projects import ProjectManifest, ProjectStore, validate_project_id
from utils.errors import InvalidProjectId, ProjectNotFound


def manifest(project_id: str, name: str = "Demo", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project_id": project_id,
        "name": name,
        "tempo": 120,
        "time_signature": "4/4",
        "tracks": ["Drums", "Bass", "Guitar", "Vocals"],
    }
    data.update(fields)
    return data


def write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    root = tmp_path / "Projects"
    write(root / "demo.dawgproj", manifest("a1b2", tracks=["Drums", "Bass", "Guitar", "Vocals"]))
    write(
        root / "edm" / "project",  # no extension, one folder down
        manifest(
            "edm-01", "Club", tempo=128.5, tracks=["Kick", "Snare", "Hi-hats", "Bass", "Synth Lead", "Synth Pad", "FX"]
        ),
    )
    write(
        root / "pod" / "Podcast.JSON",
        manifest("pod_7", "Talk", tempo=90, time_signature="6/8", tracks=["Host", "Guest", "Music"]),
    )
    write(root / "bom.json", b"\xef\xbb\xbf" + json.dumps(manifest("bom", "With BOM")).encode())
    # Not manifests, or malformed ones: all skipped.
    write(root / "notes.txt", "remember to render the stems")
    write(root / "kick.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ")
    write(root / "settings.json", {"theme": "dark"})
    write(root / "broken.json", '{"project_id": "broken", "name": ')
    write(root / "no_tempo.json", {k: v for k, v in manifest("no-tempo").items() if k != "tempo"})
    write(root / "bad_tempo.json", manifest("bad-tempo", tempo="fast"))
    write(root / "nan_tempo.json", manifest("nan-tempo", tempo="nan"))
    write(root / "text_tempo.json", manifest("text-tempo", "Tempo as text", tempo=" 128.5"))
    write(root / "zero_tempo.json", manifest("zero-tempo", tempo=0))
    write(root / "bool_tempo.json", manifest("bool-tempo", tempo=True))
    write(root / "bad_sig.json", manifest("bad-sig", time_signature="four"))
    write(root / "bad_tracks.json", manifest("bad-tracks", tracks="Drums"))
    write(root / "evil.json", manifest("../../etc"))
    write(root / ".hidden.json", manifest("hidden"))
    write(root / "too" / "deep" / "project.json", manifest("deep"))  # two levels down: not scanned
    return root


def test_lists_valid_manifests_with_any_extension_one_level_down(projects: Path) -> None:
    found = ProjectStore(projects).list_projects()
    assert [m.project_id for m in found] == ["a1b2", "bom", "edm-01", "pod_7", "text-tempo"]
    assert found[4].tempo == 128.5  # a tempo written as text was a manifest left out of every listing
    edm = found[2]
    assert edm == ProjectManifest(
        project_id="edm-01",
        name="Club",
        tempo=128.5,
        time_signature="4/4",
        tracks=["Kick", "Snare", "Hi-hats", "Bass", "Synth Lead", "Synth Pad", "FX"],
        path=projects / "edm" / "project",
    )
    assert isinstance(found[0].tempo, float) and found[0].tempo == 120.0
    pod = found[3]
    assert (pod.beats_per_bar, pod.beat_unit) == (6, 8)
    assert pod.to_dict() == {
        "project_id": "pod_7",
        "name": "Talk",
        "tempo": 90.0,
        "time_signature": "6/8",
        "tracks": ["Host", "Guest", "Music"],
    }


def test_the_manifests_left_out_are_named_with_why(projects: Path) -> None:
    # GET /api/v1/projects left them out and only the log said why.
    write(projects / "zz_copy" / "project.json", manifest("a1b2", "Copy of Demo"))  # after demo.dawgproj
    unread = dict(ProjectStore(projects).unread_manifests())
    assert set(unread) == {
        "bad_sig.json",
        "bad_tempo.json",
        "bad_tracks.json",
        "bool_tempo.json",
        "broken.json",
        "zz_copy/project.json",
        "evil.json",
        "nan_tempo.json",
        "no_tempo.json",
        "zero_tempo.json",
    }  # not notes.txt, kick.wav, settings.json (no manifest at all), nor the hidden or too deep ones
    assert unread["broken.json"].startswith("not valid JSON (")
    assert unread["no_tempo.json"] == "missing tempo"
    assert unread["bad_tempo.json"] == "tempo 'fast' is not a positive number"
    assert unread["zz_copy/project.json"] == "project_id 'a1b2' is also in demo.dawgproj, which is used"


def test_a_manifest_too_large_to_read_is_named_with_why(projects: Path) -> None:
    """A manifest over 1 MiB (a long note field, an embedded waveform) was left out of the listing, and not named
    among the files left out. Other large files (JSON that names no manifest key, audio) are still not named."""
    padding = "x" * (1100 * 1024)
    write(projects / "huge.json", manifest("huge", notes=padding))
    write(projects / "big_settings.json", {"theme": "dark", "history": padding})
    write(projects / "long.wav", b"RIFF" + bytes(1100 * 1024))
    unread = dict(ProjectStore(projects).unread_manifests())
    assert (
        unread["huge.json"]
        == f"{(projects / 'huge.json').stat().st_size} bytes, more than a manifest's 1024 KiB: not read"
    )
    assert "big_settings.json" not in unread and "long.wav" not in unread


def test_malformed_manifests_are_skipped_and_logged(projects: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="integration.projects"):
        ProjectStore(projects).list_projects()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for name in (
        "broken.json",
        "no_tempo.json",
        "bad_tempo.json",
        "nan_tempo.json",
        "zero_tempo.json",
        "bool_tempo.json",
    ):
        assert name in logged
    for name in ("bad_sig.json", "bad_tracks.json", "evil.json"):
        assert name in logged
    for name in ("notes.txt", "kick.wav", "settings.json"):  # not manifests: nothing to warn about
        assert name not in logged


@pytest.mark.parametrize(
    "content",
    [
        '{"project_id": "huge", "tempo": ' + "9" * 5000 + ', "tracks": ["Bass"]}',  # int() refuses > 4300 digits
        '{"tracks": ' + "[" * 100_000 + "]" * 100_000 + "}",  # a RecursionError in json.loads
    ],
    ids=["5000-digit number", "deeply nested"],
)
def test_json_that_python_cannot_read_is_skipped_not_a_500(
    projects: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    """One such file in the folder raised out of list_projects: every project route, and the empty mixing
    POST DAWG-CORE sends, answered 500."""
    write(projects / "odd.json", content)
    store = ProjectStore(projects)
    with caplog.at_level(logging.WARNING, logger="integration.projects"):
        listed = {manifest.project_id for manifest in store.list_projects()}
    assert {"a1b2", "pod_7"} <= listed and "huge" not in listed
    assert store.get("a1b2").name == "Demo"
    assert "odd.json" in "\n".join(r.getMessage() for r in caplog.records)


def test_get_finds_a_project_and_unknown_ids_are_404(projects: Path) -> None:
    store = ProjectStore(projects)
    assert store.get("pod_7").name == "Talk"
    with pytest.raises(ProjectNotFound) as info:
        store.get("zz99")
    assert info.value.status_code == 404
    # The 404 names the projects there are (a caller that sent a name instead of an id can correct itself).
    assert "projects: 'Demo' (a1b2), 'With BOM' (bom), 'Club' (edm-01), 'Talk' (pod_7)" in info.value.detail
    with pytest.raises(ProjectNotFound):
        store.get("deep")  # two levels down is outside the convention
    with pytest.raises(ProjectNotFound) as info:
        store.get("no-tempo")  # malformed manifests do not exist as projects, and the 404 says why
    assert "no_tempo.json: missing tempo" in info.value.detail


def test_missing_projects_directory_lists_nothing_and_gets_404(tmp_path: Path) -> None:
    store = ProjectStore(tmp_path / "does" / "not" / "exist")
    assert store.list_projects() == []
    with pytest.raises(ProjectNotFound):
        store.get("a1b2")


def test_track_objects_with_names_are_read_as_names(tmp_path: Path) -> None:
    write(tmp_path / "rich.json", manifest("rich", tracks=[{"name": "Kick", "volume": 0.8}, "Bass"]))
    write(tmp_path / "worse.json", manifest("worse", tracks=[{"volume": 0.8}]))
    store = ProjectStore(tmp_path)
    assert store.get("rich").tracks == ["Kick", "Bass"]
    assert [m.project_id for m in store.list_projects()] == ["rich"]


def test_duplicate_ids_keep_the_first_file_by_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "a.json", manifest("same", "First"))
    write(tmp_path / "b.json", manifest("same", "Second"))
    with caplog.at_level(logging.WARNING, logger="integration.projects"):
        assert ProjectStore(tmp_path).get("same").name == "First"
    assert "two manifests" in caplog.text


BAD_IDS = [
    "",
    "..",
    ".",
    "../etc",
    "../../etc/passwd",
    "a/../../b",
    "a/b",
    "a\\b",
    "..\\windows",
    "/etc/passwd",
    "/",
    "C:\\Users",
    "a\x00b",
    "x" * 129,
    " a1b2",
    "a1b2 ",
    "a1b2\n",
    ".hidden",
    "-rf",
    "a..b",
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_ids_that_could_leave_the_directory_are_refused_before_any_lookup(projects: Path, bad_id: str) -> None:
    store = ProjectStore(projects)
    for call in (store.get, store.stems_dir, store.find_stems):
        with pytest.raises(InvalidProjectId) as info:
            call(bad_id)
        assert info.value.status_code == 400


@pytest.mark.parametrize("good_id", ["a1b2", "edm-01", "pod_7", "Demo Song 2", "v1.2", "x" * 128, "Projekt_Größe"])
def test_ordinary_ids_pass_validation(good_id: str) -> None:
    assert validate_project_id(good_id) == good_id


def test_an_id_whose_folder_is_a_symlink_out_of_the_directory_is_refused(projects: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "stems").mkdir(parents=True)
    write(outside / "stems" / "Drums.wav", b"RIFF")
    (projects / "a1b2").symlink_to(outside, target_is_directory=True)
    store = ProjectStore(projects)
    with pytest.raises(InvalidProjectId):
        store.stems_dir("a1b2")
    with pytest.raises(InvalidProjectId):
        store.find_stems("a1b2")


def test_stems_dir_follows_the_convention(projects: Path) -> None:
    assert ProjectStore(projects).stems_dir("a1b2") == projects / "a1b2" / "stems"


def test_find_stems_matches_track_names_and_extensions_case_insensitively(projects: Path, tmp_path: Path) -> None:
    stems = projects / "edm-01" / "stems"
    write(stems / "kick.WAV", b"RIFF")
    write(stems / "SNARE.flac", b"fLaC")
    write(stems / "hi-hats.Ogg", b"OggS")
    write(stems / "Bass.mp3", b"ID3")
    write(stems / "Bass.flac", b"fLaC")  # two files for one track: the lossless one wins
    write(stems / "synth lead.wav", b"RIFF")
    write(stems / "Click.wav", b"RIFF")  # not a track of the manifest: an extra stem
    write(stems / "notes.txt", "not audio")
    write(stems / ".Synth Pad.wav", b"RIFF")  # hidden: ignored
    write(stems / "FX.mid", b"MThd")  # not one of the convention's formats
    write(stems / "Vox.mp3", b"ID3")
    write(stems / "Vox.m4a", b"\x00\x00\x00\x1cftypM4A ")  # may be ALAC: before the lossy ones
    write(stems / "Pad.opus", b"OggS")
    write(stems / "Keys.AIF", b"FORM")
    (stems / "Folder.wav").mkdir()
    write(tmp_path / "elsewhere" / "fx.wav", b"RIFF")
    (stems / "FX.wav").symlink_to(tmp_path / "elsewhere" / "fx.wav")  # leaves the stems folder
    (stems / "Synth Pad.wav").symlink_to(stems / "synth lead.wav")  # stays inside: allowed

    found = ProjectStore(projects).find_stems("edm-01")
    assert found == {
        "Kick": stems / "kick.WAV",
        "Snare": stems / "SNARE.flac",
        "Hi-hats": stems / "hi-hats.Ogg",
        "Bass": stems / "Bass.flac",
        "Synth Lead": stems / "synth lead.wav",
        "Synth Pad": stems / "Synth Pad.wav",
        "Click": stems / "Click.wav",
        "Vox": stems / "Vox.m4a",
        "Pad": stems / "Pad.opus",
        "Keys": stems / "Keys.AIF",
    }
    assert list(found)[:6] == ["Kick", "Snare", "Hi-hats", "Bass", "Synth Lead", "Synth Pad"]


def test_a_stem_named_in_the_other_unicode_form_is_its_tracks_stem(tmp_path: Path) -> None:
    """A file name written decomposed (macOS: NFD) against a manifest's composed track name (NFC), and the other
    way round: the stem was an extra track whose name looked the same, and the track had no stem."""
    root = tmp_path / "Projects"
    write(root / "p.json", manifest("cafe", tracks=["Café Vocals", unicodedata.normalize("NFD", "Bäss")]))
    stems = root / "cafe" / "stems"
    write(stems / (unicodedata.normalize("NFD", "Café Vocals") + ".wav"), b"RIFF")
    write(stems / "Bäss.wav", b"RIFF")
    found = ProjectStore(root).find_stems("cafe")
    assert list(found) == ["Café Vocals", unicodedata.normalize("NFD", "Bäss")]  # the manifest's spelling


def test_find_stems_without_a_stems_folder_is_empty(projects: Path) -> None:
    assert ProjectStore(projects).find_stems("a1b2") == {}


def test_find_stems_of_an_unknown_project_is_404(projects: Path) -> None:
    write(projects / "ghost" / "stems" / "Drums.wav", b"RIFF")  # stems without a manifest
    with pytest.raises(ProjectNotFound):
        ProjectStore(projects).find_stems("ghost")


def test_a_stems_folder_linked_out_of_its_project_is_ignored(projects: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside_stems"
    write(outside / "Drums.wav", b"RIFF")
    (projects / "a1b2").mkdir()
    (projects / "a1b2" / "stems").symlink_to(outside, target_is_directory=True)
    assert ProjectStore(projects).find_stems("a1b2") == {}


def test_links_that_lead_round_in_a_loop_are_skipped_not_a_crash(tmp_path: Path) -> None:
    """Python 3.11 raises RuntimeError, not OSError, for a loop of symbolic links: one such stem in one
    project made every project request a 500 (the latest project's stems, the list, the project's analysis)."""
    projects = tmp_path / "projects"
    write(projects / "a1b2.json", manifest("a1b2"))
    write(projects / "loopy.json", manifest("loopy"))
    write(projects / "a1b2" / "stems" / "Drums.wav", b"RIFF")
    stems = projects / "a1b2" / "stems"
    (stems / "loop.flac").symlink_to(stems / "loop2.flac")
    (stems / "loop2.flac").symlink_to(stems / "loop.flac")
    (stems / "self.wav").symlink_to(stems / "self.wav")
    (projects / "loopy").symlink_to(projects / "loopy", target_is_directory=True)  # the project folder itself
    (projects / "ring.json").symlink_to(projects / "ring.json")
    store = ProjectStore(projects)
    assert store.find_stems("a1b2") == {"Drums": stems / "Drums.wav"}
    latest = store.latest_with_stems()
    assert latest is not None and latest.manifest.project_id == "a1b2"
    assert sorted(m.project_id for m in store.list_projects()) == ["a1b2", "loopy"]
    with pytest.raises(ProjectNotFound, match="symbolic links lead round in a loop"):  # asked by name: a 404 saying why
        store.find_stems("loopy")


def test_manifest_inside_the_project_folder_and_stems_next_to_it(tmp_path: Path) -> None:
    write(tmp_path / "a1b2" / "a1b2.dawg", manifest("a1b2"))
    write(tmp_path / "a1b2" / "stems" / "drums.wav", b"RIFF")
    store = ProjectStore(tmp_path)
    assert store.get("a1b2").path == tmp_path / "a1b2" / "a1b2.dawg"
    assert store.find_stems("a1b2") == {"Drums": tmp_path / "a1b2" / "stems" / "drums.wav"}


def test_a_manifest_linked_from_outside_the_directory_is_not_read(tmp_path: Path) -> None:
    projects, outside = tmp_path / "projects", tmp_path / "elsewhere"
    projects.mkdir()
    secret = write(outside / "secret.json", manifest("secret", name="not yours"))
    (projects / "link.json").symlink_to(secret)  # was read and listed before
    (projects / "folder").symlink_to(outside, target_is_directory=True)
    write(projects / "mine.json", manifest("mine"))
    (projects / "alias.json").symlink_to(projects / "mine.json")  # a link that stays inside is fine
    store = ProjectStore(projects)
    assert [m.project_id for m in store.list_projects()] == ["mine"]
    with pytest.raises(ProjectNotFound):
        store.get("secret")


def test_latest_with_stems_is_the_project_whose_stems_were_written_last(projects: Path, tmp_path: Path) -> None:
    store = ProjectStore(projects)
    assert store.latest_with_stems() is None  # manifests, but no project has stems yet
    write(projects / "a1b2" / "stems" / "Drums.wav", b"RIFF")
    write(projects / "a1b2" / "stems" / "notes.txt", b"not a stem")  # never counts, however new
    write(projects / "edm-01" / "stems" / "Kick.flac", b"fLaC")
    write(projects / "ghost" / "stems" / "Drums.wav", b"RIFF")  # stems without a manifest: no project
    outside = write(tmp_path / "elsewhere" / "Bass.wav", b"RIFF")  # a link out of the folder: ignored
    (projects / "pod_7" / "stems").mkdir(parents=True)
    (projects / "pod_7" / "stems" / "Host.wav").symlink_to(outside)
    for path, when in [
        (projects / "a1b2" / "stems" / "Drums.wav", 1_000),
        (projects / "edm-01" / "stems" / "Kick.flac", 2_000),
        (projects / "a1b2" / "stems" / "notes.txt", 9_000),
        (projects / "ghost" / "stems" / "Drums.wav", 9_000),
        (outside, 9_000),
    ]:
        os.utime(path, (when, when))
    latest = store.latest_with_stems()
    assert latest is not None
    assert (latest.manifest.project_id, latest.written) == ("edm-01", 2_000)
    assert latest.stems == {"Kick": projects / "edm-01" / "stems" / "Kick.flac"}
    os.utime(projects / "a1b2" / "stems" / "Drums.wav", (3_000, 3_000))  # Drums rendered again
    latest = store.latest_with_stems()
    assert latest is not None and latest.manifest.project_id == "a1b2"


def test_a_project_named_in_a_sentence_is_found_by_id_or_name(tmp_path: Path) -> None:
    write(tmp_path / "night.json", manifest("night", "Night Drive"))
    write(tmp_path / "demo.json", manifest("demo", "Demo 2"))
    write(tmp_path / "x9.json", manifest("x9", "night"))  # a name that is another project's id
    store = ProjectStore(tmp_path)
    found = {said: store.find_by_reference(said).project_id for said in (
        "night", "Night Drive", "night  drive", "NIGHT DRIVE please", "nite drive", "night drives",
        "demo", "demo 2", "Demo 2 now", "x9",
    )}  # fmt: skip
    assert found == {
        "night": "night",  # the id wins over project x9's name
        "Night Drive": "night",
        "night  drive": "night",
        "NIGHT DRIVE please": "night",
        "nite drive": "night",
        "night drives": "night",
        "demo": "demo",
        "demo 2": "demo",
        "Demo 2 now": "demo",
        "x9": "x9",
    }
    with pytest.raises(ProjectNotFound, match=r"no project called 'memo tape'.*'Night Drive' \(night\)"):
        store.find_by_reference("memo tape")
    with pytest.raises(ProjectNotFound, match="projects: none"):
        ProjectStore(tmp_path / "missing").find_by_reference("night")


def test_a_folder_linked_to_the_projects_folder_is_not_read_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A link 'loop -> .' in the projects folder read every manifest a second time through it: each project was
    'also in loop/...', the link's copy ('loop/a1b2.json' sorts first) was the one used, and a listing of 2,000
    projects logged 4,000 warnings."""
    projects = tmp_path / "projects"
    write(projects / "a1b2.json", manifest("a1b2"))
    write(projects / "night" / "night.json", manifest("night"))
    (projects / "loop").symlink_to(projects, target_is_directory=True)
    (projects / "alias").symlink_to(projects / "night", target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        scan = ProjectStore(projects).scan()
    assert [m.project_id for m in scan.projects] == ["a1b2", "night"]
    assert [m.path for m in scan.projects] == [projects / "a1b2.json", projects / "night" / "night.json"]
    assert scan.unread == [] and "two manifests" not in caplog.text


def test_file_names_that_are_not_utf8_are_named_not_a_500(tmp_path: Path) -> None:
    """A manifest or a stem whose file name is not UTF-8 (cp1252 from an old archive) reached the answers with a
    surrogate escape: the listing, the project's analysis and every mixing route of the project were a 500."""
    projects = tmp_path / "projects"
    write(projects / "a1b2.json", manifest("a1b2"))
    write(Path(os.fsdecode(bytes(projects) + b"/caf\xe9.json")), manifest("cafe"))
    write(projects / "a1b2" / "stems" / "Drums.wav", b"RIFF")
    write(Path(os.fsdecode(bytes(projects) + b"/a1b2/stems/Gitarre \xfc.wav")), b"RIFF")
    store = ProjectStore(projects)
    scan = store.scan()
    assert [m.project_id for m in scan.projects] == ["a1b2"]
    assert scan.unread == [
        ("caf\\xe9.json", "its name is not UTF-8 text (as written by an old Windows archive): rename it to read it")
    ]
    assert list(store.find_stems("a1b2")) == ["Drums"]


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the store opens to see what they hold, from now on."""
    import integration.projects as projects_module

    opened: list[Path] = []
    read = projects_module._json_object

    def counting(path: Path) -> tuple[dict[str, Any] | None, str | None]:
        opened.append(path)
        return read(path)

    monkeypatch.setattr(projects_module, "_json_object", counting)
    return opened


def test_a_rescan_reads_only_the_files_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listing opened and parsed each of the folder's files again: 10,000 files kept a worker thread (and the
    GIL) busy for a second a listing, and /health waited (bench/projects_scan.py)."""
    import integration.projects as projects_module

    monkeypatch.setattr(projects_module, "_SETTLED_NS", 0, raising=False)  # the test's files are settled
    root = tmp_path / "projects"
    write(root / "a" / "project.json", manifest("a", "Alpha"))
    write(root / "a" / "notes.txt", "render again")
    write(root / "b.json", manifest("b", "Beta"))
    opened = _counting_reads(monkeypatch)
    store = ProjectStore(root)
    assert [m.name for m in store.list_projects()] == ["Alpha", "Beta"]
    assert len(opened) == 3
    opened.clear()
    assert [m.name for m in store.list_projects()] == ["Alpha", "Beta"] and opened == []

    # Rewritten in place with the same size and its old modification time: the change time tells.
    path = root / "a" / "project.json"
    before = path.stat()
    path.write_text(json.dumps(manifest("a", "Alphb")))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert [m.name for m in store.list_projects()] == ["Alphb", "Beta"] and opened == [path]
    # Replaced by a new file (an editor's or DAWG-CORE's save: write a temporary file, rename it over).
    write(root / "b.tmp", manifest("b", "Beta 2"))
    os.replace(root / "b.tmp", root / "b.json")
    assert [m.name for m in store.list_projects()] == ["Alphb", "Beta 2"]
    # A manifest removed, one added; a file that became a manifest.
    (root / "b.json").unlink()
    write(root / "c.json", manifest("c", "Gamma"))
    write(root / "a" / "notes.txt", json.dumps(manifest("notes", "Notes")))
    assert [m.project_id for m in store.list_projects()] == ["a", "c", "notes"]
    assert store.get("c").name == "Gamma"


def test_a_file_written_just_now_is_read_again_at_each_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file-system clock of coarse ticks gives a file written twice in one tick the same times: what a file held
    is kept only once its last write is two seconds old."""
    root = tmp_path / "projects"
    write(root / "a.json", manifest("a", "Alpha"))
    opened = _counting_reads(monkeypatch)
    store = ProjectStore(root)
    store.list_projects()
    store.list_projects()
    assert opened == [root / "a.json", root / "a.json"]
