"""The first request of each heavy endpoint against the ones after it, on a freshly started server.

A producer's first accompaniment or transcription after starting the engine should not wait for code that
warms up on first use (lazy imports, numba kernels read from their cache or compiled, ONNX and TensorFlow
first runs). For each endpoint this starts `python main.py`, waits until /health says ready, then sends the
same request ``--repeats`` times in a row and prints the first time, the median of the others and their
ratio. ``--fresh-install`` points numba's cache at an empty folder (NUMBA_CACHE_DIR), as on a machine that
has just run the setup command: a kernel that the start-up work does not compile is compiled inside a
request then.

Usage:
    .venv/bin/python bench/first_requests.py [--magenta] [--fresh-install] [--repeats 4] [--only accompaniment,...]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402
from service_startup import three_minute_song  # noqa: E402

Request = Callable[[httpx.Client], httpx.Response]


def _wav(y: np.ndarray, sr: int = 44100) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.stack([y, 0.9 * y]).T.astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _stems(seconds: float = 60.0, sr: int = 44100) -> list[tuple[str, bytes]]:
    """Four stems of a one-minute song at 120 BPM: kick, bass, keys, hats."""
    rng = np.random.default_rng(1)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beats = np.arange(0.0, seconds - 0.5, 0.5)
    kick, hats = np.zeros(n), np.zeros(n)
    hit = np.sin(2 * np.pi * 55 * np.arange(4000) / sr) * np.exp(-np.arange(4000) / 600)
    for b in beats:
        i = int(b * sr)
        kick[i : i + 4000] += 0.7 * hit
        hats[i + 11025 : i + 11825] += 0.2 * rng.standard_normal(min(800, max(0, n - i - 11025)))
    roots = (55.0, 43.65, 65.41, 49.0)
    bass = 0.3 * np.sin(2 * np.pi * np.array([roots[int(x / 2) % 4] for x in t]) * t)
    keys = 0.08 * sum(np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0))
    return [(name, _wav(y)) for name, y in (("Kick", kick), ("Bass", bass), ("Keys", keys), ("Hats", hats))]


def requests(song: bytes, clip: bytes, stems: list[tuple[str, bytes]]) -> dict[str, Request]:
    files = [("files", (f"{name}.wav", data, "audio/wav")) for name, data in stems]
    return {
        "analysis": lambda c: c.post("/api/v1/analyze/audio", files={"file": ("song.wav", song, "audio/wav")}),
        "accompaniment": lambda c: c.post(
            "/api/v1/generate/accompaniment",
            data={"parts": "drums,bass,pad", "seed": "1"},
            files={"file": ("song.wav", song, "audio/wav")},
        ),
        "accompaniment-preview": lambda c: c.post(
            "/api/v1/generate/accompaniment",
            data={"parts": "drums,bass,pad", "seed": "1", "preview": "flac"},
            files={"file": ("song.wav", song, "audio/wav")},
        ),
        "transcribe": lambda c: c.post("/api/v1/transcribe", files={"file": ("clip.wav", clip, "audio/wav")}),
        "transcribe-drums": lambda c: c.post(
            "/api/v1/transcribe", data={"instrument": "drums"}, files={"file": ("clip.wav", clip, "audio/wav")}
        ),
        "mixing-suggest": lambda c: c.post("/api/v1/mixing/suggest", files=files),
        "mixing-render": lambda c: c.post("/api/v1/mixing/render", data={"format": "json"}, files=files),
        "generate-drums": lambda c: c.post("/api/v1/generate/midi", data={"style": "drums", "bars": "4", "seed": "1"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--magenta", action="store_true", help="load the Magenta bundles (as the service does)")
    parser.add_argument("--fresh-install", action="store_true", help="numba's cache in an empty folder")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated endpoint names (default: all)")
    args = parser.parse_args()
    song = three_minute_song()
    clip = _wav(sf.read(io.BytesIO(song), dtype="float32")[0][: 30 * 44100, 0])
    table = requests(song, clip, _stems())
    names = [n for n in args.only.split(",") if n] or list(table)
    print(
        f"{'endpoint':24} {'first':>8} {'median of next':>15} {'ratio':>6}   (s; each endpoint on a fresh server"
        f"{', numba cache empty' if args.fresh_install else ''}{', Magenta loaded' if args.magenta else ''})"
    )
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            extra = {"NUMBA_CACHE_DIR": f"{tmp}/numba"} if args.fresh_install else {}
            port = free_port()
            proc = start_engine({**engine_env(port, tmp, magenta=args.magenta), **extra})
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                    wait_ready(client, timeout=600)
                    times = []
                    for _ in range(args.repeats):
                        started = time.perf_counter()
                        response = table[name](client)
                        times.append(time.perf_counter() - started)
                        if response.status_code != 200:
                            raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        rest = statistics.median(times[1:])
        print(
            f"{name:24} {times[0]:8.3f} {rest:15.3f} {times[0] / rest:6.2f}   all: {', '.join(f'{t:.3f}' for t in times)}"
        )


if __name__ == "__main__":
    main()
