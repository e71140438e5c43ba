#!/usr/bin/env python3
"""Accompaniment on real recordings: do the generated drums and bass land on the annotated beats?

bench/accompaniment.py measures the accompaniment on renders whose drums and bass are muted (exact beats
from the MIDI). Users bring recordings; this bench takes the real development set's items with beat
annotations (data/real, /work/shared/eval/real/README.md: RWC, Saarland Music Data, Hainsworth, SIMAC,
Beatles songs, a tango; their own drums and bass still play) and, as the service does, analyses each
recording and accompanies it with drums and bass (seed 0). The split is bench/real_split.py's; a tuning
run (``--split tune``) never analyses the held-out items, so they stay unseen until they are scored once.

Per item: the share of annotated beats with a generated drum or bass onset within 20 ms (the issue's
measure on renders) and within 70 ms (a beat tracker's window), the median signed offset (ms, + late)
of the accompaniment's grid from the annotated beats it lies within 70 ms of, and, where downbeats are
annotated, the share of annotated downbeats on which one of the accompaniment's bars starts (70 ms), and
where chords are annotated (four Beatles songs), the share of bars whose bass plays the chord's root, and ("mid")
the share of bars whose annotated chord changes root between the bar line and the middle of the bar (beat 3 of
4/4) where the bass note struck at the middle plays the new root (bars that change chord at their middle:
session 32). As
bench/analysis_accuracy.py scores beats, the first TRIM_S seconds are left out (annotators' pickup and
count-in); the analysis's own beat F is printed beside for reference.

Usage: .venv/bin/python bench/accompaniment_real.py [--dataset data/real] [--split tune|heldout|all]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from real_split import SPLITS, in_split, is_tiny  # noqa: E402

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402
from ai.generation.accompaniment import AccompanimentOptions, NoBeatFound, PlacedNote, accompany  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402

TRIM_S = 5.0
NEAR_S = 0.020
TRACKED_S = 0.070


def near_share(times: np.ndarray, targets: np.ndarray, window: float) -> float:
    """Share of ``targets`` with one of ``times`` within ``window`` seconds."""
    if targets.size == 0:
        return float("nan")
    if times.size == 0:
        return 0.0
    idx = np.clip(np.searchsorted(times, targets), 1, times.size - 1)
    nearest = np.minimum(np.abs(times[idx] - targets), np.abs(times[idx - 1] - targets))
    if times.size == 1:
        nearest = np.abs(times[0] - targets)
    return float(np.mean(nearest <= window))


def median_offset_ms(times: np.ndarray, targets: np.ndarray) -> float:
    """Median signed offset (ms, + late) of the nearest of ``times`` to each target within TRACKED_S."""
    if times.size == 0 or targets.size == 0:
        return float("nan")
    diffs = np.array([times[np.argmin(np.abs(times - t))] - t for t in targets])
    diffs = diffs[np.abs(diffs) <= TRACKED_S]
    return float(np.median(diffs) * 1000.0) if diffs.size else float("nan")


def bass_roots(bass: list[PlacedNote], bar_starts: np.ndarray, chords: list[dict[str, Any]], trim: float) -> float:
    """Share of bars (after ``trim``, under an annotated chord that is not N) whose lowest bass note on the bar
    line (within NEAR_S) plays the annotated chord's root (Harte labels read by mir_eval)."""
    right = scored = 0
    for start in bar_starts[bar_starts >= trim]:
        at = start + 0.05  # the chord sounding just after the bar line
        label = next((c["label"] for c in chords if c["start"] <= at < c["end"]), "N")
        root = mir_eval.chord.encode(label)[0]
        if root < 0:
            continue
        on_line = [n.pitch for n in bass if abs(n.start - start) <= NEAR_S]
        scored += 1
        right += bool(on_line) and min(on_line) % 12 == root
    return right / scored if scored else float("nan")


