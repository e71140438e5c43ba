"""Latency and memory of the Magenta backend (the bundles in models/).

    .venv/bin/python bench/generation_latency.py [--models-dir models] [--runs 20]

Prints, against the service's goals:
  * median (and 90th percentile) of ``--runs`` warm generations of 4 bars of drums (goal <= 0.15 s)
    and of 8 bars of bass over "Am F C G" (goal <= 0.3 s), plus 8 bars of melody for reference;
  * process start to first generation, measured on a fresh interpreter in a subprocess: start
    Python, import the backend, load every bundle (TensorFlow import, sessions, warm-up), generate
    4 bars of drums (goal <= 10 s);
  * resident memory of that process with all bundles loaded (goal <= 1.2 GB).
Figures taken while other jobs load the CPU are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOALS = {"drums 4 bars": 0.15, "bass 8 bars over chords": 0.3}

_CHILD = r"""
import json, sys, time
started = float(sys.argv[1])
from pathlib import Path
from ai.generation.base import GenerationRequest, GeneratorRegistry
from ai.generation.magenta_backend import load_bundles
from ai.music_theory import Key, default_progression
import psutil
registry = GeneratorRegistry()
t0 = time.time()
loaded = load_bundles(Path(sys.argv[2]), registry)
t_loaded = time.time()
generator, _ = registry.select("drums", "magenta")
key = Key(0, "major")
clip = generator.generate(GenerationRequest(part="drums", key=key, chords=default_progression(key), bars=4, seed=0))
t_first = time.time()
for part in ("bass", "melody"):
    if registry.for_part(part, "magenta"):
        registry.select(part, "magenta")[0].generate(
            GenerationRequest(part=part, key=key, chords=default_progression(key), bars=8, seed=0))
print(json.dumps({
    "python_start_to_import": t0 - started, "load_bundles": t_loaded - t0, "first_generation": t_first - t_loaded,
    "start_to_first_generation": t_first - started, "bundles": [g.name for g in loaded],
    "failed": [d["name"] for d in registry.describe() if not d["loaded"]],
    "rss_bytes": psutil.Process().memory_info().rss, "notes": len(clip.notes),
}))
"""


def _timed(generate, requests) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for request in requests:
        start = time.perf_counter()
        generate(request)
        times.append(time.perf_counter() - start)
    return times


def _report(label: str, times: list[float]) -> None:
    median = statistics.median(times)
    p90 = sorted(times)[int(0.9 * (len(times) - 1))]
    goal = GOALS.get(label)
    verdict = "" if goal is None else f"  goal <= {goal:.2f} s: {'OK' if median <= goal else 'MISSED'}"
    print(f"{label:<28} median {median:.3f} s   p90 {p90:.3f} s   (n={len(times)}){verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (others' jobs make figures pessimistic)"
    )

    # 1. Cold start in a fresh interpreter (first, so that this process's caches do not help).
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, repr(started), str(args.models_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    child = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"bundles: {', '.join(child['bundles'])}" + (f"   failed: {child['failed']}" if child["failed"] else ""))
    print(
        f"process start -> first generation: {child['start_to_first_generation']:.2f} s"
        f"  (interpreter+imports {child['python_start_to_import']:.2f} s, load_bundles {child['load_bundles']:.2f} s,"
        f" first 4 bars of drums {child['first_generation']:.3f} s)  goal <= 10 s:"
        f" {'OK' if child['start_to_first_generation'] <= 10 else 'MISSED'}"
    )
    rss_gb = child["rss_bytes"] / 1e9
    print(
        f"RSS with all bundles loaded, after generating: {rss_gb:.2f} GB  goal <= 1.2 GB: {'OK' if rss_gb <= 1.2 else 'MISSED'}"
    )

    # 2. Warm latency in this process.
    from ai.generation.base import GenerationRequest, GeneratorRegistry
    from ai.generation.magenta_backend import load_bundles
    from ai.music_theory import Key, default_progression, parse_progression

    registry = GeneratorRegistry()
    load_bundles(args.models_dir, registry)
    key = Key(9, "minor")
    chords = parse_progression("Am F C G")
    seeds = range(1, args.runs + 1)
    cases = [
        ("drums 4 bars", "drums", 4, default_progression(key)),
        ("bass 8 bars over chords", "bass", 8, chords),
        ("melody 8 bars", "melody", 8, chords),
    ]
    for label, part, bars, progression in cases:
        if not registry.for_part(part, "magenta"):
            print(f"{label:<28} no Magenta bundle for {part}")
            continue
        generator = registry.select(part, "magenta")[0]
        requests = [GenerationRequest(part=part, key=key, chords=progression, bars=bars, seed=s) for s in seeds]
        generator.generate(requests[0])  # warm
        _report(label, _timed(generator.generate, requests))
        print(f"{'':<28} model {generator.name}")


if __name__ == "__main__":
    main()
