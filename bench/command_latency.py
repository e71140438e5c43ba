"""Text commands against a real server: does a command answer within its action's own latency + 20 ms?

Starts the engine (python main.py, theory backend, no Magenta) and a DAWG-CORE stand-in, then
times, alternating, each command and the endpoint it stands for with the same parameters:
a bassline and a drum groove (same seed: the same clip), "what key is this" and the analysis of
the same 30-second upload, and "play" and DAWG-CORE's transport route. Prints median and p90 of
each and the command's extra time (goal: median extra <= 20 ms).

    .venv/bin/python bench/command_latency.py [--runs 30]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402
from service_startup import three_minute_song  # noqa: E402

from tests.support.core_standin import run_core_standin  # noqa: E402


def thirty_seconds() -> bytes:
    y, sr = sf.read(io.BytesIO(three_minute_song()), dtype="float32", always_2d=True)
    buffer = io.BytesIO()
    sf.write(buffer, y[: 30 * sr], sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    audio = thirty_seconds()
    with run_core_standin(mode="normal") as core, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_engine(engine_env(port, tmp, core_url=core.url))
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                wait_ready(client)
                pairs: dict[str, tuple[Callable[[], httpx.Response], Callable[[], httpx.Response]]] = {
                    "bassline, 8 bars": (
                        lambda: client.post(
                            "/api/v1/command",
                            data={"text": "give me a funky bassline in D minor, eight bars at 96", "seed": "1"},
                        ),
                        lambda: client.post(
                            "/api/v1/generate/bassline",
                            data={
                                "style": "funk",
                                "key": "D",
                                "scale": "minor",
                                "bars": "8",
                                "tempo": "96",
                                "seed": "1",
                            },
                        ),
                    ),
                    "drums, 2 bars": (
                        lambda: client.post(
                            "/api/v1/command", data={"text": "drums, hip hop, 90 bpm, two bars", "seed": "1"}
                        ),
                        lambda: client.post(
                            "/api/v1/generate/midi", data={"style": "hip-hop", "tempo": "90", "bars": "2", "seed": "1"}
                        ),
                    ),
                    "what key is this (30 s)": (
                        lambda: client.post(
                            "/api/v1/command", data={"text": "what key is this"}, files={"file": ("a.wav", audio)}
                        ),
                        lambda: client.post("/api/v1/analyze/audio", files={"file": ("a.wav", audio)}),
                    ),
                    "play": (
                        lambda: client.post("/api/v1/command", data={"text": "play"}),
                        lambda: client.post("/api/v1/core/transport/play"),
                    ),
                }
                print(
                    f"{'action':26} {'endpoint ms (median, p90)':>26} {'command ms (median, p90)':>26} {'extra ms':>9}"
                )
                for name, (command, endpoint) in pairs.items():
                    timed(command), timed(endpoint)  # warm both paths
                    said, direct = [], []
                    for _ in range(args.runs):
                        said.append(timed(command))
                        direct.append(timed(endpoint))
                    p90 = lambda xs: float(np.percentile(xs, 90))  # noqa: E731
                    extra = statistics.median(said) - statistics.median(direct)
                    print(
                        f"{name:26} {statistics.median(direct):16.1f} {p90(direct):8.1f} "
                        f"{statistics.median(said):16.1f} {p90(said):8.1f} {extra:+9.1f}"
                    )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
