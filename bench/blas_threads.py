"""The engine's OpenBLAS threads: one (what main.py sets unless OPENBLAS_NUM_THREADS is given) against
OpenBLAS's default (one per core), on the analysis of a 3-minute file and the mixing advice for 4 stems
of 3 minutes, each setting in fresh processes taking turns.

    .venv/bin/python bench/blas_threads.py [--rounds 2] [--busy]

The analysis and the mixing measures call BLAS on small matrices from several threads at once; extra
OpenBLAS threads spin-wait for work and take the cores the other threads need. ``--busy`` runs a
CPU-bound process on each core beside the measurement (a loaded machine, as when a library scan or a
second request runs). Prints the median wall time of each setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORK = """
import os, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from ai.audio.decode import DecodedAudio, decode_audio
from ai.analysis.pipeline import analyze
from ai.mixing.measure import TrackInput
from ai.mixing.suggest import suggest
path = {path!r}
analyze(decode_audio(__import__("pathlib").Path(path)))
times = []
for _ in range(5):
    t = time.perf_counter(); analyze(decode_audio(__import__("pathlib").Path(path))); times.append(time.perf_counter() - t)
y = decode_audio(__import__("pathlib").Path(path)).samples
def tracks():
    return [TrackInput(n, DecodedAudio((y * g).astype(np.float32), 44100)) for n, g in (("Kick", .5), ("Bass", .4), ("Keys", .3), ("Vocals", .2))]
suggest(tracks())
mix = []
for _ in range(3):
    tr = tracks(); t = time.perf_counter(); suggest(tr); mix.append(time.perf_counter() - t)
print(sorted(times)[2], sorted(mix)[1])
"""


def song(path: Path) -> None:
    """A 3-minute test song: bench/service_startup.py's."""
    sys.path.insert(0, str(ROOT / "bench"))
    from service_startup import three_minute_song  # type: ignore[import-not-found]

    path.write_bytes(three_minute_song())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dawg_blas_") as tmp:
        path = Path(tmp) / "song.wav"
        song(path)
        code = WORK.format(root=str(ROOT), path=str(path))
        busy = []
        if args.busy:
            busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
        results: dict[str, list[tuple[float, float]]] = {"1": [], "default": []}
        try:
            for _ in range(args.rounds):
                for setting in ("1", "default"):
                    env = dict(os.environ)
                    env.pop("OPENBLAS_NUM_THREADS", None)
                    if setting == "1":
                        env["OPENBLAS_NUM_THREADS"] = "1"
                    out = subprocess.run(
                        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
                    )
                    analysis_s, mixing_s = (float(v) for v in out.stdout.split())
                    results[setting].append((analysis_s, mixing_s))
        finally:
            for process in busy:
                process.kill()
    print(
        f"{'OpenBLAS threads':18s} {'3-min analysis':>16s} {'suggest 4 x 3 min':>18s}   ({args.rounds} processes each"
        f"{', both cores kept busy' if args.busy else ''})"
    )
    for setting, rows in results.items():
        print(
            f"{setting:18s} {statistics.median(r[0] for r in rows):14.3f} s {statistics.median(r[1] for r in rows):16.3f} s"
        )


if __name__ == "__main__":
    main()
