"""Library scans: every audio file under a folder analysed once, its row committed as it finishes.

A scan lists the folder, skips files whose size and mtime match their stored row (ok or error: an
unreadable file stays unreadable until it changes), and hands the others to a runner: Dask
(``DaskRunner``: an in-process LocalCluster, or a remote scheduler's workers) or the calling
thread (``SequentialRunner``). A worker hashes the file first: when the hash matches the stored
row's, only size and mtime are updated (a touched or copied-back file is not analysed again).
Each result is committed on its own, as it arrives, so a scan killed midway and run again redoes
only the files that had not finished. Rows of files gone from the folder are deleted, and so is a
file deleted while the scan runs: it is counted as ``vanished``, not stored as a failure. A file that
another scan of the same engine is analysing (a folder scanned while a scan of its subfolder runs) is left
to it and counted as ``covered``. Row writes
take the database's write lock before they read (:meth:`LibraryStore.write_session`), so two scans of
one database (two jobs, or the service and ``dawg-ai library scan``) take turns.

:func:`analyse_file` is what workers run: a plain function of plain values (importable by a
remote worker, its answer picklable). Remote workers must see the same paths (a shared disk).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai import progress
from ai.analysis.pipeline import analyze
from ai.audio.decode import decode_audio
from ai.audio.formats import AUDIO_FILE_EXTENSIONS
from ai.music_keys import camelot
from integration.library.models import LibraryFile
from integration.library.store import LibraryStore
from utils.errors import EngineError
from utils.paths import resolve_path

logger = logging.getLogger(__name__)

HASH_BLOCK = 1 << 20
WAIT_POLL_S = 0.2  # how often a scan waiting on Dask checks whether its job was cancelled
CHORDS_KEPT = 12
LOCAL_CLUSTER_CONFIG = {
    # Set in each worker process before it starts. One BLAS thread: one worker per core already fills
    # the cores. Dask's default list also sets MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
    # adaptive mmap threshold (every array over 128 KB is mapped and zeroed anew): 2 worker processes
    # analysed 24.7 files/s with it, 42.2 without (bench/library.py scan --files 1000).
    "distributed.nanny.pre-spawn-environ": {"OPENBLAS_NUM_THREADS": 1, "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1},
    "distributed.worker.profile.enabled": False,  # a stack sample every 10 ms, for a dashboard a scan has not got
}
ANALYSIS_COLUMNS = (
    "duration",
    "format",
    "sample_rate",
    "channels",
    "tempo",
    "meter",
    "key",
    "key_confidence",
    "camelot",
    "loudness_lufs",
    "beats",
    "chords",
)


@dataclass(frozen=True)
class FileTask:
    path: str
    known_sha256: str | None  # the stored ok row's hash: equal -> the file is unchanged
    max_duration_s: float | None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _chords_summary(chords: list[dict[str, Any]]) -> str:
    """The chord labels by total duration, longest first (JSON list), e.g. '["G", "C", "D"]'."""
    held: dict[str, float] = {}  # seconds each label sounds
    for chord in chords:
        label = str(chord.get("label", ""))
        if label and label != "N":
            held[label] = held.get(label, 0.0) + float(chord.get("end", 0.0)) - float(chord.get("start", 0.0))
    return json.dumps(sorted(held, key=lambda label: -held[label])[:CHORDS_KEPT])


def analyse_file(task: FileTask) -> dict[str, Any]:
    """Hash, decode and analyse one file -> the row's fields (``status`` ok or error with ``error``),
    or ``{"unchanged": True}`` when its hash equals ``task.known_sha256``, or ``{"gone": True}`` when
    the file was deleted since it was listed. Never raises for a bad file: the reason is the answer."""
    path = Path(task.path)
    try:
        sha = sha256_of(path)
    except FileNotFoundError:
        return {"gone": True}
    except OSError as exc:
        return {"status": "error", "error": f"cannot read the file: {exc.strerror or exc}", "sha256": None}
    if task.known_sha256 is not None and sha == task.known_sha256:
        return {"unchanged": True, "sha256": sha}
    fields: dict[str, Any] = {"sha256": sha, "format": path.suffix.lower().lstrip(".")}
    try:
        audio = decode_audio(path, name=path.name, max_duration_s=task.max_duration_s)
        result = analyze(audio)
    except progress.Cancelled:
        raise
    except EngineError as exc:  # not audio, corrupt, too long: what the single-file endpoint would answer
        return {**fields, "status": "error", "error": exc.detail}
    except (OSError, ValueError, MemoryError) as exc:
        return {**fields, "status": "error", "error": f"{type(exc).__name__}: {exc}"}
    return {
        **fields,
        "status": "ok",
        "error": None,
        "duration": round(result.duration, 3),
        "sample_rate": result.sample_rate,
        "channels": result.channels,
        "tempo": result.tempo,
        "meter": result.time_signature,
        "key": result.key,
        "key_confidence": result.key_confidence,
        "camelot": camelot(result.key) if result.key else None,
        "loudness_lufs": result.loudness_lufs,
        "beats": result.beats,
        "chords": _chords_summary(result.chords),
    }


Outcome = tuple[FileTask, dict[str, Any]]


class Runner(Protocol):
    """Runs analyse_file over tasks and yields (task, answer) as each finishes (any order)."""

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]: ...


class SequentialRunner:
    """In the calling thread, one file after another. Inside a file the analysis' reports are
    cancellation checks only (the scan reports files, not analysis stages)."""

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        for task in tasks:
            yield task, progress.bind(analyse_file)(task)


def _distributed() -> Any:
    """The distributed package, imported on the first scan (it is heavy; untyped, so held as Any)."""
    return importlib.import_module("distributed")


def _dask_config() -> Any:
    """The dask package's config (imported with distributed, on the first scan)."""
    return importlib.import_module("dask").config


