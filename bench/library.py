#!/usr/bin/env python3
"""Library bench: scan throughput (sequential vs Dask LocalCluster), kill-and-restart, query latency.

``scan``: N synthetic songs of 5-30 s (chords in a random key over a kick at a random tempo, WAV)
are scanned into a fresh SQLite library, each mode in its own subprocess (so each peak RSS is its
own): sequentially as the engine's process runs it, sequentially with OPENBLAS_NUM_THREADS=1 (the
best plain loop), on Dask's LocalCluster of single-threaded worker processes (the default), the same
with Dask's own worker environment (MALLOC_TRIM_THRESHOLD_ set, which the engine leaves out), and on a
LocalCluster of threads in the process. The files are split into --rounds parts and the modes take
turns part by part, so the machine's other jobs, coming and going, weigh on every mode alike. Each
scanning process is started and warmed (one file, on every worker) before the clock starts, as the
engine's analysis and cluster are after start-up and a first scan. Printed: files/s, seconds per
file, peak RSS (the scanning process; with worker processes also the largest one and the largest sum
of all, sampled every 0.1 s), and the single-file cost (decode + analyze of one file, as
/analyze/audio does, median of the first 10 files). Then the kill test: a sequential scan in a
subprocess is SIGKILLed once some rows are committed, and the scan is run again: no file committed
before the kill may be analysed again, and the library must end with one row per file.

``query``: a library of 100,000 rows (random keys, tempos, loudness, durations, meters, paths) is
written to SQLite, then 200 searches of each shape are timed (key with compatible keys, tempo range
with half/double time, both with loudness and meter, path text, a deep page); p50 and p95 per shape.
With ``--url`` the rows go into that database instead (it must have no library yet, e.g. an empty
PostgreSQL database: ``postgresql+psycopg://user@/dbname?host=/run/postgresql``; scripts/ci_postgres.sh
starts a throwaway server): there the table is ANALYZEd after the insert, as PostgreSQL's autovacuum
does after a scan of that size, and dropped at the end.

Usage: bench/library.py scan [--files 100] [--workers 2] [--rounds 4]
       bench/library.py query [--rows 100000] [--runs 200] [--url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import soundfile as sf
from sqlalchemy import insert, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402
from ai.music_keys import camelot, key_name  # noqa: E402
from ai.note_spelling import PLAIN_NAMES as TONICS  # noqa: E402
from integration.library import scan as scan_module  # noqa: E402
from integration.library.models import LibraryFile  # noqa: E402
from integration.library.scan import (  # noqa: E402
    DaskRunner,
    FileTask,
    Outcome,
    Runner,
    SequentialRunner,
    analyse_file,
    list_audio,
    scan_folder,
)
from integration.library.search import LibraryQuery, search  # noqa: E402
from integration.library.store import LibraryStore  # noqa: E402

SR = 44100
MAJOR = (0, 4, 7)
MINOR = (0, 3, 7)


def _tone(midi: list[int], seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    out = np.zeros_like(t)
    for note in midi:
        f = 440.0 * 2 ** ((note - 69) / 12)
        for h in range(1, 4):
            out += np.sin(2 * np.pi * f * h * t) / h
    return out


def synthetic_song(rng: random.Random) -> np.ndarray:
    """5-30 s: I-IV-V-I (or i-iv-v-i) in a random key, one chord per bar, a kick on every beat."""
    bpm = rng.uniform(70, 170)
    seconds = rng.uniform(5, 30)
    tonic = 48 + rng.randrange(12)
    minor = rng.random() < 0.5
    triad = MINOR if minor else MAJOR
    beat = 60.0 / bpm
    bars = max(1, int(seconds / (4 * beat)) + 1)
    degrees = (0, 5, 7, 0)
    parts = [_tone([tonic + degrees[b % 4] + i for i in triad], 4 * beat) for b in range(bars)]
    y = 0.08 * np.concatenate(parts)[: int(seconds * SR)]
    t = np.arange(int(0.12 * SR)) / SR
    kick = np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30)
    for i in range(int(seconds / beat)):
        start = int(i * beat * SR)
        end = min(len(y), start + len(kick))
        y[start:end] += (0.9 if i % 4 == 0 else 0.5) * kick[: end - start]
    return y.astype(np.float32)


def make_files(folder: Path, count: int, seed: int = 7, parts: int = 1) -> list[Path]:
    """``count`` songs in ``folder``, or dealt into ``parts`` sub-folders part_0, part_1, ..."""
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = (folder if parts == 1 else folder / f"part_{n % parts}") / f"song_{n:04d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            sf.write(path, synthetic_song(rng), SR, subtype="PCM_16")
        paths.append(path)
    return paths


class Recording:
    """Records each file analysed (written to ``log`` as it finishes, so a killed run leaves it)."""

    def __init__(self, inner: Runner, log: Path | None) -> None:
        self.inner, self.log = inner, log
        self.analysed: list[str] = []

    def run(self, tasks: Sequence[FileTask]) -> Iterator[Outcome]:
        for task, answer in self.inner.run(tasks):
            self.analysed.append(task.path)
            if self.log is not None:
                with self.log.open("a") as handle:
                    handle.write(task.path + "\n")
            yield task, answer


MODES = {  # name: (runner, environment of the scanning process)
    "sequential": ("sequential", {}),
    "sequential, 1 BLAS thread": ("sequential", {"OPENBLAS_NUM_THREADS": "1"}),
    "dask processes (default)": ("dask-processes", {}),
    "dask processes, dask's env": ("dask-processes-dask-env", {}),
    "dask threads": ("dask-threads", {}),
}
RSS_SAMPLE_S = 0.1


class TreeRss:
    """The largest RSS of this process plus all its descendants (worker processes), sampled."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(RSS_SAMPLE_S):
            total = 0
            for process in (me, *me.children(recursive=True)):
                with contextlib.suppress(psutil.Error):  # a process that ended between the listing and the reading
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def child_scan(folder: Path, db: Path, mode: str, workers: int, log: Path | None) -> None:
    """One scan in this process; prints a JSON line of its figures."""
    store = LibraryStore(f"sqlite:///{db}", [folder])
    if mode == "dask-processes-dask-env":
        scan_module.LOCAL_CLUSTER_CONFIG = {}  # Dask's defaults, pre-spawn environment included
    inner: Runner = (
        SequentialRunner()
        if mode == "sequential"
        else DaskRunner(threads=workers, processes=mode.startswith("dask-processes"))
    )
    tree = TreeRss()
    # Start-up is not part of the scan's time: the engine warms the analysis at start-up and keeps its
    # cluster between scans. Its workers are warmed here by one file each (imports, numba caches).
    begin = time.perf_counter()
    warm = [FileTask(str(path), None, None) for path in list_audio(folder, folder)[:1]]
    if isinstance(inner, DaskRunner):
        client = inner.client()
        if warm and inner.processes:
            client.run(analyse_file, warm[0])
    for task in warm:
        analyse_file(task)
    warm_s = time.perf_counter() - begin
    runner = Recording(inner, log)
    start = time.perf_counter()
    result = scan_folder(store, folder.resolve(), folder.resolve(), runner=runner)
    elapsed = time.perf_counter() - start
    tree_mb = tree.stop() / 2**20
    if isinstance(inner, DaskRunner):
        inner.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker process
    figures = {"mode": mode, "seconds": elapsed, "warm_s": warm_s, "peak_rss_mb": peak_mb, "worker_rss_mb": worker_mb}
    print(json.dumps({**figures, "tree_rss_mb": tree_mb, **result.to_dict()}))