def half_bar_roots(
    bass: list[PlacedNote], bar_starts: np.ndarray, middles: np.ndarray, chords: list[dict[str, Any]], trim: float
) -> tuple[int, int]:
    """(bars whose lowest bass note at the middle of the bar, within NEAR_S, plays the annotated chord sounding
    there, bars scored): the bars after ``trim`` whose annotated chord just after the middle (a chord, not N) has
    another root than the one just after the bar line."""
    right = scored = 0
    for start, middle in zip(bar_starts, middles, strict=True):
        if start < trim:
            continue
        roots = []
        for at in (start + 0.05, middle + 0.05):
            label = next((c["label"] for c in chords if c["start"] <= at < c["end"]), "N")
            roots.append(mir_eval.chord.encode(label)[0])
        if roots[1] < 0 or roots[1] == roots[0]:
            continue
        on_middle = [n.pitch for n in bass if abs(n.start - middle) <= NEAR_S]
        scored += 1
        right += bool(on_middle) and min(on_middle) % 12 == roots[1]
    return right, scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=REPO / "data" / "real")
    parser.add_argument(
        "--harmony", default="auto", choices=("auto", "recording", "melody"), help="the route's harmony option"
    )
    parser.add_argument(
        "--split",
        default="all",
        choices=SPLITS,
        help="which of bench/real_split.py's parts to run (tune: the held-out items are not even analysed)",
    )
    args = parser.parse_args()
    truths = [
        t
        for t in json.loads((args.dataset / "ground_truth.json").read_text())
        if t.get("beats_s") and in_split(t, args.split)
    ]
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(load_dynamics(REPO / "models")))
    header = (
        f"{'item':52} {'split':8} {'beats':>5} {'20 ms':>6} {'70 ms':>6} {'grid ms':>8} {'bars':>6} {'roots':>6} "
        f"{'mid':>7} {'analysis F':>10} harmony"
    )
    root_rows: dict[str, list[float]] = {}
    middle_rows: dict[str, list[tuple[int, int]]] = {}
    print(header)
    pooled: dict[str, list[tuple[int, float, float, float, float]]] = {}
    for truth in sorted(truths, key=lambda t: (is_tiny(t), t["file"])):
        split = "held-out" if in_split(truth, "heldout") else "tune"
        group = f"{split}{' (tiny)' if is_tiny(truth) else ''}"
        trim = 0.0 if is_tiny(truth) else TRIM_S
        beats = np.asarray(truth["beats_s"], dtype=np.float64)
        beats = beats[beats >= trim]
        audio = decode_audio(args.dataset / "audio" / truth["file"])
        analysis = analyze(audio)
        found = np.asarray(analysis.beat_times, dtype=np.float64)
        beat_f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(beats, trim), found[found >= trim])
        try:
            options = AccompanimentOptions(parts=("drums", "bass"), seed=0, harmony=args.harmony)
            result = accompany(audio, analysis, registry, options)
        except NoBeatFound as exc:
            print(f"{truth['file'][:52]:52} {group:8} {beats.size:5d}  no accompaniment: {exc}")
            pooled.setdefault(group, []).append((beats.size, 0.0, 0.0, float("nan"), float("nan")))
            continue
        onsets = np.array(sorted({n.start for part in ("drums", "bass") for n in result.parts[part]}))
        grid = result.grid
        positions = np.arange(grid.end_position + 1)
        grid_times = np.asarray(grid.time_at(positions), dtype=np.float64)
        bar_starts = np.asarray(grid.time_at(grid.bar_starts.astype(np.float64)), dtype=np.float64)
        near, tracked = near_share(onsets, beats, NEAR_S), near_share(onsets, beats, TRACKED_S)
        offset = median_offset_ms(grid_times, beats)
        downbeats = np.asarray(truth.get("downbeats_s") or [], dtype=np.float64)
        downbeats = downbeats[downbeats >= trim]
        bars = near_share(bar_starts, downbeats, TRACKED_S) if downbeats.size else float("nan")
        roots = bass_roots(result.parts["bass"], bar_starts, truth["chords"], trim) if truth.get("chords") else np.nan
        middle_text = f"{'-':>7}"
        if truth.get("chords") and grid.numerator == 4:
            middles = np.asarray(grid.time_at(grid.bar_starts[:-1].astype(np.float64) + 2.0), dtype=np.float64)
            middle = half_bar_roots(result.parts["bass"], bar_starts[:-1], middles, truth["chords"], trim)
            middle_rows.setdefault(group, []).append(middle)
            middle_text = f"{middle[0]:3d}/{middle[1]:<3d}"
        pooled.setdefault(group, []).append((beats.size, near, tracked, offset, bars))
        if np.isfinite(roots):
            root_rows.setdefault(group, []).append(roots)
        bars_text = f"{bars:6.2f}" if np.isfinite(bars) else f"{'-':>6}"
        roots_text = f"{roots:6.2f}" if np.isfinite(roots) else f"{'-':>6}"
        print(
            f"{truth['file'][:52]:52} {group:8} {beats.size:5d} {near:6.3f} {tracked:6.3f} {offset:+8.1f} "
            f"{bars_text} {roots_text} {middle_text} {beat_f:10.3f} {result.harmony_source}",
            flush=True,
        )
    for group, rows in pooled.items():
        n = np.array([r[0] for r in rows], dtype=np.float64)
        near = float(np.sum(n * [r[1] for r in rows]) / n.sum())
        tracked = float(np.sum(n * [r[2] for r in rows]) / n.sum())
        offsets = [r[3] for r in rows if np.isfinite(r[3])]
        bar_rows = [r[4] for r in rows if np.isfinite(r[4])]
        print(
            f"{group}: {len(rows)} recordings, {int(n.sum())} beats: a drum or bass onset within 20 ms of "
            f"{near:.3f} of the annotated beats, within 70 ms {tracked:.3f}; median grid offset per item "
            f"{np.median(offsets) if offsets else float('nan'):+.1f} ms; bars starting on annotated downbeats "
            f"{np.mean(bar_rows) if bar_rows else float('nan'):.2f} (mean of {len(bar_rows)} items)"
            + (
                f"; bass on the annotated chords' roots {np.mean(root_rows[group]):.2f} (mean of {len(root_rows[group])})"
                if root_rows.get(group)
                else ""
            )
            + (
                f"; at the middle of the bars whose chord changes there, the new root "
                f"{sum(r for r, _ in middle_rows[group])}/{sum(n for _, n in middle_rows[group])}"
                if middle_rows.get(group)
                else ""
            )
        )


if __name__ == "__main__":
    main()
