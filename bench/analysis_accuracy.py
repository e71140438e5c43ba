"""Accuracy of the engine's analysis against the seed's method on an annotated dataset.

Usage:
    python bench/analysis_accuracy.py --dataset data/eval [--no-seed] [--limit N] [--sweep]

DATASET is a folder in the format of ../shared/eval/build_dataset.py: one or more subsets
(sub-folders, e.g. chorales/ and songs/), each with audio files and a ground_truth.json list of
{"file", "bpm", "key", "meter", "beats_s", "downbeats_s" | null, "chords_per_bar"?}. A folder
that itself holds ground_truth.json is one subset. Prints one table per subset, scored with
mir_eval: tempo Acc1 / Acc2 (4% tolerance; Acc2 also accepts x2, x1/2, x3, x1/3), beat
F-measure, CMLt, AMLt, downbeat F-measure, meter accuracy, key MIREX weighted score, chord majmin
accuracy (against chords_per_bar over the reference bars). The seed's results are cached in
bench/out/seed_cache.json (keyed by path, size and mtime) because they never change.

--sweep evaluates alternative key and chord settings on the same features (method selection).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.analysis.seed_method import seed_analyze  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402

CACHE = Path(__file__).resolve().parent / "out" / "seed_cache.json"
COLUMNS = ["Acc1", "Acc2", "beatF", "CMLt", "AMLt", "downF", "meter", "key", "chords", "chord7"]


def tempo_scores(est: float | None, ref: float) -> tuple[float, float]:
    """(Acc1, Acc2) in {0, 1} at 4% tolerance."""
    if not est:
        return 0.0, 0.0
    acc1 = abs(est - ref) <= 0.04 * ref
    acc2 = any(abs(est - ref * f) <= 0.04 * ref * f for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0))
    return float(acc1), float(acc2)


def beat_scores(est: np.ndarray, ref: np.ndarray) -> tuple[float, float, float]:
    """(F-measure, CMLt, AMLt) with mir_eval's defaults (beats in the first 5 s are ignored)."""
    ref_t = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float))
    est_t = mir_eval.beat.trim_beats(np.asarray(est, dtype=float))
    if len(ref_t) < 2 or len(est_t) < 2:
        return 0.0, 0.0, 0.0
    f = mir_eval.beat.f_measure(ref_t, est_t)
    _cmlc, cmlt, _amlc, amlt = mir_eval.beat.continuity(ref_t, est_t)
    return f, cmlt, amlt


def downbeat_f(est: np.ndarray, ref: np.ndarray) -> float:
    ref_t = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float))
    est_t = mir_eval.beat.trim_beats(np.asarray(est, dtype=float))
    if len(ref_t) == 0 or len(est_t) == 0:
        return 0.0
    return float(mir_eval.beat.f_measure(ref_t, est_t))


def key_score(est: str | None, ref: str) -> float:
    if not est:
        return 0.0
    return float(mir_eval.key.weighted_score(ref, est))


_CHORD_RE = re.compile(r"^([A-G][#b]?)(.*)$")
_QUALITY = {"": "maj", "m": "min", "7": "7", "M7": "maj7", "maj7": "maj7", "m7": "min7", "dim": "dim", "aug": "aug"}


def to_harte(label: str) -> str:
    """'Am' -> 'A:min', 'BbM7' / 'Bbmaj7' -> 'Bb:maj7', 'G7' -> 'G:7', 'N' -> 'N'."""
    if label in ("N", "X", ""):
        return "N"
    match = _CHORD_RE.match(label)
    if not match or match.group(2) not in _QUALITY:
        return "X"
    return f"{match.group(1)}:{_QUALITY[match.group(2)]}"


def chord_majmin(
    est_chords: list[dict[str, Any]], truth: dict[str, Any], duration: float, *, vocabulary: str = "majmin"
) -> float | None:
    """Duration-weighted chord accuracy (mir_eval ``vocabulary``: majmin or sevenths) over the
    reference bars, or None without chord truth."""
    labels = truth.get("chords_per_bar")
    downbeats = truth.get("downbeats_s")
    if not labels or not downbeats:
        return None
    bar = downbeats[1] - downbeats[0] if len(downbeats) > 1 else duration
    ref_iv = np.array([[d, d + bar] for d in downbeats[: len(labels)]])
    ref_lab = [to_harte(x) for x in labels[: len(ref_iv)]]
    if not est_chords:
        return 0.0
    est_iv = np.array([[c["start"], c["end"]] for c in est_chords])
    est_lab = [to_harte(c["label"]) for c in est_chords]
    est_iv, est_lab = mir_eval.util.adjust_intervals(
        est_iv, est_lab, ref_iv.min(), ref_iv.max(), mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD
    )
    iv, ref_l, est_l = mir_eval.util.merge_labeled_intervals(ref_iv, ref_lab, est_iv, est_lab)
    comparisons = getattr(mir_eval.chord, vocabulary)(ref_l, est_l)
    return float(mir_eval.chord.weighted_accuracy(comparisons, mir_eval.util.intervals_to_durations(iv)))


