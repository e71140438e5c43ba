"""Issue 14's memory figure: the server's RSS growth for one request of the longest file the default
limits allow, on every upload endpoint, against a real `python main.py`.

    .venv/bin/python bench/request_memory.py [--minutes 10 30] [--endpoints analyze mixing/suggest ...]

The mixing paths that bring a stem onto the session's footing are sent their own stems:
``mixing/suggest-48k`` the song at 48 kHz beside two 1-second 44.1 kHz stems (so it is resampled),
``-mono`` the song folded to one channel, ``-unnamed`` the song as "Audio 1.wav" (the role
classifier hears it), ``-sections`` the song 12 dB down every other 20 s as "Keys.wav" (the
"uncontrolled dynamics" advice and its automation check), and ``project`` the song as a project's
stem (POST /analyze/project).

For each endpoint and length a fresh server is started (so one request's freed heap does not hide
the next one's growth), one 16-bit stereo 44.1 kHz WAV is uploaded (the 3-minute drums-and-chords
song of bench/service_startup.py repeated; 30 minutes is DAWG_AI_MAX_AUDIO_DURATION_S's default),
and the server's RSS is sampled every 20 ms (psutil): growth = peak during the request minus the
RSS just before it. Goal: <= 300 MB for any single request.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil
import soundfile as sf
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402
from service_startup import three_minute_song  # noqa: E402

SAMPLE_EVERY_S = 0.02
GOAL_MB = 300.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    field: str
    data: dict[str, str]
    stems: str = "song"
    """What is sent: the song as it is or a variant of it (see :func:`request_files`)."""


ENDPOINTS = {
    e.name: e
    for e in (
        Endpoint("analyze", "/api/v1/analyze/audio", "file", {}),
        Endpoint("mixing/suggest", "/api/v1/mixing/suggest", "files", {}),
        Endpoint("mixing/auto_level", "/api/v1/mixing/auto_level", "files", {}),
        Endpoint("mixing/render", "/api/v1/mixing/render", "files", {}),
        Endpoint("mixing/render-json", "/api/v1/mixing/render", "files", {"format": "json"}),
        Endpoint("mixing/render-finished-mix", "/api/v1/mixing/render", "master", {}),
        Endpoint("mixing/suggest-48k", "/api/v1/mixing/suggest", "files", {}, "48k"),
        Endpoint("mixing/suggest-mono", "/api/v1/mixing/suggest", "files", {}, "mono"),
        Endpoint("mixing/suggest-unnamed", "/api/v1/mixing/suggest", "files", {}, "unnamed"),
        Endpoint("mixing/suggest-sections", "/api/v1/mixing/suggest", "files", {}, "sections"),
        Endpoint("project", "/api/v1/analyze/project", "", {"project_id": "bench"}, "project"),
        Endpoint("transcribe", "/api/v1/transcribe", "file", {}),
        Endpoint("transcribe-drums", "/api/v1/transcribe", "file", {"instrument": "drums"}),
        Endpoint("transcribe-auto", "/api/v1/transcribe", "file", {"instrument": "auto"}),
        Endpoint("accompaniment", "/api/v1/generate/accompaniment", "file", {}),
        Endpoint("accompaniment-preview", "/api/v1/generate/accompaniment", "file", {"preview": "wav"}),
        Endpoint("accompaniment-preview-flac", "/api/v1/generate/accompaniment", "file", {"preview": "flac"}),
        Endpoint("transcribe-basic-pitch", "/api/v1/transcribe", "file", {"note_decoding": "basic-pitch"}),
        Endpoint("command", "/api/v1/command", "file", {"text": "what key is this in"}),
    )
}


SONG: Path | None = None
"""--song: a recording (any rate and channel count soundfile reads) looped instead of the synthetic song,
e.g. a dense real mix: its spectrum holds several times the synthetic song's spectral peaks a frame."""


def long_wav(
    path: Path, minutes: float, *, rate: int | None = None, mono: bool = False, sections_db: float = 0.0
) -> None:
    """``minutes`` of the 3-minute song (16-bit stereo 44.1 kHz; at ``rate``, folded to ``mono``, or
    ``sections_db`` dB of gain on every other 20 s, when asked), written block by block."""
    with sf.SoundFile(SONG or io.BytesIO(three_minute_song())) as song:
        plain = rate is None and not mono and not sections_db
        block = song.read(dtype="int16" if plain else "float32", always_2d=True)
        sr = song.samplerate
    if mono:
        block = block.mean(axis=1, keepdims=True)
    if rate is not None and rate != sr:
        block = soxr.resample(block, sr, rate, quality="HQ")
        sr = rate
    n = int(minutes * 60 * sr)
    with sf.SoundFile(path, "w", samplerate=sr, channels=block.shape[1], format="WAV", subtype="PCM_16") as out:
        written = 0
        while written < n:
            part = block[: n - written]
            if sections_db:
                odd = (written + np.arange(len(part))) // (20 * sr) % 2 == 1
                part = part * np.where(odd, np.float32(10 ** (sections_db / 20)), np.float32(1.0))[:, None]
            out.write(part)
            written += len(part)


