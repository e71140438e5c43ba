"""Speed and memory of the engine's analysis against the seed's pipeline.

Usage:
    python bench/analysis_speed.py --dataset data/eval [--repeats 5] [--skip-memory]

1. Builds a 3-minute 44.1 kHz stereo WAV by concatenating the dataset's songs (bench/out/).
2. Times, alternating in one process, the seed's pipeline (librosa.load at 44.1 kHz, beat_track,
   chroma_stft, four spectral features) and the engine's full analysis (decode_audio + analyze:
   loudness, true peak, tempo, beats, downbeats, meter, key, chords, spectral means) on that file;
   prints each median and the ratio. Both run warm (one untimed run first).
3. First request after start-up, each in a fresh interpreter: cold (import, then analyze) and
   after warm_up() (the service calls it in its lifespan), printing both.
4. Peak resident memory of a fresh interpreter that decodes and analyses a 20-minute stereo
   44.1 kHz file (the limit is settings.max_audio_duration_s; longer uploads get a 413).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

# One OpenBLAS thread, as main.py runs the service (both sides of the comparison run under it; set the
# variable to compare otherwise: with two, the engine's side-pool threads and OpenBLAS's wait on each other).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SR = 44100


def build_file(dataset: Path, seconds: float, path: Path) -> Path:
    """Concatenate the dataset's songs (then chorales) into a stereo 44.1 kHz WAV of ``seconds``."""
    if path.exists() and abs(sf.info(str(path)).duration - seconds) < 0.5:
        return path
    sources = sorted(dataset.glob("songs/*.wav")) + sorted(dataset.glob("chorales/*.wav"))
    if not sources:
        raise SystemExit(f"no .wav files under {dataset}/songs or {dataset}/chorales")
    need = int(seconds * SR)
    parts, total, i = [], 0, 0
    while total < need:
        data, sr = sf.read(str(sources[i % len(sources)]), dtype="float32", always_2d=True)
        if sr != SR:
            raise SystemExit(f"{sources[i % len(sources)]}: expected {SR} Hz")
        if data.shape[1] == 1:
            data = np.repeat(data, 2, axis=1)
        parts.append(data[:, :2])
        total += len(data)
        i += 1
    audio = np.concatenate(parts)[:need]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, SR, subtype="PCM_16")
    return path


def time_alternating(path: Path, repeats: int) -> None:
    from ai.analysis.pipeline import analyze, warm_up
    from ai.analysis.seed_method import seed_analyze
    from ai.audio.decode import decode_audio

    def engine() -> None:
        analyze(decode_audio(path))

    def seed() -> None:
        seed_analyze(path)

    warm_up()
    engine()
    seed()
    times: dict[str, list[float]] = {"seed": [], "engine": [], "engine_analyze_only": []}
    audio = decode_audio(path)
    for _ in range(repeats):
        for name, fn in (("seed", seed), ("engine", engine), ("engine_analyze_only", lambda: analyze(audio))):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    print(f"3-minute file {path.name}: {repeats} alternating runs each (warm)")
    for name, values in times.items():
        print(
            f"  {name:<22} median {statistics.median(values):7.3f} s   (min {min(values):.3f}, max {max(values):.3f})"
        )
    ratio = statistics.median(times["seed"]) / statistics.median(times["engine"])
    ratio_min = min(times["seed"]) / min(times["engine"])
    print(f"  speed-up seed / engine (decode included on both sides): {ratio:.1f}x medians, {ratio_min:.1f}x minima")


_FIRST_REQUEST = """
import time, sys, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from ai.analysis.pipeline import analyze, warm_up
from ai.audio.decode import decode_audio
t1 = time.perf_counter()
warm = {warm}
if warm:
    warm_up()
t2 = time.perf_counter()
analyze(decode_audio(__import__("pathlib").Path({path!r})))
t3 = time.perf_counter()
print(f"{{t1 - t0:.2f}} {{t2 - t1:.2f}} {{t3 - t2:.2f}}")
"""


def first_request(path: Path) -> None:
    print("first request in a fresh interpreter (import s / warm_up s / first analysis s):")
    with tempfile.TemporaryDirectory() as empty_cache:
        cases = [
            ("first install: empty numba cache, no warm_up", False, {"NUMBA_CACHE_DIR": empty_cache}),
            ("cold (numba cache on disk), no warm_up", False, {}),
            ("after warm_up()", True, {}),
        ]
        for label, warm, env in cases:
            code = _FIRST_REQUEST.format(root=str(ROOT), path=str(path), warm=warm)
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **env}
            )
            imp, wu, first = done.stdout.split()
            print(f"  {label:<46} import {imp} s, warm_up {wu} s, first analysis {first} s")


_MEMORY = """
import sys, time, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, {root!r})
from pathlib import Path
from ai.analysis.pipeline import analyze
from ai.audio.decode import decode_audio
def hwm():  # this process's peak RSS in kB (VmHWM; ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
base = hwm()
t0 = time.perf_counter()
result = analyze(decode_audio(Path({path!r}), max_duration_s={limit}))
t1 = time.perf_counter()
peak = hwm()
print(f"{{base / 1024:.0f}} {{peak / 1024:.0f}} {{t1 - t0:.2f}} {{result.tempo}} {{str(result.key).replace(' ', '_')}}")
"""


def memory(dataset: Path) -> None:
    from utils.settings import Settings

    limit = Settings().max_audio_duration_s
    path = build_file(dataset, 20 * 60, OUT / "speed_20min.wav")
    code = _MEMORY.format(root=str(ROOT), path=str(path), limit=limit)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak, seconds, tempo, key = done.stdout.split()[:5]
    print(f"20-minute stereo 44.1 kHz file ({path.stat().st_size / 1e6:.0f} MB WAV, limit {limit:.0f} s):")
    print(f"  peak RSS {peak} MB (after imports {base} MB), decode + analysis {seconds} s, tempo {tempo}, key {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=ROOT / "data" / "eval")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    path = build_file(args.dataset, 180.0, OUT / "speed_3min.wav")
    time_alternating(path, args.repeats)
    first_request(path)
    if not args.skip_memory:
        memory(args.dataset)
    print(json.dumps({"note": "2 shared CPU cores; figures are pessimistic when other jobs run"}))


if __name__ == "__main__":
    main()
