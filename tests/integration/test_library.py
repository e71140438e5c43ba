"""The library: database, scans (incremental, restartable, errors recorded), searches, Camelot keys."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from ai import progress
from ai.music_keys import camelot, compatible_keys, from_camelot, normalise_key, relative
from integration.library.models import LibraryFile
from integration.library.scan import (
    DaskRunner,
    FileTask,
    Outcome,
    ScanResult,
    SequentialRunner,
    analyse_file,
    list_audio,
    scan_folder,
)
from integration.library.search import LibraryQuery, search
from integration.library.store import LibraryFolderNotFound, LibraryPathOutside, LibraryStore
from tests.api.test_analysis import SR, song_in_g_major, tone
from tests.support.ffmpeg_audio import encode


class Recording:
    """A runner that records which files it analysed and can stop (as a killed scan) after ``stop_after``."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.inner = SequentialRunner()
        self.analysed: list[str] = []
        self.stop_after = stop_after

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        for task, answer in self.inner.run(tasks):
            self.analysed.append(Path(task.path).name)
            yield task, answer
            if self.stop_after is not None and len(self.analysed) >= self.stop_after:
                raise progress.Cancelled("stopped mid-scan")


def write_wav(path: Path, y: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, SR, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The test audio, made once: two short songs and a chord pad."""
    tmp = tmp_path_factory.mktemp("clips")
    made = {
        "g_major_110.wav": song_in_g_major(110.0, bars=4),
        "g_major_120.wav": song_in_g_major(120.0, bars=4),
        "pad.wav": (0.1 * tone([220.0, 261.63, 329.63], 2.0)).astype(np.float32),
    }
    return {name: write_wav(tmp / name, y).read_bytes() for name, y in made.items()}


def _library_of(url: str, tmp_path: Path, clips: dict[str, bytes]) -> tuple[LibraryStore, Path]:
    root = tmp_path / "library"
    (root / "songs").mkdir(parents=True)
    for name, data in clips.items():
        (root / "songs" / name).write_bytes(data)
    (root / "songs" / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    (root / "songs" / "notes.txt").write_text("not audio, not listed")
    return LibraryStore(url, [root]), root


@pytest.fixture
def library(library_url: str, tmp_path: Path, clips: dict[str, bytes]) -> Iterator[tuple[LibraryStore, Path]]:
    """A library root of four files and an empty database (SQLite, and PostgreSQL when one is given)."""
    store, root = _library_of(library_url, tmp_path, clips)
    yield store, root
    store.close()


@pytest.fixture
def sqlite_library(tmp_path: Path, clips: dict[str, bytes]) -> Iterator[tuple[LibraryStore, Path]]:
    """The same on SQLite only: for the runners, which the database does not change."""
    store, root = _library_of(f"sqlite:///{tmp_path / 'data' / 'library.sqlite'}", tmp_path, clips)
    yield store, root
    store.close()


# ---------------------------------------------------------------- keys


def test_camelot_codes_of_the_wheel() -> None:
    assert camelot("C major") == "8B" and camelot("A minor") == "8A"
    assert camelot("G") == "9B" and camelot("Em") == "9A" and camelot("F#m") == "11A"
    assert camelot("Bb major") == "6B" and camelot("Eb minor") == "2A" and camelot("E") == "12B"
    for n in range(1, 13):
        for letter in "AB":
            assert camelot(from_camelot(f"{n}{letter}")) == f"{n}{letter}"  # the wheel round-trips


def test_compatible_keys_are_relative_and_fifth_neighbours() -> None:
    assert compatible_keys("Am") == ["A minor", "C major", "E minor", "D minor"]
    assert compatible_keys("8B") == ["C major", "A minor", "G major", "F major"]
    assert relative("F# minor") == "A major"
    assert normalise_key("a-minor") == "A minor" and normalise_key("Gb major") == "F# major"
    with pytest.raises(ValueError):
        normalise_key("H minor")
    with pytest.raises(ValueError):
        from_camelot("13A")


# ---------------------------------------------------------------- database and paths


def test_schema_is_created_and_versioned(library_url: str, tmp_path: Path) -> None:
    url = library_url  # on SQLite, in a folder not made yet: the store makes it
    store = LibraryStore(url, [tmp_path])
    revision = store.revision()
    assert revision is not None  # migrated (tests/integration/test_library_migrations.py: how)
    store.close()
    again = LibraryStore(url, [tmp_path])  # reopening an existing database keeps it
    assert again.revision() == revision and again.count() == 0
    again.close()


def test_folders_outside_the_roots_are_refused(library: tuple[LibraryStore, Path], tmp_path: Path) -> None:
    store, root = library
    assert store.resolve_folder("songs") == (root.resolve() / "songs", root.resolve())
    assert store.resolve_folder(str(root / "songs"))[0] == root.resolve() / "songs"
    for outside in (str(tmp_path), "../", "songs/../../", "/etc"):
        with pytest.raises(LibraryPathOutside):
            store.resolve_folder(outside)
    (root / "escape").symlink_to(tmp_path / "data", target_is_directory=True)
    with pytest.raises(LibraryPathOutside):
        store.resolve_folder("escape")
    with pytest.raises(LibraryFolderNotFound):
        store.resolve_folder("missing")


# ---------------------------------------------------------------- scans


def test_scan_rescan_and_errors(library: tuple[LibraryStore, Path]) -> None:
    store, root = library
    folder, real_root = store.resolve_folder("songs")
    assert [p.name for p in list_audio(folder, real_root)] == [
        "broken.wav",
        "g_major_110.wav",
        "g_major_120.wav",
        "pad.wav",
    ]
    (folder / "ring.wav").symlink_to(folder / "ring.wav")  # a link that leads round in a loop: not listed
    assert "ring.wav" not in [p.name for p in list_audio(folder, real_root)]
    runner = Recording()
    first = scan_folder(store, folder, real_root, runner=runner)
    assert (first.files, first.analysed, first.failed, first.skipped) == (4, 3, 1, 0)
    with store.session() as session:
        rows = {Path(row.path).name: row for row in session.query(LibraryFile).all()}
    song = rows["g_major_110.wav"]
    assert song.status == "ok" and song.key == "G major" and song.camelot == "9B"
    assert song.tempo is not None and abs(song.tempo - 110.0) < 3
    assert song.duration == pytest.approx(4 * 4 * 60 / 110, abs=0.01) and song.format == "wav"
    assert song.sample_rate == SR and song.channels == 1 and song.beats and song.loudness_lufs is not None
    assert len(song.sha256 or "") == 64 and "G" in json.loads(song.chords or "[]")
    broken = rows["broken.wav"]
    assert broken.status == "error" and broken.error and broken.tempo is None

    again = Recording()
    second = scan_folder(store, folder, real_root, runner=again)
    assert again.analysed == [] and (second.skipped, second.analysed) == (4, 0)

    # Touched (mtime changed, content the same): hashed, not analysed again. Changed: analysed.
    os.utime(root / "songs" / "pad.wav", (1_000_000, 1_000_000))
    (root / "songs" / "g_major_120.wav").write_bytes((root / "songs" / "g_major_110.wav").read_bytes())
    (root / "songs" / "broken.wav").unlink()
    third = scan_folder(store, folder, real_root, runner=Recording())
    assert (third.unchanged, third.analysed, third.skipped, third.removed) == (1, 1, 1, 1)
    assert store.count() == 3

    # Broken since: the row says why, and keeps nothing of the old analysis.
    (root / "songs" / "g_major_110.wav").write_bytes(b"\x00" * 100)
    fourth = scan_folder(store, folder, real_root, runner=Recording())
    assert (fourth.failed, fourth.skipped) == (1, 2)
    with store.session() as session:
        row = session.query(LibraryFile).filter(LibraryFile.path.endswith("g_major_110.wav")).one()
        assert row.status == "error" and row.error and row.tempo is None and row.key is None


def test_m4a_and_opus_files_are_scanned(tmp_path: Path) -> None:
    song = song_in_g_major(120.0, bars=4)[np.newaxis]
    clips = {
        "memo.m4a": encode(song, SR, container="ipod", codec="aac"),  # a phone's voice memo, decoded by FFmpeg
        "note.opus": encode(song, 48000, container="ogg", codec="libopus"),  # rate as given: a voice note's
        "clip.mp4": encode(song, SR, container="mp4", codec="aac"),  # a video file: sent, not scanned
    }
    store, root = _library_of(f"sqlite:///{tmp_path / 'library.sqlite'}", tmp_path, clips)
    try:
        folder, real_root = store.resolve_folder("songs")
        assert [p.name for p in list_audio(folder, real_root)] == ["broken.wav", "memo.m4a", "note.opus"]
        result = scan_folder(store, folder, real_root, runner=Recording())
        assert (result.analysed, result.failed) == (2, 1)
        with store.session() as session:
            rows = {Path(row.path).name: row for row in session.query(LibraryFile).all()}
        memo = rows["memo.m4a"]
        assert memo.status == "ok" and memo.format == "m4a" and memo.key == "G major"
        assert memo.tempo is not None and abs(memo.tempo - 120.0) < 3 and memo.sample_rate == SR
        assert rows["note.opus"].status == "ok" and rows["note.opus"].format == "opus"
    finally:
        store.close()


def test_a_scan_stopped_midway_redoes_only_unfinished_files(library: tuple[LibraryStore, Path]) -> None:
    store, _ = library
    folder, root = store.resolve_folder("songs")
    killed = Recording(stop_after=2)
    with pytest.raises(progress.Cancelled):
        scan_folder(store, folder, root, runner=killed)
    assert store.count() == 2  # both finished files were committed
    resumed = Recording()
    result = scan_folder(store, folder, root, runner=resumed)
    assert sorted(resumed.analysed + killed.analysed) == ["broken.wav", "g_major_110.wav", "g_major_120.wav", "pad.wav"]
    assert (result.skipped, result.analysed + result.failed) == (2, 2) and store.count() == 4


def test_rows_of_deleted_files_go_in_batches(
    library: tuple[LibraryStore, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One DELETE ... IN (...) per DELETE_BATCH rows: PostgreSQL takes at most 65,535 bind parameters in a
    statement, so a folder of more deleted files than that failed its rescan there."""
    from sqlalchemy import event

    from integration.library import scan as scan_module

    store, root = library
    folder, real_root = store.resolve_folder("songs")
    assert scan_folder(store, folder, real_root, runner=Recording()).files == 4
    deletes: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    monkeypatch.setattr(scan_module, "DELETE_BATCH", 3)
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        for path in (root / "songs").iterdir():
            path.unlink()
        result = scan_folder(store, folder, real_root, runner=Recording())
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert (result.files, result.removed) == (0, 4) and store.count() == 0
    assert len(deletes) == 2  # 3 rows, then 1


def test_a_scan_leaves_a_folder_differing_only_in_case_alone(library: tuple[LibraryStore, Path]) -> None:
    """Paths are case-sensitive: scanning songs/ must not take Songs/'s rows for files gone from songs/
    (SQLite's LIKE ignores ASCII case)."""
    store, root = library
    (root / "Songs").mkdir()
    (root / "Songs" / "pad.wav").write_bytes((root / "songs" / "pad.wav").read_bytes())
    upper, real_root = store.resolve_folder("Songs")
    assert scan_folder(store, upper, real_root, runner=Recording()).analysed == 1
    lower, _ = store.resolve_folder("songs")
    result = scan_folder(store, lower, real_root, runner=Recording())
    assert (result.files, result.removed) == (4, 0) and store.count() == 5


def test_a_file_whose_name_is_not_utf8_is_left_out_and_counted(library: tuple[LibraryStore, Path]) -> None:
    """A cp1252 name (a sample pack unzipped from an old Windows archive) reaches Python with a surrogate
    escape that neither the database nor the job's JSON can encode: it failed the whole scan with a 500
    at that file. It is left out, counted and logged; the other files are stored."""
    store, root = library
    folder, real_root = store.resolve_folder("songs")
    odd = os.fsdecode(bytes(folder) + b"/Caf\xe9 loop.wav")
    Path(odd).write_bytes((folder / "pad.wav").read_bytes())
    result = scan_folder(store, folder, real_root, runner=Recording())
    assert (result.files, result.analysed, result.failed, result.unreadable_names) == (4, 3, 1, 1)
    assert store.count() == 4
    assert ScanResult(folder="x", unreadable_names=1).to_dict()["unreadable_names"] == 1


def test_files_over_2_gib_fit_the_size_column(library: tuple[LibraryStore, Path]) -> None:
    """Long multichannel recordings pass 2 GiB: PostgreSQL's INTEGER stops at 2**31 - 1."""
    store, root = library
    folder, real_root = store.resolve_folder("songs")
    scan_folder(store, folder, real_root, runner=Recording())
    big = 6 * 2**30  # a 2-hour 8-channel 24-bit 48 kHz WAV is about 6 GiB
    with store.session() as session:
        row = session.scalars(select(LibraryFile).where(LibraryFile.path.endswith("pad.wav"))).one()
        row.size = big
        session.commit()
    assert store.get(row.id)["size"] == big
    rescan = scan_folder(store, folder, real_root, runner=Recording())  # the size differs: hashed again
    assert (rescan.unchanged, rescan.skipped) == (1, 3)


class InStep:
    """A runner whose scans take each file's answer (an error row, no analysis: fast) at the same moment
    as the other scan's, so their row writes of one file meet."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier = barrier

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        for task in tasks:
            self.barrier.wait(timeout=30)
            yield task, {"status": "error", "error": "not analysed in this test", "sha256": None}


def test_two_scans_of_one_database_at_once_both_finish(library_url: str, tmp_path: Path) -> None:
    """The service's scan job and `dawg-ai library scan` (its own engine) on one database: the second
    writer of a file's row failed with "database is locked" (SQLite, WAL: a read turned into a write after
    the other scan's commit), the job a 500, instead of waiting its turn."""
    folder = tmp_path / "root" / "loops"
    folder.mkdir(parents=True)
    for i in range(150):
        (folder / f"loop{i:03d}.wav").write_bytes(b"RIFF")
    stores = [LibraryStore(library_url, [tmp_path / "root"]) for _ in range(2)]  # two engines
    barrier = threading.Barrier(2)
    results: list[ScanResult] = []
    errors: list[BaseException] = []

    def scan(store: LibraryStore) -> None:
        try:
            real_folder, real_root = store.resolve_folder("loops")
            results.append(scan_folder(store, real_folder, real_root, runner=InStep(barrier)))
        except BaseException as exc:  # reported below, with the other scan's outcome
            barrier.abort()
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert [r.failed for r in results] == [150, 150]
        assert stores[0].count() == 150
    finally:
        for store in stores:
            store.close()


class Deleting:
    """Deletes the named files just before the scan reads them (a producer tidying up mid-scan)."""

    def __init__(self, *names: str) -> None:
        self.names = set(names)

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        for task in tasks:
            if Path(task.path).name in self.names:
                Path(task.path).unlink()
            yield task, analyse_file(task)


def test_a_file_deleted_during_a_scan_is_not_stored_as_a_failure(library: tuple[LibraryStore, Path]) -> None:
    """It was an error row "cannot read the file: No such file or directory", counted in failed."""
    store, root = library
    folder, real_root = store.resolve_folder("songs")
    first = scan_folder(store, folder, real_root, runner=Deleting("pad.wav"))
    assert (first.files, first.analysed, first.failed, first.vanished, first.removed) == (4, 2, 1, 1, 0)
    paths = {Path(row["path"]).name for row in search(store, LibraryQuery(include_errors=True))["items"]}
    assert paths == {"g_major_110.wav", "g_major_120.wav", "broken.wav"}

    # A stored file, changed and then deleted while the next scan runs: its old row goes too.
    os.utime(root / "songs" / "g_major_120.wav", (1_000_000, 1_000_000))
    second = scan_folder(store, folder, real_root, runner=Deleting("g_major_120.wav"))
    assert (second.files, second.skipped, second.vanished, second.removed, second.failed) == (3, 2, 1, 1, 0)
    assert store.count() == 2


@pytest.mark.parametrize("processes", [True, False], ids=["worker processes (default)", "threads"])
def test_the_dask_runner_scans_on_a_local_cluster(sqlite_library: tuple[LibraryStore, Path], processes: bool) -> None:
    store, _ = sqlite_library
    folder, root = store.resolve_folder("songs")
    runner = DaskRunner(threads=2, processes=processes)
    try:
        result = scan_folder(store, folder, root, runner=runner)
        assert (result.analysed, result.failed) == (3, 1)
        rescan = scan_folder(store, folder, root, runner=runner)  # the same client, nothing to do
        assert rescan.skipped == 4
    finally:
        runner.close()


# ---------------------------------------------------------------- searches


def _add(store: LibraryStore, rows: list[tuple[str, str | None, float | None, float, str]]) -> None:
    with store.session() as session:
        for name, key, tempo, loudness, meter in rows:
            session.add(
                LibraryFile(
                    path=f"/lib/{name}",
                    root="/lib",
                    size=1,
                    mtime=0.0,
                    status="ok",
                    key=key,
                    camelot=camelot(key) if key else None,
                    tempo=tempo,
                    loudness_lufs=loudness,
                    duration=10.0,
                    meter=meter,
                    analysed_at=datetime.now(UTC),
                )
            )
        session.commit()


@pytest.fixture
def filled(library_url: str, tmp_path: Path) -> Iterator[LibraryStore]:
    store = LibraryStore(library_url, [tmp_path])
    _add(
        store,
        [
            ("a_minor_120.wav", "A minor", 120.0, -10.0, "4/4"),
            ("c_major_60.wav", "C major", 60.0, -14.0, "4/4"),  # relative key, half time
            ("e_minor_125.wav", "E minor", 125.0, -8.0, "4/4"),  # a fifth up
            ("d_minor_240.wav", "D minor", 240.0, -20.0, "3/4"),  # a fifth down, double time
            ("f_sharp_minor_120.wav", "F# minor", 120.0, -9.0, "4/4"),  # not compatible
            ("no_key.wav", None, None, -30.0, "4/4"),
        ],
    )
    yield store
    store.close()


def _names(found: dict[str, object]) -> list[str]:
    items = found["items"]
    assert isinstance(items, list)
    return [Path(item["path"]).name for item in items]


def test_search_by_key_with_camelot_neighbours(filled: LibraryStore) -> None:
    found = search(filled, LibraryQuery(key="8A"))
    assert found["camelot"] == "8A" and found["total"] == 4
    assert _names(found)[:2] == ["a_minor_120.wav", "c_major_60.wav"]  # exact first, then the relative
    assert {item["key_match"] for item in found["items"]} == {"exact", "relative", "neighbour"}
    strict = search(filled, LibraryQuery(key="Am", compatible=False))
    assert _names(strict) == ["a_minor_120.wav"]


def test_keys_stored_in_the_old_spelling_are_found_and_answered_by_their_name(library_url: str, tmp_path: Path) -> None:
    """Rows scanned before keys were spelt by their signature say "C# major" and "Ab minor"."""
    store = LibraryStore(library_url, [tmp_path])
    _add(
        store,
        [
            ("old_db.wav", "C# major", 100.0, -10.0, "4/4"),
            ("new_db.wav", "Db major", 100.0, -10.0, "4/4"),
            ("old_g_sharp_minor.wav", "Ab minor", 100.0, -10.0, "4/4"),  # Db major's neighbour's relative: no
            ("bb_minor.wav", "Bb minor", 100.0, -10.0, "4/4"),  # Db major's relative
        ],
    )
    try:
        for asked in ("Db", "C# major", "3B"):
            found = search(store, LibraryQuery(key=asked, compatible=False))
            assert sorted(_names(found)) == ["new_db.wav", "old_db.wav"], asked
            assert {item["key"] for item in found["items"]} == {"Db major"}
            assert {item["key_match"] for item in found["items"]} == {"exact"}
        wheel = search(store, LibraryQuery(key="Db major"))
        assert _names(wheel)[:2] in (["new_db.wav", "old_db.wav"], ["old_db.wav", "new_db.wav"])
        assert _names(wheel)[2:] == ["bb_minor.wav"]
        minor = search(store, LibraryQuery(key="G#m", compatible=False))
        assert _names(minor) == ["old_g_sharp_minor.wav"] and minor["items"][0]["key"] == "G# minor"
    finally:
        store.close()


def test_search_by_tempo_with_half_and_double_time(filled: LibraryStore) -> None:
    found = search(filled, LibraryQuery(tempo_min=115, tempo_max=125))
    assert _names(found) == [
        "a_minor_120.wav",
        "c_major_60.wav",
        "d_minor_240.wav",
        "f_sharp_minor_120.wav",
        "e_minor_125.wav",
    ]
    assert [item["tempo_factor"] for item in found["items"]][:3] == [1.0, 2.0, 0.5]
    plain = search(filled, LibraryQuery(tempo_min=115, tempo_max=125, half_double=False))
    assert set(_names(plain)) == {"a_minor_120.wav", "e_minor_125.wav", "f_sharp_minor_120.wav"}
    both = search(filled, LibraryQuery(key="Am", tempo=120, meter="4/4", loudness_max=-9))
    assert _names(both) == ["a_minor_120.wav", "c_major_60.wav"]


def test_search_filters_text_and_pages(filled: LibraryStore) -> None:
    assert _names(search(filled, LibraryQuery(q="MINOR_12"))) == [
        "a_minor_120.wav",
        "e_minor_125.wav",
        "f_sharp_minor_120.wav",
    ]
    assert _names(search(filled, LibraryQuery(q="%"))) == []  # LIKE wildcards are plain text
    first = search(filled, LibraryQuery(page=1, page_size=4))
    second = search(filled, LibraryQuery(page=2, page_size=4))
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (6, 2, 4, 2)
    assert not set(_names(first)) & set(_names(second))


# ---------------------------------------------------------------- a Dask cluster of separate processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker``, each its own process, as on a real cluster."""
    repo = Path(__file__).resolve().parents[2]
    dask_cli = Path(sys.executable).parent / "dask"
    env = {**os.environ, "PYTHONPATH": str(repo)}
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path_factory.mktemp("dask")
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                 "--no-dashboard"],
                env=env, cwd=repo, stdout=(logs / "scheduler.log").open("wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        started.append(
            subprocess.Popen(
                [str(dask_cli), "worker", address, "--nthreads", "2", "--no-nanny", "--no-dashboard"],
                env=env, cwd=repo, stdout=(logs / "worker.log").open("wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        yield address
    finally:
        for process in reversed(started):  # no nanny: each is one process, nothing left behind
            process.kill()
            process.wait(timeout=10)


def test_a_scan_runs_on_a_dask_clusters_workers(sqlite_library: tuple[LibraryStore, Path], dask_cluster: str) -> None:
    store, _ = sqlite_library
    folder, root = store.resolve_folder("songs")
    runner = DaskRunner(scheduler=dask_cluster)
    try:
        client = runner.client()
        client.wait_for_workers(1, timeout=60)
        workers = client.scheduler_info()["workers"]
        assert workers and all(os.getpid() != info.get("pid") for info in workers.values())
        result = scan_folder(store, folder, root, runner=runner)
        assert (result.analysed, result.failed) == (3, 1)
        with store.session() as session:
            keys = {Path(row.path).name: row.key for row in session.query(LibraryFile).all()}
        assert keys["g_major_110.wav"] == "G major"
    finally:
        runner.close()
