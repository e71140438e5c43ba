"""Where the event loop is blocked: every endpoint called as its callers call it, each stall of the
loop over 50 ms printed with the endpoint and the frame of our code that held it.

``python bench/loop_blocking.py`` serves the engine on port 9017 in a child process (``serve``: the
app from main.create_app under uvicorn, as ``python main.py`` runs it) with a watchdog: a heartbeat
task on the loop every 10 ms, and a thread that samples the loop thread's stack
(sys._current_frames) while a heartbeat is late. This process is the client: it makes the inputs
(a 10-minute WAV, 8 stems of 3 minutes, MIDI primers, a project, a library folder, a 10 MB JSON
body), calls each endpoint in turn (and some at once), then stops the server with SIGINT and
prints a table per phase: the worst stall, its frame in our code, and /health's worst latency
measured by a poller beside the calls. Start-up (process start -> ready) and shutdown are phases too.

A stall whose loop thread sat in the selector is the GIL held by another thread (a C extension,
TensorFlow's import): those are shown with the other threads' frames in our code, marked "GIL".

    nice -n 5 .venv/bin/python bench/loop_blocking.py [--no-magenta] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PORT = 9017
BEAT_S = 0.010
STALL_S = 0.050
SAMPLE_S = 0.005
IDLE_FUNCTIONS = {"select", "poll", "epoll", "_run_once", "run_forever"}

# ---------------------------------------------------------------------------------------------- server side


def _ours(filename: str) -> bool:
    return filename.startswith(str(ROOT)) and "/.venv/" not in filename and "loop_blocking" not in filename


def _frames(frame: FrameType | None) -> list[tuple[str, int, str]]:
    return [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack(frame)] if frame else []


class Watchdog:
    """Heartbeat on the loop, stack samples of the loop thread from a side thread while it is late."""

    def __init__(self, out: Path) -> None:
        self.out = out.open("a", buffering=1)
        self.loop_thread = threading.get_ident()
        self.last_beat = time.monotonic()
        self.samples: list[tuple[float, list[tuple[str, int, str]], dict[str, list[tuple[str, int, str]]]]] = []
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._sample, name="loop-watchdog", daemon=True).start()

    def _sample(self) -> None:
        while self.running:
            time.sleep(SAMPLE_S)
            if time.monotonic() - self.last_beat > STALL_S * 0.8:
                frames = sys._current_frames()
                loop = _frames(frames.get(self.loop_thread))
                others = {}
                names = {t.ident: t.name for t in threading.enumerate()}
                for ident, frame in frames.items():
                    if ident in (self.loop_thread, threading.get_ident()):
                        continue
                    stack = _frames(frame)
                    if stack and stack[-1][2] not in ("wait", "_worker", "get", "select", "poll", "accept"):
                        others[names.get(ident, str(ident))] = stack
                with self.lock:
                    self.samples.append((time.monotonic(), loop, others))

    async def heartbeat(self) -> None:
        while True:
            before = time.monotonic()
            self.last_beat = before
            await asyncio.sleep(BEAT_S)
            now = time.monotonic()
            late = now - before - BEAT_S
            if late > STALL_S:
                with self.lock:
                    taken = [s for s in self.samples if before <= s[0] <= now]
                    self.samples = [s for s in self.samples if s[0] > now]
                self._record(time.time() - (now - before), late, taken)
            elif self.samples:
                with self.lock:
                    self.samples = [s for s in self.samples if s[0] > now]

    def _record(self, started: float, late: float, samples: list[Any]) -> None:
        where: collections.Counter[str] = collections.Counter()
        library: collections.Counter[str] = collections.Counter()
        gil: collections.Counter[str] = collections.Counter()
        loop_top: collections.Counter[str] = collections.Counter()
        for _, loop, others in samples:
            if loop:
                loop_top[_short(loop[-1])] += 1
            ours = [f for f in loop if _ours(f[0])]
            idle = not loop or loop[-1][2] in IDLE_FUNCTIONS
            if ours and not idle:
                where[_short(ours[-1])] += 1
                library[_short(loop[-1])] += 1
            else:
                for name, stack in others.items():
                    mine = [f for f in stack if _ours(f[0])]
                    gil[f"GIL {name}: {_short(mine[-1]) if mine else _short(stack[-1])} > {_short(stack[-1])}"] += 1
        record = {
            "at": started,
            "ms": round(late * 1000, 1),
            "where": where.most_common(1)[0][0] if where else None,
            "library": library.most_common(1)[0][0] if library else None,
            "gil": [g for g, _ in gil.most_common(2)],
            "samples": len(samples),
            "loop_top": loop_top.most_common(1)[0][0] if loop_top else None,
        }
        self.out.write(json.dumps(record) + "\n")


def _short(frame: tuple[str, int, str]) -> str:
    path = frame[0]
    if path.startswith(str(ROOT)):
        path = path[len(str(ROOT)) + 1 :]
    elif "site-packages/" in path:
        path = path.split("site-packages/")[1]
    return f"{path}:{frame[1]} {frame[2]}"


def serve(out: Path) -> None:
    """The engine as ``python main.py`` serves it, with the watchdog (the child process)."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    watchdog = Watchdog(out)
    import uvicorn

    import main
    from api.http_limits import uvicorn_options

    app = main.create_app()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=app.state.settings.port, log_level="warning", **uvicorn_options()
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        beat = asyncio.create_task(watchdog.heartbeat())
        try:
            await server.serve()
        finally:
            await asyncio.sleep(0.2)  # the last stall (shutdown's) is recorded
            beat.cancel()

    asyncio.run(run())
    watchdog.running = False