@dataclass
class StartCounts:
    """How the engine's grid begins, which the scores above do not see (mir_eval ignores the first
    5 s): for files whose first reference beat (downbeat) lies in the first START_S, whether the
    engine reports one within START_WINDOW_S of it; and files with a beat time below zero."""

    beat_files: int = 0
    beat_found: int = 0
    downbeat_files: int = 0
    downbeat_found: int = 0
    negative: int = 0
    offsets: list[float] = field(default_factory=list)
    """Engine beat minus the nearest reference beat (s), for the beats within START_WINDOW_S of one."""

    def add(self, result: dict[str, Any], truth: dict[str, Any]) -> None:
        beats = np.asarray(result.get("beat_times") or [])
        downbeats = np.asarray(result.get("downbeat_times") or [])
        self.negative += int(beats.size > 0 and beats.min() < 0)
        reference = np.asarray(truth["beats_s"])
        if beats.size and reference.size:
            signed = beats - reference[np.abs(beats[:, None] - reference[None, :]).argmin(axis=1)]
            self.offsets += [float(x) for x in signed[np.abs(signed) <= START_WINDOW_S]]
        if truth["beats_s"] and truth["beats_s"][0] <= START_S:
            self.beat_files += 1
            self.beat_found += int(beats.size > 0 and np.abs(beats - truth["beats_s"][0]).min() <= START_WINDOW_S)
        if truth.get("downbeats_s") and truth["downbeats_s"][0] <= START_S:
            self.downbeat_files += 1
            first = truth["downbeats_s"][0]
            self.downbeat_found += int(downbeats.size > 0 and np.abs(downbeats - first).min() <= START_WINDOW_S)

    def summary(self) -> str:
        return (
            f"start of the grid: first beat found in {self.beat_found}/{self.beat_files} files that begin on a beat, "
            f"first downbeat in {self.downbeat_found}/{self.downbeat_files}; files with a negative beat time: "
            f"{self.negative}; median beat offset (engine - reference) "
            f"{1000 * float(np.median(self.offsets)) if self.offsets else float('nan'):+.1f} ms"
        )


START_S = 0.05
START_WINDOW_S = 0.07


def score_one(result: dict[str, Any], truth: dict[str, Any]) -> dict[str, float | None]:
    acc1, acc2 = tempo_scores(result.get("tempo"), float(truth["bpm"]))
    f, cmlt, amlt = beat_scores(np.asarray(result.get("beat_times", [])), np.asarray(truth["beats_s"]))
    down = None
    if truth.get("downbeats_s") and "downbeat_times" in result:
        down = downbeat_f(np.asarray(result.get("downbeat_times") or []), np.asarray(truth["downbeats_s"]))
    meter = None
    if truth.get("meter") and "time_signature" in result:
        meter = float(result.get("time_signature") == truth["meter"])
    chords = chord7 = None
    if "chords" in result:
        chords = chord_majmin(result["chords"], truth, float(result.get("duration") or 0.0))
        chord7 = chord_majmin(result["chords"], truth, float(result.get("duration") or 0.0), vocabulary="sevenths")
    return {
        "Acc1": acc1,
        "Acc2": acc2,
        "beatF": f,
        "CMLt": cmlt,
        "AMLt": amlt,
        "downF": down,
        "meter": meter,
        "key": key_score(result.get("key"), truth["key"]),
        "chords": chords,
        "chord7": chord7,
    }


def _load_cache() -> dict[str, Any]:
    return json.loads(CACHE.read_text()) if CACHE.exists() else {}


def _seed_result(path: Path, cache: dict[str, Any]) -> dict[str, Any]:
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"
    if key not in cache:
        r = seed_analyze(path)
        cache[key] = {"tempo": r.tempo, "beat_times": [float(t) for t in r.beat_times], "key": r.key}
    return cache[key]


def subsets(dataset: Path) -> list[Path]:
    if (dataset / "ground_truth.json").exists():
        return [dataset]
    return sorted(p.parent for p in dataset.glob("*/ground_truth.json"))


def _table(name: str, rows: dict[str, list[dict[str, float | None]]]) -> None:
    print(f"\n== {name} ({len(next(iter(rows.values())))} files) ==")
    print(f"{'method':<10}" + "".join(f"{c:>8}" for c in COLUMNS))
    for method, scores in rows.items():
        cells = []
        for column in COLUMNS:
            values = [s[column] for s in scores if s[column] is not None]
            cells.append(f"{100 * np.mean(values):8.1f}" if values else f"{'-':>8}")
        print(f"{method:<10}" + "".join(cells))