def _run_child(
    folder: Path, db: Path, mode: str, workers: int, log: Path | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    command = [sys.executable, __file__, "child", str(folder), str(db), mode, str(workers), str(log or "")]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


def single_file_cost(paths: list[Path]) -> float:
    times = []
    for path in paths[:10]:
        start = time.perf_counter()
        analyze(decode_audio(path, name=path.name))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_scan(files: int, workers: int, rounds: int) -> None:
    """Each mode scans the files in ``rounds`` parts, the modes taking turns part by part, so that a
    change of the machine's load (other jobs) falls on every mode alike."""
    with tempfile.TemporaryDirectory(prefix="dawg-library-bench-") as tmp:
        folder = Path(tmp) / "songs"
        paths = make_files(folder, files, parts=rounds)
        total_audio = sum(sf.info(p).duration for p in paths)
        print(f"{files} files, {total_audio / 60:.1f} min of audio ({total_audio / files:.1f} s each on average)")
        single_file_cost(paths[:2])  # warm the numba caches before timing anything
        per_file = single_file_cost(paths)
        print(f"single file (decode + analyze, as /analyze/audio): median {per_file:.3f} s")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in MODES}
        for part in range(rounds):
            scanned = folder if rounds == 1 else folder / f"part_{part}"
            for n, (name, (mode, env)) in enumerate(MODES.items()):
                runs[name].append(_run_child(scanned, Path(tmp) / f"{n}.sqlite", mode, workers, env=env))
        for name, (mode, _) in MODES.items():
            analysed = sum(run["analysed"] for run in runs[name])
            seconds = sum(run["seconds"] for run in runs[name])
            peak = {key: max(run[key] for run in runs[name]) for key in ("peak_rss_mb", "worker_rss_mb", "tree_rss_mb")}
            print(
                f"{name:>26}: {analysed} analysed in {seconds:.1f} s = {analysed / seconds:.2f} files/s, "
                f"{seconds / max(1, analysed):.3f} s/file "
                f"({seconds / max(1, analysed) / per_file:.2f}x the single-file cost), "
                f"peak RSS {peak['peak_rss_mb']:.0f} MB"
                + (
                    f" + each worker process up to {peak['worker_rss_mb']:.0f} MB "
                    f"(all together at most {peak['tree_rss_mb']:.0f} MB)"
                    if mode.startswith("dask-processes")
                    else ""
                )
                + f"; start-up and warm-up {statistics.median(run['warm_s'] for run in runs[name]):.1f} s (not timed)"
            )
        kill_and_restart(folder, Path(tmp), max(3, files // 3))


def kill_and_restart(folder: Path, tmp: Path, kill_after: int) -> None:
    db, log = tmp / "killed.sqlite", tmp / "killed.log"
    command = [sys.executable, __file__, "child", str(folder), str(db), "sequential", "1", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and (not log.exists() or len(log.read_text().splitlines()) < kill_after):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = LibraryStore(f"sqlite:///{db}", [folder])
    with store.session() as session:
        committed = {row.path for row in session.query(LibraryFile).all()}
    log2 = tmp / "resumed.log"
    figures = _run_child(folder, db, "sequential", 1, log2)
    redone = committed & set(log2.read_text().splitlines() if log2.exists() else [])
    rows = store.count()
    print(
        f"kill mid-scan: killed with {len(committed)} rows committed; the rerun skipped {figures['skipped']}, "
        f"analysed {figures['analysed']}, re-analysed {len(redone)} finished files; rows {rows}/{figures['files']} "
        f"-> {'OK' if not redone and rows == figures['files'] else 'FAIL'}"
    )


def bench_query(rows: int, runs: int, url: str | None) -> None:
    rng = random.Random(3)
    meters = ("4/4", "4/4", "4/4", "3/4", "6/8")
    with tempfile.TemporaryDirectory(prefix="dawg-library-query-") as tmp:
        store = LibraryStore(url or f"sqlite:///{Path(tmp) / 'library.sqlite'}", [Path(tmp)])
        if store.count():
            sys.exit(f"{store.engine.url!r} already holds a library: give an empty database")
        print(f"database: {store.engine.dialect.name} {store.engine.dialect.server_version_info or ''}")
        start = time.perf_counter()
        now = datetime.now(UTC)
        with store.session() as session:
            batch = []
            for n in range(rows):
                key = key_name(rng.randrange(12), rng.random() < 0.5)
                batch.append(
                    {
                        "path": f"/music/artist_{n % 997}/album_{n % 89}/track_{n:06d}.flac",
                        "root": "/music",
                        "size": rng.randrange(1, 50_000_000),
                        "mtime": 1.7e9,
                        "sha256": f"{n:064x}",
                        "status": "ok" if rng.random() > 0.01 else "error",
                        "duration": rng.uniform(5, 600),
                        "format": "flac",
                        "sample_rate": 44100,
                        "channels": 2,
                        "tempo": rng.uniform(60, 180),
                        "meter": rng.choice(meters),
                        "key": key,
                        "key_confidence": rng.random(),
                        "camelot": camelot(key),
                        "loudness_lufs": rng.uniform(-30, -5),
                        "beats": rng.randrange(10, 1500),
                        "chords": "[]",
                        "analysed_at": now,
                    }
                )
            session.execute(insert(LibraryFile), batch)
            session.commit()
        if url:
            with store.engine.begin() as connection:
                connection.execute(text("ANALYZE library_files"))
        print(f"{rows} rows inserted in {time.perf_counter() - start:.1f} s")
        shapes: dict[str, Callable[[], LibraryQuery]] = {
            "key, compatible": lambda: LibraryQuery(key=TONICS[rng.randrange(12)] + rng.choice(("", "m"))),
            "tempo range, half/double": lambda: LibraryQuery(tempo_min=(t := rng.uniform(70, 160)), tempo_max=t + 6),
            "key + tempo + loudness + meter": lambda: LibraryQuery(
                key=TONICS[rng.randrange(12)], tempo=rng.uniform(70, 160), loudness_min=-16, meter="4/4"
            ),
            "path text": lambda: LibraryQuery(q=f"artist_{rng.randrange(997)}/"),
            "no filter, page 100": lambda: LibraryQuery(page=100, page_size=50),
        }
        for name, make in shapes.items():
            times = []
            for _ in range(runs):
                query = make()
                begin = time.perf_counter()
                search(store, query)
                times.append((time.perf_counter() - begin) * 1000)
            times.sort()
            p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95) - 1]
            print(f"{name:>32}: p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
        if url:  # leave the database as it was given
            with store.engine.begin() as connection:
                connection.execute(text("DROP TABLE library_files"))
                connection.execute(text("DROP TABLE alembic_version"))
        store.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        folder, db, mode, workers, log = sys.argv[2:7]
        child_scan(Path(folder), Path(db), mode, int(workers), Path(log) if log else None)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan")
    scan.add_argument("--files", type=int, default=100)
    scan.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    scan.add_argument("--rounds", type=int, default=4, help="parts the modes take turns on (see bench_scan)")
    query = sub.add_parser("query")
    query.add_argument("--rows", type=int, default=100_000)
    query.add_argument("--runs", type=int, default=200)
    query.add_argument("--url", help="an empty database to fill instead of a temporary SQLite file")
    args = parser.parse_args()
    if args.command == "scan":
        bench_scan(args.files, args.workers, args.rounds)
    else:
        bench_query(args.rows, args.runs, args.url)


if __name__ == "__main__":
    main()
