#!/usr/bin/env python3
"""Bar-phase (downbeat) dev tool: which evidence of ``downbeat_phase`` points at the right beat.

For every item with downbeats (the real set's --split, or the subsets of a build_dataset.py set),
runs the engine's rhythm analysis on the pipeline's own features (decode_audio -> signal pass ->
spectral pass; cached with --cache), and records the beat-level evidence that the last call of
``downbeat_phase`` saw (the final beats) with the terms that ai.analysis.rhythm.meter computes. The
"right" phase is the one whose downbeats score best (downbeat F as bench/analysis_accuracy.py
computes it) on the engine's beats: the best the bar phase can do with those beats and that meter.

Prints, per item (-v) and in total, the phase each term alone picks, the engine's downbeat F,
the best constant phase's and the oracle's (the beats within 70 ms of a reference downbeat: the
phase free to change at every beat) and, for each --weights setting, the downbeat F the same
beats get under those weights (one phase for the piece, and with the phase free to change at
each --switch-cost, :func:`ai.analysis.rhythm.meter.bar_positions`), without re-running the
analysis. This chose the weights and PHASE_SWITCH_COST of ai/analysis/rhythm/meter.py (session 11).

Usage:
    bench/downbeat_dev.py data/real --split tune [-v] [--cache /tmp/db_cache]
    bench/downbeat_dev.py data/real_train3 data/real_train2@hold --cache /tmp/db_cache --weights ...
    bench/downbeat_dev.py data/eval --cache /tmp/db_cache --weights harm=2,low=1,accent=0,down=0.5 \
        --switch-cost 16 --switch-cost 20 --switch-cost 24
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_accuracy import downbeat_f  # noqa: E402
from real_split import in_split  # noqa: E402

from ai.analysis import rhythm  # noqa: E402
from ai.analysis.constants import ANALYSIS_SR  # noqa: E402
from ai.analysis.features import SharedFeatures, finish_features, spectral_pass  # noqa: E402
from ai.analysis.pipeline import summarize_audio  # noqa: E402
from ai.analysis.rhythm import core as rhythm_core  # noqa: E402
from ai.analysis.rhythm import meter as rhythm_meter  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402
from training.beat_activation import corpus_entries  # noqa: E402


@dataclass
class Item:
    name: str
    times: np.ndarray
    feats: dict[str, np.ndarray]
    bar: int
    ref: np.ndarray
    engine_f: float
    engine_moved_f: float
    """Downbeat F of the engine's bar lines moved half a bar (NaN for an odd bar)."""

    def f_at(self, phase: int) -> float:
        return downbeat_f(self.times[phase :: self.bar], self.ref)

    @property
    def oracle_f(self) -> float:
        """Downbeat F of the beats that lie within 70 ms of a reference downbeat (phase free to change)."""
        near = np.abs(self.times[:, None] - self.ref[None, :]).min(axis=1) <= 0.07
        return downbeat_f(self.times[near], self.ref)

    @property
    def f_by_phase(self) -> list[float]:
        return [self.f_at(p) for p in range(self.bar)]


def features(path: Path, cache: Path | None) -> SharedFeatures:
    key = None
    if cache is not None:
        key = cache / (hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16] + ".pkl")
        if key.exists() and key.stat().st_mtime >= path.stat().st_mtime:
            cached: SharedFeatures = pickle.loads(key.read_bytes())
            return cached
    summary = summarize_audio(decode_audio(path))
    feats = finish_features(spectral_pass(summary.y, ANALYSIS_SR))
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_bytes(pickle.dumps(feats))
    return feats


def record(feats: SharedFeatures) -> tuple[Any, dict[str, np.ndarray] | None, int]:
    """The rhythm result and the evidence of the last ``downbeat_phase`` call."""
    seen: list[tuple[dict[str, np.ndarray], int]] = []
    original = rhythm_core.downbeat_phase

    def spy(beat_feats: dict[str, np.ndarray], beats_per_bar: int) -> tuple[int, np.ndarray]:
        seen.append((beat_feats, beats_per_bar))
        return original(beat_feats, beats_per_bar)

    rhythm_core.downbeat_phase = spy  # type: ignore[assignment]
    try:
        res = rhythm.estimate_rhythm(feats)
    finally:
        rhythm_core.downbeat_phase = original  # type: ignore[assignment]
    if not seen:
        return res, None, 0
    last, bar = seen[-1]
    if bar != res.beats_per_bar or last["harm"].shape[0] != res.beat_times.shape[0]:
        return res, None, 0  # the 6/8 regrid: phase read on another grid
    return res, last, bar