def run(dataset: Path, *, with_seed: bool, limit: int | None, verbose: bool) -> None:
    cache = _load_cache()
    for subset in subsets(dataset):
        truths = json.loads((subset / "ground_truth.json").read_text())[:limit]
        rows: dict[str, list[dict[str, float | None]]] = {"engine": []}
        if with_seed:
            rows["seed"] = []
        elapsed = 0.0
        starts = StartCounts()
        for truth in truths:
            path = subset / truth["file"]
            audio = decode_audio(path)
            start = time.perf_counter()
            result = analyze(audio).to_dict()
            elapsed += time.perf_counter() - start
            scores = score_one(result, truth)
            rows["engine"].append(scores)
            starts.add(result, truth)
            if verbose:
                print(
                    f"{truth['file']:<18} ref {truth['bpm']:>5} {truth['key']:<9} {truth.get('meter')} | "
                    f"est {result['tempo']} {result['key']} {result['time_signature']} "
                    f"tun {result['tuning_cents']} | "
                    + " ".join(f"{k}={v:.2f}" for k, v in scores.items() if v is not None)
                )
            if with_seed:
                seed = _seed_result(path, cache)
                rows["seed"].append(score_one(seed, truth))
        _table(subset.name, rows)
        print(f"engine analysis time: {elapsed:.1f} s for {len(truths)} files")
        print(starts.summary())
    if with_seed:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(cache))


def sweep(dataset: Path, *, limit: int | None) -> None:
    """Key and chord settings compared on the same features (and the engine's beats/downbeats)."""
    from ai.analysis import tonal
    from ai.analysis.constants import ANALYSIS_SR
    from ai.analysis.features import compute_features
    from ai.analysis.pipeline import _rhythm, to_analysis_rate

    base_key, base_chord = tonal.KeyConfig(), tonal.ChordConfig()
    key_variants = {
        "default": base_key,
        "krumhansl": replace(base_key, profiles=("krumhansl",)),
        "temperley": replace(base_key, profiles=("temperley",)),
        "edma": replace(base_key, profiles=("edma",)),
        "all_four": replace(base_key, profiles=("krumhansl", "temperley", "albrecht_shanahan", "edma")),
        "no_bass": replace(base_key, bass_weight=0.0),
        "no_harmonic": replace(base_key, harmonic_weights=()),
        "no_compress": replace(base_key, compression=0.0),
    }
    chord_variants = {
        "default": base_chord,
        "triads_only": replace(base_chord, qualities=("", "m")),
        "7th_thr.5": replace(base_chord, seventh_threshold=0.5),
        "7th_thr.7": replace(base_chord, seventh_threshold=0.7),
        "4_harmonics": replace(base_chord, harmonic_weights=(1.0, 0.5, 0.33, 0.25)),
        "no_harmonic": replace(base_chord, harmonic_weights=()),
        "bass1.0": replace(base_chord, bass_weight=1.0),
        "no_bass": replace(base_chord, bass_weight=0.0),
        "sticky": replace(base_chord, emission_sharpness=20.0),
        "per_beat": base_chord,
    }
    for subset in subsets(dataset):
        truths = json.loads((subset / "ground_truth.json").read_text())[:limit]
        key_scores: dict[str, list[float]] = {k: [] for k in key_variants}
        chord_scores: dict[str, list[float]] = {k: [] for k in chord_variants}
        seventh_scores: dict[str, list[float]] = {k: [] for k in chord_variants}
        for truth in truths:
            audio = decode_audio(subset / truth["file"])
            features = compute_features(to_analysis_rate(audio), ANALYSIS_SR)
            for name, config in key_variants.items():
                key_scores[name].append(key_score(tonal.estimate_key(features, config).key, truth["key"]))
            if not truth.get("chords_per_bar"):
                continue
            rhythm = _rhythm(features)
            for name, config in chord_variants.items():
                downbeats = None if name == "per_beat" else rhythm.downbeat_times
                chords = tonal.estimate_chords(
                    features, beat_times=rhythm.beat_times, downbeat_times=downbeats, config=config
                )
                as_dicts = [c.to_dict() for c in chords]
                chord_scores[name].append(chord_majmin(as_dicts, truth, features.duration) or 0.0)
                seventh_scores[name].append(
                    chord_majmin(as_dicts, truth, features.duration, vocabulary="sevenths") or 0.0
                )
        print(f"\n== {subset.name}: key MIREX by variant ==")
        for name, values in key_scores.items():
            print(f"  {name:<12} {100 * np.mean(values):6.1f}")
        if any(chord_scores.values()):
            print(f"== {subset.name}: chord majmin / sevenths by variant ==")
            for name, values in chord_scores.items():
                print(f"  {name:<12} {100 * np.mean(values):6.1f} {100 * np.mean(seventh_scores[name]):6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's method")
    parser.add_argument("--limit", type=int, default=None, help="first N files of each subset")
    parser.add_argument("--verbose", action="store_true", help="one line per file")
    parser.add_argument("--sweep", action="store_true", help="compare key/chord settings instead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    if args.sweep:
        sweep(args.dataset, limit=args.limit)
    else:
        run(args.dataset, with_seed=not args.no_seed, limit=args.limit, verbose=args.verbose)


if __name__ == "__main__":
    main()