# ---------------------------------------------------------------------------------------------- inputs


def _wav(path: Path, samples: Any, rate: int = 44100) -> Path:
    import numpy as np
    import soundfile as sf

    sf.write(path, np.asarray(samples, dtype=np.float32), rate, subtype="PCM_16")
    return path


def _tiled(sources: list[Path], seconds: float) -> Any:
    import numpy as np
    import soundfile as sf

    pieces, total = [], 0
    while total < seconds * 44100:
        for source in sources:
            data, rate = sf.read(source, dtype="float32", always_2d=True)
            assert rate == 44100
            pieces.append(data[:, :2] if data.shape[1] >= 2 else np.repeat(data, 2, axis=1))
            total += len(data)
    return np.concatenate(pieces)[: int(seconds * 44100)]


def _midi(notes: int, drums: bool = False, step: int = 240) -> bytes:
    import mido

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
    channel = 9 if drums else 0
    pitches = [36, 42, 38, 42] if drums else [60, 62, 64, 65, 67, 69, 71, 72]
    for k in range(notes):
        track.append(mido.Message("note_on", note=pitches[k % len(pitches)], velocity=90, time=0, channel=channel))
        track.append(mido.Message("note_off", note=pitches[k % len(pitches)], velocity=0, time=step, channel=channel))
    song = mido.MidiFile(ticks_per_beat=480)
    song.tracks.append(track)
    buffer = io.BytesIO()
    song.save(file=buffer)
    return buffer.getvalue()