class DaskRunner:
    """On Dask: a remote scheduler's workers (``scheduler`` = tcp://host:8786), or a LocalCluster
    sized to the machine: by default one single-threaded worker process per core (``processes``),
    else threads in this process (no extra memory, but the analysis holds the GIL most of the time,
    so threads run no faster than one loop). The client is created on first use and kept until
    :meth:`close`."""

    def __init__(self, scheduler: str | None = None, threads: int | None = None, *, processes: bool = True) -> None:
        self.scheduler = scheduler
        self.threads = threads or os.cpu_count() or 1
        self.processes = processes  # True: ``threads`` worker processes of one thread each (no shared GIL)
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                distributed = _distributed()
                if self.scheduler:
                    self._client = distributed.Client(self.scheduler, timeout="10s")
                else:
                    with _dask_config().set(LOCAL_CLUSTER_CONFIG):  # read as the workers start
                        self._cluster = distributed.LocalCluster(
                            n_workers=self.threads if self.processes else 1,
                            threads_per_worker=1 if self.processes else self.threads,
                            processes=self.processes,
                            dashboard_address=None,
                        )
                    self._client = distributed.Client(self._cluster)
            return self._client

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        if not tasks:
            return
        client = self.client()
        # pure=False: a file's task must run again on a rescan even when its path is the same.
        futures = client.map(analyse_file, list(tasks), pure=False)
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        try:
            completed = _distributed().as_completed(futures)
            while not completed.is_empty():
                batch = completed.next_batch(block=False)
                if not batch:
                    progress.check()  # a cancelled job stops waiting here
                    time.sleep(WAIT_POLL_S)
                    continue
                for future in batch:
                    yield by_key[future.key], future.result()
        finally:
            client.cancel([future for future in futures if not future.done()])

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None


def text_path(path: Path) -> bool:
    """Whether ``path`` can be stored (and answered) as text: a name that is not UTF-8 (a sample pack
    unzipped from an old Windows archive, its names in cp1252) reaches Python with surrogate escapes,
    which neither the database nor JSON can encode."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def list_audio(folder: Path, root: Path, *, untextual: list[Path] | None = None) -> list[Path]:
    """Audio files under ``folder`` (recursively, sorted), hidden ones and links leading out of
    ``root`` left out. Files whose path is not UTF-8 (:func:`text_path`) are left out too, and
    appended to ``untextual`` when it is given."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in AUDIO_FILE_EXTENSIONS:
                continue
            path = Path(dirpath) / name
            if not text_path(path):
                if untextual is not None:
                    untextual.append(path)
                continue
            try:
                real = resolve_path(path, strict=True)
            except OSError:
                continue
            if (real == root or real.is_relative_to(root)) and real.is_file():
                found.append(path)
    return sorted(found)