def request_files(endpoint: Endpoint, wav: Path, tmp: Path, minutes: int) -> list[tuple[str, Path]]:
    """(name sent, path) of each upload of ``endpoint``'s request; a project's stem is written into the
    projects folder the server reads (``engine_env``) instead."""
    made = tmp / f"variant_{endpoint.stems}.wav"
    if endpoint.stems == "48k":
        long_wav(made, minutes, rate=48000)
        short = [tmp / "Kick.wav", tmp / "Snare.wav"]
        for path in short:
            long_wav(path, 1 / 60)
        return [("Keys.wav", made), *((path.name, path) for path in short)]
    if endpoint.stems in ("mono", "sections"):
        long_wav(
            made, minutes, mono=endpoint.stems == "mono", sections_db=-12.0 if endpoint.stems == "sections" else 0.0
        )
        return [("Keys.wav", made)]
    if endpoint.stems == "unnamed":
        return [("Audio 1.wav", wav)]
    if endpoint.stems == "project":
        stems = tmp / "projects" / "bench" / "stems"
        stems.mkdir(parents=True, exist_ok=True)
        manifest = {"project_id": "bench", "name": "bench", "tempo": 120, "time_signature": "4/4", "tracks": ["Keys"]}
        (tmp / "projects" / "project.dawg").write_text(json.dumps(manifest))
        (stems / "Keys.wav").unlink(missing_ok=True)
        (stems / "Keys.wav").hardlink_to(wav)
        return []
    return [(wav.name, wav)]


class RssSampler:
    """Peak RSS of a process, sampled every SAMPLE_EVERY_S on a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(SAMPLE_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def measure(endpoint: Endpoint, uploads: list[tuple[str, Path]], tmp: Path) -> tuple[int, float, float, float, str]:
    """(status, RSS before MB, peak MB, seconds, the answer's start) of one request on a fresh server."""
    port = free_port()
    proc = start_engine(engine_env(port, tmp))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1800) as client:
            wait_ready(client)
            time.sleep(1.0)  # let start-up's last allocations settle
            before = psutil.Process(proc.pid).memory_info().rss
            handles = [(name, path.open("rb")) for name, path in uploads]
            with RssSampler(proc.pid) as sampler:
                started = time.perf_counter()
                files = [(endpoint.field, (name, handle, "audio/wav")) for name, handle in handles]
                answer = client.post(endpoint.path, data=endpoint.data, files=files or None)
                seconds = time.perf_counter() - started
            for _, handle in handles:
                handle.close()
            return answer.status_code, before / 2**20, sampler.peak / 2**20, seconds, answer.text[:80]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--endpoints", nargs="+", choices=list(ENDPOINTS), default=list(ENDPOINTS))
    parser.add_argument("--song", type=Path, help="loop this recording instead of the synthetic 3-minute song")
    args = parser.parse_args()
    global SONG
    SONG = args.song
    tmp = Path(tempfile.mkdtemp(prefix="dawg-request-memory-"))
    print(f"{'endpoint':<24} {'file':>14} {'status':>6} {'RSS before':>10} {'peak':>7} {'growth':>7} {'time':>7}")
    worst = 0.0
    for minutes in args.minutes:
        wav = tmp / f"song_{minutes}min.wav"
        long_wav(wav, minutes)
        for name in args.endpoints:
            uploads = request_files(ENDPOINTS[name], wav, tmp, minutes)
            status, before, peak, seconds, text = measure(ENDPOINTS[name], uploads, tmp)
            for made in [path for _, path in uploads if path != wav] + [tmp / "projects/bench/stems/Keys.wav"]:
                made.unlink(missing_ok=True)
            growth = peak - before
            if status == 200:
                worst = max(worst, growth)
            label = f"{minutes} min {wav.stat().st_size / 1e6:.0f} MB"
            print(
                f"{name:<24} {label:>14} {status:>6} {before:>7.0f} MB {peak:>4.0f} MB {growth:>4.0f} MB "
                f"{seconds:>6.1f}s" + ("" if status == 200 else f"  {text}"),
                flush=True,
            )
        wav.unlink()
    print(f"largest growth of a 200: {worst:.0f} MB (goal <= {GOAL_MB:.0f} MB)")


if __name__ == "__main__":
    main()