def load_items(datasets: list[str], split: str, cache: Path | None) -> list[Item]:
    """Items with downbeats of each dataset: the real set (its --split), a build_dataset.py set (its
    subsets), or a training.real_corpus corpus as FOLDER, FOLDER@fit or FOLDER@hold (its quarter that
    the beat network never saw, training.beat_activation.held_out)."""
    items = []
    for spec in datasets:
        name, _, part = spec.partition("@")
        dataset = Path(name)
        truth_file = dataset / "ground_truth.json"
        # An augmented corpus names its files "audio/NNNN.flac", relative to the folder; the real set "x.wav".
        corpus = part or (truth_file.exists() and '"file": "audio/' in truth_file.read_text())
        if corpus:
            groups = [(*corpus_entries(spec), False)]
        elif truth_file.exists() and (dataset / "audio").exists():
            groups = [(dataset / "audio", json.loads(truth_file.read_text()), True)]
        else:
            groups = [(p.parent, json.loads(p.read_text()), False) for p in sorted(dataset.glob("*/ground_truth.json"))]
        for folder, truths, real in groups:
            for truth in truths:
                if not truth.get("downbeats_s") or (real and not in_split(truth, split)):
                    continue
                res, ev, bar = record(features(folder / truth["file"], cache))
                name = f"{folder.name}/{truth['file']}" if not real else truth["file"]
                if ev is None or bar < 2:
                    print(f"  (skipped {name}: no bar phase on the final grid)")
                    continue
                ref = np.asarray(truth["downbeats_s"], dtype=float)
                times = np.asarray(res.beat_times, dtype=float)
                engine_f = downbeat_f(np.asarray(res.downbeat_times, dtype=float), ref)
                items.append(Item(name, times, ev, bar, ref, engine_f, moved_f(times, res.downbeat_times, bar, ref)))
    return items


def moved_f(times: np.ndarray, downbeats: np.ndarray, bar: int, ref: np.ndarray) -> float:
    """Downbeat F of the bar lines ``downbeats`` (some of ``times``) moved by half a ``bar`` of beats."""
    if bar % 2:
        return float("nan")
    moved = np.searchsorted(times, np.asarray(downbeats, dtype=float)) + bar // 2
    return downbeat_f(times[moved[moved < times.shape[0]]], ref)


HALF_BAR_OFF = 0.5
"""An item's bar lines are half a bar off when moving them half a bar raises its downbeat F this much."""


def parse_weights(spec: str) -> dict[str, float]:
    return {k: float(v) for k, v in (part.split("=") for part in spec.split(","))}


def evidence_under(item: Item, weights: dict[str, float]) -> np.ndarray:
    zero = np.zeros(item.times.shape[0])
    return zero + sum(w * rhythm_meter._zscore(item.feats[k]) for k, w in weights.items() if k in item.feats)


def phase_under(item: Item, weights: dict[str, float]) -> int:
    evidence = evidence_under(item, weights)
    return int(np.argmax([float(np.mean(evidence[p :: item.bar])) for p in range(item.bar)]))


def f_switching(item: Item, weights: dict[str, float], cost: float) -> float:
    positions = rhythm_meter.bar_positions(evidence_under(item, weights), item.bar, cost)
    return downbeat_f(item.times[positions == 0], item.ref)


def report(items: list[Item], settings: list[str], costs: list[float], verbose: bool) -> None:
    terms = [k for k in ("harm", "low", "accent", "down", "bass") if items and k in items[0].feats]
    best_total, engine_total, oracle_total = 0.0, 0.0, 0.0
    right = {t: 0 for t in terms}
    for item in items:
        fs = item.f_by_phase
        best = int(np.argmax(fs))
        best_total += fs[best]
        engine_total += item.engine_f
        oracle_total += item.oracle_f
        picks = {t: phase_under(item, {t: 1.0}) for t in terms}
        for t in terms:
            right[t] += int(fs[picks[t]] >= fs[best] - 1e-9)
        if verbose:
            shown = " ".join(f"{t}={picks[t]}" for t in terms)
            print(
                f"  {item.name[:44]:<44} bar {item.bar} right {best} (F {fs[best]:.2f}) "
                f"engine F {item.engine_f:.2f} oracle {item.oracle_f:.2f}  {shown}"
            )
    n = max(1, len(items))
    off = [item.name for item in items if item.engine_moved_f - item.engine_f >= HALF_BAR_OFF]
    if verbose and off:
        print("  half a bar off: " + ", ".join(off))
    print(
        f"{len(items)} items ({len(off)} half a bar off): engine downbeat F {100 * engine_total / n:.1f}, "
        f"best phase {100 * best_total / n:.1f}, "
        f"oracle (phase free per beat) {100 * oracle_total / n:.1f}; "
        + ", ".join(f"{t} alone right {right[t]}" for t in terms)
    )
    for spec in settings:
        weights = parse_weights(spec)
        total = sum(item.f_at(phase_under(item, weights)) for item in items)
        switching = ", ".join(
            f"switch cost {c:g}: {100 * sum(f_switching(item, weights, c) for item in items) / n:.1f}" for c in costs
        )
        print(f"  weights {spec}: downbeat F one phase {100 * total / n:.1f}" + (f"; {switching}" if costs else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="+", help="data/real, a build_dataset.py set, or a corpus (FOLDER[@hold])")
    parser.add_argument("--split", default="tune", help="real set only: all, tune or heldout")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--weights", action="append", default=[], help="term=w,... (harm, low, accent, down)")
    parser.add_argument("--switch-cost", type=float, action="append", default=[], help="bar_positions' switch cost")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    items = load_items(args.datasets, args.split, args.cache)
    report(items, args.weights, args.switch_cost, args.verbose)


if __name__ == "__main__":
    main()