@dataclass
class ScanResult:
    folder: str
    files: int = 0
    analysed: int = 0
    skipped: int = 0  # size and mtime unchanged
    unchanged: int = 0  # size or mtime changed, content (hash) the same
    failed: int = 0
    removed: int = 0
    vanished: int = 0  # listed, then deleted before it was read: no row kept
    covered: int = 0  # being analysed by another scan of this engine (a subfolder's), which stores it
    unreadable_names: int = 0  # audio files whose path is not UTF-8: no row can hold it, left out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Claims:
    """The files one engine's scans are analysing now: a folder scanned while a scan of its subfolder runs
    leaves the subfolder's files to that scan instead of analysing them a second time. A claim of a
    scan whose job was cancelled is free to take (the cancelled scan may still be winding down)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, Callable[[], bool]] = {}  # path -> its scan's "was my job cancelled?"

    def claim(self, paths: Sequence[str], cancelled: Callable[[], bool]) -> set[str]:
        """Those of ``paths`` no live scan holds, now held by the caller (``cancelled``: its job's probe)."""
        with self._lock:
            free = {path for path in paths if (owner := self._owners.get(path)) is None or owner()}
            for path in free:
                self._owners[path] = cancelled
            return free

    def release(self, paths: set[str], cancelled: Callable[[], bool]) -> None:
        """Let go of those of ``paths`` the caller still holds (another scan may have taken some over)."""
        with self._lock:
            for path in paths:
                if self._owners.get(path) is cancelled:
                    del self._owners[path]


_CLAIMS: weakref.WeakKeyDictionary[LibraryStore, _Claims] = weakref.WeakKeyDictionary()
_CLAIMS_LOCK = threading.Lock()


def _claims_of(store: LibraryStore) -> _Claims:
    """The claims of the scans of ``store`` (one engine's database) in this process. Another engine's scans
    of the same database (``dawg-ai library scan`` beside the service) take turns file by file instead."""
    with _CLAIMS_LOCK:
        claims = _CLAIMS.get(store)
        if claims is None:
            claims = _CLAIMS[store] = _Claims()
        return claims


def _write(store: LibraryStore, root: Path, path: Path, stat: os.stat_result, answer: dict[str, Any]) -> None:
    """Insert or update the file's row and commit it (one file, one transaction). Another scan that
    inserted the same path first (PostgreSQL: its row appears after this one looked) makes this an
    update of that row."""
    try:
        _write_row(store, root, path, stat, answer)
    except IntegrityError:
        _write_row(store, root, path, stat, answer)


def _write_row(store: LibraryStore, root: Path, path: Path, stat: os.stat_result, answer: dict[str, Any]) -> None:
    with store.write_session() as session:
        row = session.scalars(select(LibraryFile).where(LibraryFile.path == str(path))).one_or_none()
        now = datetime.now(UTC)
        if row is None:
            row = LibraryFile(path=str(path), root=str(root), analysed_at=now)
            session.add(row)
        row.size, row.mtime = stat.st_size, stat.st_mtime
        if not answer.get("unchanged"):
            for name in ANALYSIS_COLUMNS:  # an error row keeps no stale analysis of an older version
                setattr(row, name, answer.get(name))
            row.sha256, row.status, row.error = answer.get("sha256"), answer["status"], answer.get("error")
            row.analysed_at = now
        session.commit()


def _forget(store: LibraryStore, paths: Sequence[str]) -> int:
    """Delete the rows of ``paths`` (files deleted from disk); how many there were."""
    if not paths:
        return 0
    with store.write_session() as session:
        removed = _delete_in_batches(session, LibraryFile.path, list(paths))
        session.commit()
    return removed


DELETE_BATCH = 10_000
"""Rows deleted per statement: ``IN (...)`` sends one bind parameter per value, and PostgreSQL takes at most
65,535 in a statement (a folder of 70,000 deleted files failed there; SQLite allows 250,000)."""


def _delete_in_batches(session: Session, column: Any, values: list[Any]) -> int:
    """Delete the rows whose ``column`` is in ``values``, DELETE_BATCH at a time; how many there were."""
    removed = 0
    for start in range(0, len(values), DELETE_BATCH):
        result = session.execute(delete(LibraryFile).where(column.in_(values[start : start + DELETE_BATCH])))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def scan_folder(
    store: LibraryStore,
    folder: Path,
    root: Path,
    *,
    runner: Runner,
    max_duration_s: float | None = None,
    on_file: Callable[[str], None] | None = None,
) -> ScanResult:
    """Scan ``folder`` (inside ``root``; both resolved): see the module's docstring. Reports progress
    (files done/total, errors so far, the last file) to the job it runs in; raises Cancelled
    between files once the job is cancelled (every finished file is already committed)."""
    result = ScanResult(folder=str(folder))
    untextual: list[Path] = []
    files = list_audio(folder, root, untextual=untextual)
    result.files = len(files)
    result.unreadable_names = len(untextual)
    for path in untextual:  # ascii(): the log line itself must not fail on the name
        logger.warning("library: %s left out: its name is not UTF-8 (rename it to scan it)", ascii(str(path)))
    prefix = str(folder).rstrip(os.sep) + os.sep
    with store.session() as session:
        stored = {
            row.path: row
            for row in session.scalars(
                select(LibraryFile).where(LibraryFile.path.startswith(prefix, autoescape=True))
            ).all()
            if row.path.startswith(prefix)  # SQLite's LIKE ignores ASCII case: Songs/ is not songs/
        }
    present = {str(path) for path in files}
    gone = [row.id for path, row in stored.items() if path not in present]
    if gone:
        with store.write_session() as session:
            _delete_in_batches(session, LibraryFile.id, gone)
            session.commit()
        result.removed = len(gone)

    stats: dict[str, os.stat_result] = {}
    tasks: list[FileTask] = []
    vanished: list[str] = []
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:  # deleted between the listing and now
            vanished.append(str(path))
            continue
        except OSError:  # cannot be looked at now (permissions): left as it is for the next scan
            continue
        row = stored.get(str(path))
        if row is not None and row.size == stat.st_size and row.mtime == stat.st_mtime:
            result.skipped += 1
            continue
        stats[str(path)] = stat
        known = row.sha256 if row is not None and row.status == "ok" else None
        tasks.append(FileTask(str(path), known, max_duration_s))

    result.vanished = len(vanished)
    result.removed += _forget(store, [path for path in vanished if path in stored])

    cancelled = progress.cancellation_probe()
    claims = _claims_of(store)
    mine = claims.claim([task.path for task in tasks], cancelled)
    result.covered = len(tasks) - len(mine)
    tasks = [task for task in tasks if task.path in mine]
    try:
        _analyse(store, root, tasks, stats, result, runner=runner, on_file=on_file)
    finally:
        claims.release(mine, cancelled)
    return result


def _analyse(
    store: LibraryStore,
    root: Path,
    tasks: list[FileTask],
    stats: dict[str, os.stat_result],
    result: ScanResult,
    *,
    runner: Runner,
    on_file: Callable[[str], None] | None,
) -> None:
    """Run ``tasks`` on ``runner``, committing each file's row as its answer comes."""
    total = len(tasks)
    covered = f", {result.covered} being analysed by another scan" if result.covered else ""
    progress.report(0.0, f"0/{total} files to analyse ({result.skipped} unchanged skipped{covered})")
    for done, (task, answer) in enumerate(runner.run(tasks), start=1):
        path = Path(task.path)
        if answer.get("gone"):  # deleted while the scan ran: no row (an old one goes)
            result.vanished += 1
            result.removed += _forget(store, [task.path])
        else:
            _write(store, root, path, stats[task.path], answer)
            if answer.get("unchanged"):
                result.unchanged += 1
            elif answer.get("status") == "ok":
                result.analysed += 1
            else:
                result.failed += 1
                logger.info("library: %s not analysed: %s", path, answer.get("error"))
        if on_file is not None:
            on_file(task.path)
        progress.report(done / total, f"{done}/{total} files, {result.failed} errors, last: {path.name}")


__all__ = [
    "DaskRunner",
    "FileTask",
    "Runner",
    "ScanResult",
    "SequentialRunner",
    "analyse_file",
    "list_audio",
    "scan_folder",
]