@dataclass
class Inputs:
    tmp: Path
    song: Path = field(init=False)
    long_wav: Path = field(init=False)
    three_min: Path = field(init=False)
    stems: list[Path] = field(init=False)
    primer: bytes = field(init=False)
    drum_primer: bytes = field(init=False)
    big_primer: bytes = field(init=False)
    project_id: str = "loopbench"

    def make(self, quick: bool) -> None:
        eval_songs = sorted((ROOT / "data/eval/songs").glob("song0*.wav"))
        self.song = eval_songs[0]
        self.long_wav = _wav(self.tmp / "ten_minutes.wav", _tiled(eval_songs, 120 if quick else 600))
        self.three_min = _wav(self.tmp / "three_minutes.wav", _tiled(eval_songs, 60 if quick else 180))
        stem_dir = self.tmp / "stems"
        stem_dir.mkdir()
        sources = sorted((ROOT / "data/mixing_dry/song00").glob("*.wav"))
        sources.append(sorted((ROOT / "data/mixing_dry/song01").glob("*.wav"))[0])
        self.stems = [
            _wav(stem_dir / f"{source.stem}.wav", _tiled([source], 60 if quick else 180)) for source in sources[:8]
        ]
        self.primer = _midi(32)
        self.drum_primer = _midi(64, drums=True)
        # ~0.5 MB of MIDI: a big base64 JSON body (sixteenths: 3.6 million ticks, under the primer's bound)
        self.big_primer = _midi(60_000, step=60)
        projects = self.tmp / "projects"
        (projects / self.project_id / "stems").mkdir(parents=True)
        manifest = {
            "project_id": self.project_id,
            "name": "Loop bench",
            "tempo": 120,
            "time_signature": "4/4",
            "tracks": [s.stem for s in self.stems],
        }
        (projects / self.project_id / "project.json").write_text(json.dumps(manifest))
        for stem in self.stems:
            os.link(stem, projects / self.project_id / "stems" / stem.name)  # a link out of the folder is ignored
        library = self.tmp / "library"
        library.mkdir()
        for source in sorted((ROOT / "data/real/audio").glob("tiny_*"))[:6]:
            (library / source.name).symlink_to(source)


# ---------------------------------------------------------------------------------------------- client side


@dataclass
class Phase:
    name: str
    start: float
    end: float = 0.0
    statuses: list[int] = field(default_factory=list)
    health_ms: float = 0.0


