"""/health while the projects folder is read: QA pass 6's E1 (a 10.5k-file folder stalled /health 0.33-0.36 s on
each read).

    nice -n 10 .venv/bin/python bench/projects_scan.py [--projects 300] [--rounds 3]

Builds a temporary projects folder of ``--projects`` projects, each ``<id>/project.json`` (a manifest, Live Band's
seven tracks) beside four files that are no manifest (notes.txt, cover.png, mixdown.wav, settings.json) and a
``stems/`` folder of 30 small audio files (the seven tracks in WAV and FLAC, older takes, extras): 35 files a
project, 10,500 for 300. Starts ``python main.py`` on a free port with that folder (bench/engine_server.py), then,
while a thread asks GET /health every 20 ms, reads the folder ``--rounds`` times each way it is read:

- ``list``: GET /api/v1/projects (every manifest and every project's stems)
- ``latest``: POST /api/v1/mixing/suggest with no audio and no project (the project whose stems were written last;
  its stems are no real audio, so the answer is an error after the pick, which is what is timed)
- ``analyse X``: POST /api/v1/analyze/project with an id no project has (404 after the manifests are read)

and prints, per way, the read's time, the server's CPU time during it (all its threads: the figure a loaded machine
moves least) and /health's worst latency and count over 100 ms. The first round of each is
the first read of those files by this server (a cold cache); the rest are rereads.

``--in-process`` reads the folder here instead, in a worker thread, 10 listings one after the other, beside a heap
like that of an engine whose heap was never frozen (TensorFlow, librosa and basic-pitch imported; an engine with
DAWG_AI_WARMUP=false freezes nothing), while the main thread sleeps 1 ms at a time: it prints the full garbage
collections (each holds the GIL throughout) and the main thread's longest waits. That is how QA pass 6 reproduced
E1 outside the engine.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402

POLL_S = 0.020
SLOW_S = 0.100
TRACKS = ["Kick", "Snare", "Overheads", "Bass DI", "Guitar 1", "Guitar 2", "Vocals"]
WAV_HEADER = b"RIFF\x24\x00\x00\x00WAVEfmt "  # enough to look like audio; never decoded by a listing


def build_folder(root: Path, projects: int, layout: str = "stems") -> int:
    """``projects`` projects of 35 files each under ``root``; the number of files written. ``layout`` "loose":
    the stems' 30 files lie in the project's folder, beside its manifest, where every one is a file the listing
    opens to see whether it is a manifest; "flat": the projects' 35 files all lie in the projects folder itself."""
    written = 0

    def put(path: Path, data: bytes) -> None:
        nonlocal written
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1

    for n in range(projects):
        folder = root if layout == "flat" else root / f"p{n:04d}"
        prefix = f"p{n:04d} " if layout == "flat" else ""
        manifest = {
            "project_id": f"p{n:04d}",
            "name": f"Song {n}",
            "tempo": 90 + n % 60,
            "time_signature": "4/4",
            "tracks": TRACKS,
        }
        put(folder / f"{prefix}project.json", json.dumps(manifest).encode())
        put(folder / f"{prefix}notes.txt", b"render the stems again after the vocal comp\n")
        put(folder / f"{prefix}cover.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
        put(folder / f"{prefix}mixdown.wav", WAV_HEADER)
        put(folder / f"{prefix}settings.json", json.dumps({"theme": "dark", "zoom": n}).encode())
        stems = folder / "stems" if layout == "stems" else folder
        for track in TRACKS:
            put(stems / f"{prefix}{track}.wav", WAV_HEADER)
            put(stems / f"{prefix}{track}.flac", b"fLaC" + bytes(32))
        for take in range(12):
            put(stems / f"{prefix}Vocals take {take}.wav", WAV_HEADER)
        for extra in ("Room", "Click", "Guide"):
            put(stems / f"{prefix}{extra}.wav", WAV_HEADER)
        put(stems / f"{prefix}readme.txt", b"stems of the last bounce\n")
        put(stems / f"{prefix}bounce.log", b"ok\n")
    return written


class HealthPoller(threading.Thread):
    """GET /health every POLL_S; the latencies of the calls made since :meth:`take`."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, timeout=10)
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.running = True

    def run(self) -> None:
        while self.running:
            started = time.perf_counter()
            self.client.get("/health").raise_for_status()
            took = time.perf_counter() - started
            with self.lock:
                self.latencies.append(took)
            time.sleep(max(0.0, POLL_S - took))

    def take(self) -> list[float]:
        with self.lock:
            taken, self.latencies = self.latencies, []
        return taken


def in_process(root: Path, listings: int = 10) -> None:
    """``listings`` listings of ``root`` in a worker thread beside a large unfrozen heap (see the module's doc)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import basic_pitch  # noqa: F401  (the heap of an engine that has loaded its models)
    import librosa  # noqa: F401
    import tensorflow  # noqa: F401

    from integration.projects import ProjectStore

    sys.setswitchinterval(0.001)  # as the engine sets it (api/startup.py)
    store = ProjectStore(root)
    full: list[float] = []
    started: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started.append(time.perf_counter())
            else:
                full.append(time.perf_counter() - started.pop())

    def listing() -> None:
        for _ in range(listings):
            [sorted(store.stems_of(manifest)) for manifest in store.scan().projects]

    gc.collect()
    print(f"{len(gc.get_objects())} objects in the heap")
    gc.callbacks.append(timed)
    worker = threading.Thread(target=listing)
    begun = time.perf_counter()
    worker.start()
    waits = []
    while worker.is_alive():
        asleep = time.perf_counter()
        time.sleep(0.001)
        waits.append(time.perf_counter() - asleep)
    gc.callbacks.remove(timed)
    print(
        f"{listings} listings in {time.perf_counter() - begun:.2f} s; full collections: "
        f"{[round(t * 1000) for t in full]} ms; the main thread's longest waits: "
        f"{[round(t * 1000) for t in sorted(waits)[-3:]]} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layout", choices=("stems", "loose", "flat"), default="stems", help="see build_folder")
    parser.add_argument("--no-magenta", action="store_true", help="start without the Magenta bundles (TensorFlow)")
    parser.add_argument("--in-process", action="store_true", help="no server: see the module's doc")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = build_folder(Path(tmp) / "projects", args.projects, args.layout)
        if args.in_process:
            time.sleep(2.1)  # what a file held is kept once it is two seconds old (integration/projects.py)
            print(f"{files} files, {args.projects} projects")
            in_process(Path(tmp) / "projects")
            return
        port = free_port()
        server = start_engine(engine_env(port, tmp, magenta=not args.no_magenta))
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                wait_ready(client)
                reads: dict[str, Callable[[], httpx.Response]] = {
                    "list": lambda: client.get("/api/v1/projects"),
                    "latest": lambda: client.post("/api/v1/mixing/suggest"),
                    "analyse X": lambda: client.post("/api/v1/analyze/project", data={"project_id": "nope"}),
                }
                listing = client.get("/api/v1/projects").json()  # a check, before the poller: what the folder holds
                print(
                    f"{files} files, {args.projects} projects: listed {len(listing['projects'])} "
                    f"({sum(len(p['stems']) for p in listing['projects'])} stems), {len(listing['unread'])} unread"
                )
                poller = HealthPoller(base)
                poller.start()
                time.sleep(1.0)
                idle = poller.take()
                print(f"idle: /health max {max(idle) * 1000:.0f} ms over {len(idle)} calls")
                engine = psutil.Process(server.pid)
                print(
                    f"{'read':<10} {'round':>5} {'status':>6} {'read s':>7} {'CPU s':>6} {'health max ms':>14} "
                    f"{'>100 ms':>8}"
                )
                worst: dict[str, list[float]] = {}
                for name, read in reads.items():
                    for n in range(args.rounds):
                        poller.take()
                        cpu = sum(engine.cpu_times()[:2])
                        started = time.perf_counter()
                        status = read().status_code
                        took = time.perf_counter() - started
                        cpu = sum(engine.cpu_times()[:2]) - cpu
                        time.sleep(2 * POLL_S)  # the call that was waiting when the read ended
                        health = poller.take()
                        worst.setdefault(name, []).append(max(health))
                        slow = sum(latency > SLOW_S for latency in health)
                        print(
                            f"{name:<10} {n + 1:>5} {status:>6} {took:>7.2f} {cpu:>6.2f} {max(health) * 1000:>14.0f} "
                            f"{slow:>4}/{len(health)}"
                        )
                poller.running = False
                poller.join()
                every = [latency for latencies in worst.values() for latency in latencies]
                print(
                    f"/health worst during reads: {max(every) * 1000:.0f} ms "
                    f"(median of the reads' worst {statistics.median(every) * 1000:.0f} ms)"
                )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
