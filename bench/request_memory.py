"""Issue 14's memory figure: the server's RSS growth for one request of the longest file the default
limits allow, on every upload endpoint, against a real `python main.py`.

    .venv/bin/python bench/request_memory.py [--minutes 10 30] [--endpoints analyze mixing/suggest ...]

For each endpoint and length a fresh server is started (so one request's freed heap does not hide
the next one's growth), one 16-bit stereo 44.1 kHz WAV is uploaded (the 3-minute drums-and-chords
song of bench/service_startup.py repeated; 30 minutes is DAWG_AI_MAX_AUDIO_DURATION_S's default),
and the server's RSS is sampled every 20 ms (psutil): growth = peak during the request minus the
RSS just before it. Goal: <= 300 MB for any single request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import soundfile as sf

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


ENDPOINTS = {
    e.name: e
    for e in (
        Endpoint("analyze", "/api/v1/analyze/audio", "file", {}),
        Endpoint("mixing/suggest", "/api/v1/mixing/suggest", "files", {}),
        Endpoint("mixing/auto_level", "/api/v1/mixing/auto_level", "files", {}),
        Endpoint("mixing/render", "/api/v1/mixing/render", "files", {}),
        Endpoint("mixing/render-json", "/api/v1/mixing/render", "files", {"format": "json"}),
        Endpoint("transcribe", "/api/v1/transcribe", "file", {}),
        Endpoint("transcribe-drums", "/api/v1/transcribe", "file", {"instrument": "drums"}),
        Endpoint("accompaniment", "/api/v1/generate/accompaniment", "file", {}),
        Endpoint("accompaniment-preview", "/api/v1/generate/accompaniment", "file", {"preview": "wav"}),
        Endpoint("accompaniment-preview-flac", "/api/v1/generate/accompaniment", "file", {"preview": "flac"}),
        Endpoint("transcribe-basic-pitch", "/api/v1/transcribe", "file", {"note_decoding": "basic-pitch"}),
        Endpoint("command", "/api/v1/command", "file", {"text": "what key is this in"}),
    )
}


def long_wav(path: Path, minutes: int) -> None:
    """``minutes`` of the 3-minute song (16-bit stereo 44.1 kHz), written block by block."""
    import io

    with sf.SoundFile(io.BytesIO(three_minute_song())) as song:
        block = song.read(dtype="int16")
        sr = song.samplerate
    n = int(minutes * 60 * sr)
    with sf.SoundFile(path, "w", samplerate=sr, channels=2, format="WAV", subtype="PCM_16") as out:
        written = 0
        while written < n:
            part = block[: n - written]
            out.write(part)
            written += len(part)


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


def measure(endpoint: Endpoint, wav: Path, tmp: Path) -> tuple[int, float, float, float, str]:
    """(status, RSS before MB, peak MB, seconds, the answer's start) of one request on a fresh server."""
    port = free_port()
    proc = start_engine(engine_env(port, tmp))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1800) as client:
            wait_ready(client)
            time.sleep(1.0)  # let start-up's last allocations settle
            before = psutil.Process(proc.pid).memory_info().rss
            with RssSampler(proc.pid) as sampler, wav.open("rb") as handle:
                started = time.perf_counter()
                answer = client.post(
                    endpoint.path, data=endpoint.data, files={endpoint.field: (wav.name, handle, "audio/wav")}
                )
                seconds = time.perf_counter() - started
            return answer.status_code, before / 2**20, sampler.peak / 2**20, seconds, answer.text[:80]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--endpoints", nargs="+", choices=list(ENDPOINTS), default=list(ENDPOINTS))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dawg-request-memory-"))
    print(f"{'endpoint':<18} {'file':>14} {'status':>6} {'RSS before':>10} {'peak':>7} {'growth':>7} {'time':>7}")
    worst = 0.0
    for minutes in args.minutes:
        wav = tmp / f"song_{minutes}min.wav"
        long_wav(wav, minutes)
        for name in args.endpoints:
            status, before, peak, seconds, text = measure(ENDPOINTS[name], wav, tmp)
            growth = peak - before
            if status == 200:
                worst = max(worst, growth)
            label = f"{minutes} min {wav.stat().st_size / 1e6:.0f} MB"
            print(
                f"{name:<18} {label:>14} {status:>6} {before:>7.0f} MB {peak:>4.0f} MB {growth:>4.0f} MB "
                f"{seconds:>6.1f}s" + ("" if status == 200 else f"  {text}"),
                flush=True,
            )
        wav.unlink()
    print(f"largest growth of a 200: {worst:.0f} MB (goal <= {GOAL_MB:.0f} MB)")


if __name__ == "__main__":
    main()