class Client:
    def __init__(self, base: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=base, timeout=900)
        self.phases: list[Phase] = []
        self.base = base

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        current = Phase(name, time.time())
        self.phases.append(current)
        print(f"  {name} ...", flush=True)
        try:
            yield current
        except Exception as exc:  # a failed call is reported, the run goes on
            print(f"    failed: {exc!r}", flush=True)
            current.statuses.append(-1)
        finally:
            current.end = time.time()

    def call(self, phase: Phase, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        phase.statuses.append(response.status_code)
        return response

    def poll_job(self, phase: Phase, location: str) -> Any:
        while True:
            view = self.call(phase, "GET", location).json()
            if view["state"] in ("succeeded", "failed", "cancelled"):
                return view
            time.sleep(0.2)


class HealthPoller:
    """/health every 50 ms on its own connection: the latency DAWG-CORE's poll sees."""

    def __init__(self, base: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=base, timeout=30)
        self.samples: list[tuple[float, float]] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            started = time.time()
            with contextlib.suppress(Exception):
                self.http.get("/health")
                self.samples.append((started, (time.time() - started) * 1000))
            time.sleep(0.05)


def run_calls(client: Client, inp: Inputs, quick: bool) -> None:  # noqa: PLR0915 - one list of calls
    def files(*paths: Path, field_name: str = "files") -> list[tuple[str, tuple[str, bytes, str]]]:
        return [(field_name, (p.name, p.read_bytes(), "audio/wav")) for p in paths]

    with client.phase("GET /openapi.json, /docs, /, /ui") as p:
        for path in ("/openapi.json", "/docs", "/", "/ui", "/ui/static/app.js"):
            client.call(p, "GET", path)
    with client.phase("GET /health, /api/v1/status, /api/v1/models") as p:
        for path in ("/health", "/api/v1/status", "/api/v1/models"):
            client.call(p, "GET", path)
    with client.phase("core status, transport (core down)") as p:
        client.call(p, "GET", "/api/v1/core/status")
        client.call(p, "POST", "/api/v1/core/transport/play")
        client.call(p, "POST", "/api/v1/core/transport/stop")
    with client.phase("generate: query, form, JSON (bars 32, variations 8)") as p:
        client.call(p, "POST", "/api/v1/generate/midi?style=drums&tempo=120&bars=4")
        client.call(p, "POST", "/api/v1/generate/bassline", data={"key": "A", "scale": "minor", "chords": "Am F C G"})
        body = {"key": "D", "scale": "dorian", "bars": 32, "variations": 8, "model": "auto"}
        client.call(p, "POST", "/api/v1/generate/melody", json=body)
        client.call(p, "POST", "/api/v1/generate/midi?style=funk&bars=32&variations=8")
        client.call(p, "POST", "/api/v1/generate/midi?style=funk&bars=4&format=midi")
    with client.phase("generate: primers (multipart, base64 JSON), preview wav") as p:
        client.call(p, "POST", "/api/v1/generate/melody", files={"primer": ("idea.mid", inp.primer, "audio/midi")})
        client.call(p, "POST", "/api/v1/generate/midi", files={"primer": ("d.mid", inp.drum_primer, "audio/midi")})
        big = {"primer": base64.b64encode(inp.big_primer).decode(), "bars": 8, "model": "theory"}
        client.call(p, "POST", "/api/v1/generate/melody", json=big)
        client.call(p, "POST", "/api/v1/generate/bassline", json={"bars": 16, "preview": "wav", "model": "theory"})
    with client.phase("big JSON body (10 MB, refused)") as p:
        junk = {"key": "C", "notes": ["x" * 100] * 100_000}
        client.call(p, "POST", "/api/v1/generate/melody", json=junk)
    with client.phase("analyze/audio: song, mp3") as p:
        client.call(p, "POST", "/api/v1/analyze/audio", files=files(inp.song, field_name="file"))
        mp3 = ROOT / "data/real/audio/essentia_techno_loop.mp3"
        client.call(p, "POST", "/api/v1/analyze/audio", files=[("file", (mp3.name, mp3.read_bytes(), "audio/mpeg"))])
    with client.phase("analyze/audio: 10-minute WAV") as p:
        client.call(p, "POST", "/api/v1/analyze/audio", files=files(inp.long_wav, field_name="file"))
    with client.phase("transcribe: pitched json, midi, drums (3 min)") as p:
        client.call(p, "POST", "/api/v1/transcribe", files=files(inp.three_min, field_name="file"))
        client.call(p, "POST", "/api/v1/transcribe?format=midi&quantize=1/16", files=files(inp.song, field_name="file"))
        client.call(
            p, "POST", "/api/v1/transcribe", data={"instrument": "drums"}, files=files(inp.song, field_name="file")
        )
    with client.phase("accompaniment: song with preview flac, 3 min json") as p:
        data = {"parts": "drums,bass,pad", "preview": "flac"}
        client.call(p, "POST", "/api/v1/generate/accompaniment", data=data, files=files(inp.song, field_name="file"))
        client.call(p, "POST", "/api/v1/generate/accompaniment", files=files(inp.three_min, field_name="file"))
    with client.phase("mixing/suggest + auto_level: 8 stems x 3 min") as p:
        client.call(p, "POST", "/api/v1/mixing/suggest", files=files(*inp.stems))
        client.call(p, "POST", "/api/v1/mixing/auto_level", files=files(*inp.stems))
        client.call(p, "POST", "/api/v1/mixing/suggest")  # no audio
    with client.phase("mixing/render: 8 stems x 3 min, wav and json") as p:
        client.call(p, "POST", "/api/v1/mixing/render", data={"master": "true"}, files=files(*inp.stems))
        client.call(p, "POST", "/api/v1/mixing/render", data={"format": "json"}, files=files(*inp.stems))
    with client.phase("projects: list, analyze/project, suggest by project") as p:
        client.call(p, "GET", "/api/v1/projects")
        client.call(p, "POST", f"/api/v1/analyze/project?project_id={inp.project_id}")
        client.call(p, "POST", f"/api/v1/mixing/suggest?project_id={inp.project_id}")
    with client.phase("command: text, with a file") as p:
        client.call(
            p, "POST", "/api/v1/command", data={"text": "give me a funky bassline in D minor, eight bars at 96"}
        )
        client.call(
            p, "POST", "/api/v1/command", data={"text": "what key is this"}, files=files(inp.song, field_name="file")
        )
        client.call(p, "POST", "/api/v1/command", data={"text": "play"})
        client.call(p, "POST", "/api/v1/command", data={"text": "render the mix"}, files=files(*inp.stems))
    with client.phase("jobs: analysis + transcription 10 min, render json; view, events, result") as p:
        queued = client.call(
            p, "POST", "/api/v1/analyze/audio?async=true", files=files(inp.long_wav, field_name="file")
        )
        rendered = client.call(
            p, "POST", "/api/v1/mixing/render?async=true", data={"format": "json"}, files=files(*inp.stems)
        )
        transcribed = client.call(
            p, "POST", "/api/v1/transcribe?async=true", files=files(inp.long_wav, field_name="file")
        )
        for accepted in (queued, rendered, transcribed):
            location = accepted.headers["location"]
            client.poll_job(p, location)
            client.call(p, "GET", location)
            client.call(p, "GET", f"{location}/events")
            client.call(p, "GET", f"{location}/result")
        client.call(p, "GET", "/api/v1/jobs")
        client.call(p, "DELETE", queued.headers["location"])
    with client.phase("library: scan, search, file, search by clip") as p:
        scan = client.call(p, "POST", "/api/v1/library/scan", data={"folder": str(inp.tmp / "library")})
        if scan.status_code == 202:
            client.poll_job(p, scan.headers["location"])
        found = client.call(p, "GET", "/api/v1/library/search?page_size=100").json()
        if found.get("results"):
            client.call(p, "GET", f"/api/v1/library/files/{found['results'][0]['id']}")
        client.call(p, "POST", "/api/v1/library/search", files=files(inp.song, field_name="file"))
    with client.phase("MCP: initialize, tools/list, analyze_audio (10 min), generate_drums, mixing_suggest") as p:
        accept = {"accept": "application/json, text/event-stream"}
        init = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "b", "version": "0"},
            },
        }
        opened = client.call(p, "POST", "/mcp", json=init, headers=accept)
        session = {"mcp-session-id": opened.headers.get("mcp-session-id", ""), "mcp-protocol-version": "2025-06-18"}
        headers = {**accept, **session}
        client.call(p, "POST", "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        client.call(p, "POST", "/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers)
        calls = [
            ("analyze_audio", {"path": str(inp.long_wav)}),
            ("generate_drums", {"seed": 1, "bars": 32, "variations": 8}),
            ("mixing_suggest", {"stems": [str(s) for s in inp.stems]}),
        ]
        for k, (name, arguments) in enumerate(calls):
            message = {
                "jsonrpc": "2.0",
                "id": 3 + k,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
            client.call(p, "POST", "/mcp", json=message, headers=headers)
        client.call(p, "DELETE", "/mcp", headers=session)
    with client.phase("concurrent: 40 generations + 8 analyses at once") as p, ThreadPoolExecutor(16) as pool:
        gens = [
            pool.submit(client.call, p, "POST", f"/api/v1/generate/midi?style=rock&bars=16&variations=4&seed={k}")
            for k in range(40)
        ]
        songs = sorted((ROOT / "data/eval/songs").glob("song0*.wav"))[:8]
        analyses = [
            pool.submit(client.call, p, "POST", "/api/v1/analyze/audio", files=files(s, field_name="file"))
            for s in songs
        ]
        for future in gens + analyses:
            future.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "serve"])
    parser.add_argument("--out", type=Path, help="(serve) the stalls' JSON-lines file")
    parser.add_argument("--no-magenta", action="store_true", help="start without the Magenta bundles (no TensorFlow)")
    parser.add_argument("--quick", action="store_true", help="2-minute long file, 1-minute stems")
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.out)
        return
    import httpx

    with tempfile.TemporaryDirectory(prefix="loop-bench-") as tmp_text:
        tmp = Path(tmp_text)
        inputs = Inputs(tmp)
        print("making inputs ...", flush=True)
        inputs.make(args.quick)
        stalls_file = tmp / "stalls.jsonl"
        env = dict(
            os.environ,
            DAWG_AI_PORT=str(args.port),
            DAWG_AI_STATUS_FILE=str(tmp / "status.json"),
            DAWG_AI_PROJECTS_DIR=str(tmp / "projects"),
            DAWG_AI_CORE_URL="http://127.0.0.1:9",
            DAWG_AI_LOAD_MAGENTA="false" if args.no_magenta else "true",
            DAWG_AI_LOG_LEVEL="warning",
            DAWG_AI_DATA_DIR=str(tmp / "data"),
            DAWG_AI_LIBRARY_ROOTS=json.dumps([str(tmp / "library")]),
            DAWG_AI_LIBRARY_SCAN_MODE="sequential",
            DAWG_AI_UPLOAD_DIR=str(tmp),
        )
        base = f"http://127.0.0.1:{args.port}"
        started = time.time()
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", "--out", str(stalls_file)], cwd=ROOT, env=env
        )
        client = Client(base)
        poller: HealthPoller | None = None
        try:
            startup = Phase("start-up (process start -> /health ready)", started)
            client.phases.append(startup)
            listening = None
            while True:
                try:
                    answered = client.http.get("/health", timeout=5).json()
                    if listening is None:  # the page and a client reading /openapi.json, as soon as it listens
                        listening = time.time()
                        poller = HealthPoller(base)
                        for path in ("/", "/openapi.json"):
                            startup.statuses.append(client.http.get(path).status_code)
                    if answered.get("ready"):
                        break
                except httpx.TransportError:
                    listening = None
                    if poller is not None:
                        poller.running = False
                        poller = None
                if server.poll() is not None:
                    raise RuntimeError("the server ended during start-up")
                time.sleep(0.1)
            startup.end = time.time()
            print(f"ready after {startup.end - started:.1f} s", flush=True)
            run_calls(client, inputs, args.quick)
        finally:
            down = Phase("shutdown (SIGINT -> exit)", time.time())
            client.phases.append(down)
            server.send_signal(signal.SIGINT)
            try:
                server.wait(120)
            except subprocess.TimeoutExpired:
                server.kill()
            down.end = time.time()
            if poller is not None:
                poller.running = False
        report(client.phases, stalls_file, poller.samples if poller else [])


