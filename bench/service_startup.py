"""Service start-up and end-to-end request times, measured against a real `python main.py`.

Prints: process start -> first /health answer, -> ready (models loaded, analysis warmed up),
-> first generation; then the HTTP analysis time of a 3-minute 44.1 kHz stereo file (first
request and median of 5) and of generation requests.

Usage: .venv/bin/python bench/service_startup.py [--port 9137] [--no-magenta]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def three_minute_song(sr: int = 44100, seconds: float = 180.0) -> bytes:
    """Drums-and-chords stand-in: kick/snare/hat pattern at 96 BPM over a I-vi-IV-V in D."""
    rng = np.random.default_rng(0)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    beat = 60 / 96
    y = np.zeros(n)
    chords = [[146.83, 185.0, 220.0], [123.47, 146.83, 185.0], [196.0, 246.94, 293.66], [220.0, 277.18, 329.63]]
    for bar_start in np.arange(0, seconds, 4 * beat):
        i0, i1 = int(bar_start * sr), min(n, int((bar_start + 4 * beat) * sr))
        freqs = chords[int(bar_start / (4 * beat)) % 4]
        seg = t[i0:i1]
        y[i0:i1] += 0.05 * sum(np.sin(2 * np.pi * f * seg) for f in freqs)
    kick = np.sin(2 * np.pi * 55 * np.arange(4000) / sr) * np.exp(-np.arange(4000) / 600)
    snare = rng.normal(0, 1, 3000) * np.exp(-np.arange(3000) / 500)
    hat = rng.normal(0, 1, 800) * np.exp(-np.arange(800) / 100)
    for k, b in enumerate(np.arange(0, seconds - 1, beat / 2)):  # eighth notes
        i = int(b * sr)
        y[i : i + 800] += 0.08 * hat
        if k % 2 == 0:
            y[i : i + 4000] += 0.6 * kick
        if k % 4 == 2:
            y[i : i + 3000] += 0.3 * snare
    stereo = np.stack([y, 0.9 * y]).T.astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, stereo, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-magenta", action="store_true")
    args = parser.parse_args()
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tempfile.mkdtemp()
    env = engine_env(port, tmp, magenta=not args.no_magenta)
    song = three_minute_song()
    started = time.perf_counter()
    proc = start_engine(env)
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            first_health = ready = None
            first_generation = None
            while time.perf_counter() - started < 120:
                try:
                    body = client.get("/health", timeout=1).json()
                except httpx.TransportError:
                    time.sleep(0.02)
                    continue
                if first_health is None:
                    first_health = time.perf_counter() - started
                    gen = client.post("/api/v1/generate/midi?style=drums&bars=4&seed=1")
                    first_generation = (time.perf_counter() - started, gen.json().get("model"))
                if body["ready"]:
                    ready = time.perf_counter() - started
                    break
                time.sleep(0.05)
            if first_health is None or first_generation is None or ready is None:
                raise SystemExit("the server was not ready within 120 s")
            print(f"process start -> first /health 200      : {first_health:.2f} s")
            print(
                f"process start -> first drums generation  : {first_generation[0]:.2f} s (model {first_generation[1]})"
            )
            print(f"process start -> ready (warm-up done)    : {ready:.2f} s")
            timings = []
            for _ in range(6):
                t0 = time.perf_counter()
                r = client.post("/api/v1/analyze/audio", files={"file": ("song.wav", song, "audio/wav")})
                timings.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
            result = r.json()
            print(
                f"analysis of a 3-minute 44.1 kHz stereo WAV over HTTP: first {timings[0]:.3f} s, "
                f"median of next 5 {statistics.median(timings[1:]):.3f} s (tempo {result['tempo']}, key {result['key']})"
            )
            # /health while heavy requests run: the event loop must stay free.
            import threading

            def heavy() -> None:
                with httpx.Client(base_url=base, timeout=120) as other:
                    for _ in range(3):
                        other.post("/api/v1/analyze/audio", files={"file": ("song.wav", song, "audio/wav")})

            worker = threading.Thread(target=heavy)
            worker.start()
            latencies = []
            while worker.is_alive():
                t0 = time.perf_counter()
                client.get("/health")
                latencies.append(time.perf_counter() - t0)
                time.sleep(0.02)
            worker.join()
            print(
                f"/health during 3 analyses of the 3-minute file: median {statistics.median(latencies) * 1000:.1f} ms, "
                f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} calls"
            )
            for path in (
                "/api/v1/generate/midi?style=drums&bars=4",
                "/api/v1/generate/midi?style=funk&bars=4",
                "/api/v1/generate/bassline?bars=8&chords=Am%20F%20C%20G",
                "/api/v1/generate/bassline?bars=8&chords=Am%20F%20C%20G&style=funk",
                "/api/v1/generate/melody?bars=8",
            ):
                ts = []
                for i in range(10):
                    t0 = time.perf_counter()
                    r = client.post(f"{path}&seed={i}")
                    ts.append(time.perf_counter() - t0)
                print(f"POST {path}: median {statistics.median(ts) * 1000:.0f} ms over 10 (model {r.json()['model']})")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
