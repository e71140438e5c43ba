"""Issue 17, item 2's figure: `dawg-ai analyze` on a folder of 100 files shows progress and is within 10 % of
the in-process analysis time per file.

    .venv/bin/python bench/cli_analyze.py [--files 100] [--dir DIR] [--repeats 1]

Builds --files WAVs of 5-30 s (44.1 kHz stereo 16-bit) from bench/service_startup.py's three-minute song:
each a slice played at another speed (-4..+4 semitones, so tempo and key change together), in --dir (a
temporary folder by default; existing files there are reused). Then, in fresh processes:

  * cli: the real console script, ``.venv/bin/dawg-ai analyze DIR --format json`` (in process: the route's
    analysis of each file straight from the file, cli/local_analysis.py), stderr on a pseudo-terminal
    so that rich draws its progress bar as a person sees it, stdout (the JSON) on a pipe;
  * direct: ``ai.analysis.pipeline.analyze`` on each file decoded with ``ai.audio.decode.decode_audio``, in
    one process (the same work without the CLI, HTTP and upload layers), with the one OpenBLAS thread that
    the CLI's in-process engine runs with (OPENBLAS_NUM_THREADS=1, unless the environment sets it).

Prints, for each: the process's wall and CPU time for all files and for the first file alone (each side's
fixed cost: imports, start-up, first-call compiles), per file with and without that fixed cost; the ratio cli/direct per file (goal: <= 1.10); how many progress
counts (k/N) the terminal showed; and whether the two agree on every file's tempo, key and loudness.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SR = 44100
BLAS_THREADS_VARIABLE = "OPENBLAS_NUM_THREADS"  # cli/engine.py sets it to 1 for its in-process engine; so does direct
COMPARED = ("duration", "tempo", "time_signature", "key", "loudness_lufs", "true_peak_dbtp")


def build_files(folder: Path, count: int) -> list[Path]:
    """``count`` slices of the three-minute song, 5-30 s long, each played 4 semitones down to 4 up."""
    import io

    from service_startup import three_minute_song

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"clip_{k:03d}.wav" for k in range(count)]
    if all(path.exists() for path in paths):
        return paths
    song, sr = sf.read(io.BytesIO(three_minute_song(sr=SR)), dtype="float32")
    rng = np.random.default_rng(17)
    for k, path in enumerate(paths):
        seconds = 5.0 + 25.0 * (k % 26) / 25.0  # 5 ... 30 s, evenly
        rate = 2.0 ** (int(rng.integers(-4, 5)) / 12.0)  # played faster or slower: tempo and key move
        span = int(seconds * rate * sr)
        start = int(rng.integers(0, len(song) - span))
        source = song[start : start + span]
        positions = np.arange(int(seconds * sr)) * rate
        clip = np.stack([np.interp(positions, np.arange(span), source[:, c]) for c in range(source.shape[1])], 1)
        sf.write(path, clip.astype(np.float32), sr, subtype="PCM_16")
    return paths


def engine_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DAWG_AI_STATUS_FILE": str(tmp / "status.json"),  # never the real service's
        "DAWG_AI_PROJECTS_DIR": str(tmp / "projects"),
        "DAWG_AI_CORE_URL": "http://127.0.0.1:9",
        "COLUMNS": "100",
    }


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(folder: Path, tmp: Path) -> tuple[float, float, list[dict[str, Any]], str]:
    """The console script with stderr on a pseudo-terminal: wall and CPU time, its JSON, what the terminal showed."""
    master, slave = pty.openpty()
    shown: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    cpu = children_cpu_s()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "dawg-ai"), "analyze", str(folder), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=engine_env(tmp),
        cwd=tmp,  # not the repository: the installed entry point, as a user runs it
    )
    os.close(slave)
    stdout, _ = process.communicate()
    wall = time.perf_counter() - started
    reader.join(timeout=5)
    os.close(master)
    if process.returncode != 0:
        raise SystemExit(f"dawg-ai exited {process.returncode}: {b''.join(shown).decode(errors='replace')[-2000:]}")
    return wall, children_cpu_s() - cpu, json.loads(stdout), b"".join(shown).decode("utf-8", errors="replace")


def direct(folder: Path) -> None:
    """(In a fresh process.) Decode and analyse every audio file of ``folder``; JSON on stdout."""
    started = time.perf_counter()
    from ai.analysis.pipeline import analyze
    from ai.audio.decode import decode_audio

    imported = time.perf_counter()
    results = []
    for path in sorted(folder.glob("*.wav")):
        body = analyze(decode_audio(path, name=path.name)).to_dict()
        results.append({"file": str(path), **{name: body.get(name) for name in COMPARED}})
    done = time.perf_counter()
    json.dump({"import_s": imported - started, "loop_s": done - imported, "results": results}, sys.stdout)


def run_direct(folder: Path, tmp: Path) -> tuple[float, float, dict[str, Any]]:
    """The same work in a fresh process, with the BLAS threads the CLI's in-process engine uses."""
    cpu = children_cpu_s()
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--direct", str(folder)],
        capture_output=True,
        check=True,
        env={**engine_env(tmp), BLAS_THREADS_VARIABLE: os.environ.get(BLAS_THREADS_VARIABLE, "1")},
        cwd=ROOT,
    )
    return time.perf_counter() - started, children_cpu_s() - cpu, json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="cli and direct runs, alternated")
    parser.add_argument("--direct", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.direct is not None:
        direct(args.direct)
        return
    tmp = Path(tempfile.mkdtemp(prefix="cli_analyze_"))
    folder = args.dir or tmp / "audio"
    paths = build_files(folder, args.files)
    seconds = sum(sf.info(path).duration for path in paths)
    n = len(paths)
    print(f"{n} files, {seconds:.0f} s of audio ({seconds / n:.1f} s a file, 5-30 s), in {folder}")

    one = tmp / "one"  # the first file alone: each side's fixed cost (imports, start-up, first-call compiles)
    one.mkdir(exist_ok=True)
    (one / paths[0].name).write_bytes(paths[0].read_bytes())
    runs: dict[str, list[tuple[float, float]]] = {"cli": [], "direct": [], "cli 1": [], "direct 1": []}
    for _ in range(args.repeats):
        for name, target in (("cli", folder), ("direct", folder), ("cli 1", one), ("direct 1", one)):
            if name.startswith("cli"):
                wall, cpu, answer, shown = run_cli(target, tmp)
                if target == folder:
                    rows, terminal = answer, shown
            else:
                wall, cpu, measured_now = run_direct(target, tmp)
                if target == folder:
                    measured = measured_now
            runs[name].append((wall, cpu))

    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)  # colours and cursor moves out
    counts = {int(k) for k in re.findall(rf"\b(\d+)/{n}\b", plain)}
    failed = [row["file"] for row in rows if "error" in row]
    same = sum(
        1
        for row, ref in zip(rows, measured["results"], strict=True)
        if row["file"] == ref["file"] and all(row.get(name) == ref[name] for name in COMPARED)
    )
    best = {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in runs.items()}
    for side, label in (("cli", "dawg-ai analyze DIR --format json"), ("direct", "decode_audio + analyze")):
        wall, cpu = best[side]
        wall1, cpu1 = best[f"{side} 1"]
        print(
            f"{side:6s} ({label}): {n} files {wall:5.1f} s wall ({1000 * wall / n:5.0f} ms a file), CPU {cpu:5.1f} s "
            f"({1000 * cpu / n:5.0f} ms a file); 1 file {wall1:4.1f} s wall, CPU {cpu1:4.1f} s; each further file "
            f"{1000 * (wall - wall1) / (n - 1):5.0f} ms wall, {1000 * (cpu - cpu1) / (n - 1):5.0f} ms CPU"
        )
    (cw, cc), (dw, dc) = best["cli"], best["direct"]
    (cw1, cc1), (dw1, dc1) = best["cli 1"], best["direct 1"]
    print(
        f"ratio cli/direct per file (goal <= 1.10): wall {cw / dw:.3f}, CPU {cc / dc:.3f}; "
        f"start-up left out: wall {(cw - cw1) / (dw - dw1):.3f}, CPU {(cc - cc1) / (dc - dc1):.3f} "
        f"(best of {args.repeats} runs each)"
    )
    for name, values in runs.items():
        print(f"  {name:8s} runs (wall s, CPU s): {[(round(w, 1), round(c, 1)) for w, c in values]}")
    print(
        f"progress bar: {len(counts)} distinct counts k/{n} drawn on the terminal"
        f" ({min(counts, default=0)}..{max(counts, default=0)}), {len(terminal)} bytes written to it"
    )
    print(f"results: {n - len(failed)} analysed, {len(failed)} failed; {same}/{n} equal to the direct analysis")


if __name__ == "__main__":
    main()