def report(phases: list[Phase], stalls_file: Path, health: list[tuple[float, float]]) -> None:
    stalls = [json.loads(line) for line in stalls_file.read_text().splitlines()] if stalls_file.exists() else []
    print(f"\n{len(stalls)} stalls over {STALL_S * 1000:.0f} ms\n")
    print(f"{'phase':<62} {'s':>6} {'http':<14} {'n':>3} {'worst ms':>8} {'/health ms':>10}  where (worst)")
    for phase in phases:
        inside = [s for s in stalls if phase.start <= s["at"] <= phase.end]
        worst = max(inside, key=lambda s: s["ms"], default=None)
        polled = [ms for at, ms in health if phase.start <= at <= phase.end]
        codes = ",".join(str(c) for c in sorted(set(phase.statuses)))
        where = ""
        if worst is not None:
            where = worst["where"] or ("; ".join(worst["gil"]) if worst["gil"] else "(no sample)")
        print(
            f"{phase.name[:62]:<62} {phase.end - phase.start:6.1f} {codes[:14]:<14} {len(inside):3d} "
            f"{(worst['ms'] if worst else 0):8.0f} {max(polled, default=0):10.0f}  {where}"
        )
    print("\nevery stall (phase, ms, our frame on the loop | library frame | GIL holders):")
    for stall in sorted(stalls, key=lambda s: s["at"]):
        name = next((p.name for p in phases if p.start <= stall["at"] <= p.end), "(between phases)")
        print(
            f"  {name[:40]:<40} {stall['ms']:7.0f}  {stall['where']} | {stall['library']} | {stall['gil']} "
            f"| {stall['samples']} samples, loop at {stall['loop_top']}"
        )


if __name__ == "__main__":
    main()
