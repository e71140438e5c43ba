#!/usr/bin/env python3
"""Quick dev scorer for ai.analysis.rhythm on an annotated folder (build_dataset.py format).

For every subset folder (holding ground_truth.json) under --dataset: decode -> mono -> resample to
ANALYSIS_SR -> compute_features -> estimate_rhythm, scored with mir_eval (tempo Acc1/Acc2 at 4 %,
beat F-measure (70 ms), CMLt/AMLt, downbeat F-measure, meter accuracy). Beats and downbeats
before 5 s are ignored, as mir_eval.beat.evaluate does. Features can be cached (--cache DIR) so
that rhythm-only changes re-score in seconds.

Usage: bench/rhythm_dev.py --dataset data/eval [--cache /tmp/rhythm_cache] [--subset songs] [--clip] [-v] [--no-net]
       bench/rhythm_dev.py --dataset data/real --split tune [--cache DIR] [-v]   (the real set's beat-annotated
       main items of one side of bench/real_split.py's split; the clips under 6 s apart, not scored)
       bench/rhythm_dev.py --corpus data/real_train2@hold [--no-net]   (held-out augmented renders)
       bench/rhythm_dev.py ... --resample 8000   (every file band-limited first: resampled to 8000 Hz with soxr
       HQ, as bench/analysis_accuracy.py --resample does and an 8 kHz file would hold it)
       bench/rhythm_dev.py --speed bench/out/speed_3min.wav   (warm time of estimate_rhythm alone)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mir_eval  # noqa: E402
import soundfile as sf  # noqa: E402
import soxr  # noqa: E402

from ai.analysis.constants import ANALYSIS_SR  # noqa: E402
from ai.analysis.features import SharedFeatures, compute_features  # noqa: E402
from ai.analysis.rhythm import estimate_rhythm  # noqa: E402


def features_for(wav: Path, cache: Path | None, resample: int | None = None) -> SharedFeatures:
    key = None
    if cache is not None:
        # Keyed by the whole path: every set built by build_dataset.py has a songs/song00.wav.
        where = hashlib.sha1(str(wav.resolve()).encode()).hexdigest()[:12]
        rate = f"__{resample}Hz" if resample else ""
        key = cache / f"{wav.parent.name}__{wav.name}__{where}{rate}.pkl"
        if key.exists() and key.stat().st_mtime >= wav.stat().st_mtime:
            cached: SharedFeatures = pickle.loads(key.read_bytes())
            if _has_mel(cached):  # caches from before the shared mel are rebuilt
                return cached
    y, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    if resample:
        y, sr = soxr.resample(y, sr, resample, quality="HQ"), resample
    y = soxr.resample(y.mean(axis=1), sr, ANALYSIS_SR).astype(np.float32)
    feats = compute_features(y, ANALYSIS_SR)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_bytes(pickle.dumps(feats))  # the features hold no STFT: the rhythm reads the shared mel
    return feats


def _has_mel(feats: object) -> bool:
    return hasattr(feats, "mel")


def tempo_hits(est: float, ref: float) -> tuple[bool, bool]:
    if not est:
        return False, False
    acc1 = abs(est - ref) <= 0.04 * ref
    acc2 = any(abs(est - ref * f) <= 0.04 * ref * f for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0))
    return acc1, acc2


def score_subset(
    folder: Path,
    cache: Path | None,
    verbose: bool,
    clip: bool,
    *,
    truth: list[dict[str, Any]] | None = None,
    net: bool = True,
    resample: int | None = None,
) -> dict[str, float]:
    if truth is None:
        truth = json.loads((folder / "ground_truth.json").read_text())
    rows = []
    offsets: list[float] = []
    seconds = 0.0
    for item in truth:
        feats = features_for(folder / item["file"], cache, resample)
        t0 = time.perf_counter()
        res = estimate_rhythm(feats) if net else estimate_rhythm(feats, beat_net=None)
        seconds += time.perf_counter() - t0
        ref_beats = mir_eval.beat.trim_beats(np.asarray(item["beats_s"], dtype=float))
        est = np.asarray(res.beat_times, dtype=float)
        if clip and len(item["beats_s"]) > 1:
            # Only the annotated span is scored (the chorales' audio plays repeats that the
            # annotation, made from the unexpanded score, does not cover).
            est = est[est <= item["beats_s"][-1] + 0.5 * 60.0 / float(item["bpm"])]
        est_beats = mir_eval.beat.trim_beats(est)
        acc1, acc2 = tempo_hits(res.tempo, float(item["bpm"]))
        beat_f = mir_eval.beat.f_measure(ref_beats, est_beats)
        cmlc, cmlt, amlc, amlt = mir_eval.beat.continuity(ref_beats, est_beats)
        row = {"acc1": acc1, "acc2": acc2, "beat_f": beat_f, "cmlt": cmlt, "amlt": amlt}
        reference = np.asarray(item["beats_s"], dtype=float)
        if est.size and reference.size:
            signed = est - reference[np.abs(est[:, None] - reference[None, :]).argmin(axis=1)]
            offsets += [float(x) for x in signed[np.abs(signed) <= 0.07]]
        if item.get("downbeats_s"):
            ref_db = mir_eval.beat.trim_beats(np.asarray(item["downbeats_s"], dtype=float))
            est_db = np.asarray(res.downbeat_times, dtype=float)
            if clip:
                est_db = est_db[est_db <= item["downbeats_s"][-1] + 0.5 * 60.0 / float(item["bpm"])]
            est_db = mir_eval.beat.trim_beats(est_db)
            row["downbeat_f"] = mir_eval.beat.f_measure(ref_db, est_db)
        if item.get("meter"):
            meter = item["meter"]  # "3/4" in the rendered sets, beats per bar (3) in the real set
            row["meter"] = res.time_signature == meter if isinstance(meter, str) else res.beats_per_bar == int(meter)
        rows.append(row)
        if verbose:
            extra = f" db {row.get('downbeat_f', float('nan')):.2f}"
            print(
                f"  {item['file']:<22} ref {item['bpm']:>6} {item.get('meter')}  est {res.tempo:>6} "
                f"{res.time_signature} conf {res.tempo_confidence:.2f}  F {beat_f:.2f}{extra} "
                f"{item.get('groove', item.get('program', ''))}"
            )
    out = {"n": len(rows), "rhythm_ms_per_file": 1000.0 * seconds / max(1, len(rows))}
    for k in ("acc1", "acc2", "beat_f", "cmlt", "amlt", "downbeat_f", "meter"):
        vals = [r[k] for r in rows if k in r]
        if vals:
            out[k] = 100.0 * float(np.mean(vals))
    if offsets:
        out["median_offset_ms"] = 1000.0 * float(np.median(offsets))
    return out


def speed(path: Path, repeats: int = 9) -> None:
    """Print the first and the warm (median, min) time of estimate_rhythm on one file."""
    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = soxr.resample(y.mean(axis=1), sr, ANALYSIS_SR).astype(np.float32)
    feats = compute_features(y, ANALYSIS_SR)
    t0 = time.perf_counter()
    estimate_rhythm(feats)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = estimate_rhythm(feats)
        times.append(time.perf_counter() - t0)
    print(
        f"{path.name}: {len(y) / ANALYSIS_SR:.0f} s of audio; estimate_rhythm first call {1000 * first:.1f} ms, "
        f"warm median {1000 * float(np.median(times)):.1f} ms, min {1000 * min(times):.1f} ms "
        f"(tempo {res.tempo}, {res.time_signature})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("data/eval"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--subset", action="append", default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--clip", action="store_true", help="score beats only up to the last annotated beat (+ half a beat)"
    )
    parser.add_argument("--speed", type=Path, default=None, help="time estimate_rhythm on this audio file")
    parser.add_argument(
        "--corpus",
        action="append",
        default=None,
        help="score a training corpus instead (training.real_corpus format; FOLDER@hold: its held-out quarter)",
    )
    parser.add_argument("--no-net", action="store_true", help="track the spectral flux alone (no beat network)")
    parser.add_argument(
        "--resample", type=int, default=None, metavar="HZ", help="read every file resampled to HZ first (band limit)"
    )
    parser.add_argument(
        "--split", choices=("all", "tune", "heldout"), default=None, help="real set (data/real): one side"
    )
    args = parser.parse_args()
    if args.speed is not None:
        speed(args.speed)
        return
    if args.corpus:
        from training.beat_activation import corpus_entries

        for spec in args.corpus:
            folder, truth = corpus_entries(spec)
            print(f"== {spec}")
            res = score_subset(
                folder, args.cache, args.verbose, args.clip, truth=truth, net=not args.no_net, resample=args.resample
            )
            print("  " + "  ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()))
        return
    if (args.dataset / "ground_truth.json").exists():
        # The real set's format: one list, the audio in audio/, items annotated for some measures.
        from bench.real_split import in_split, is_tiny

        items = json.loads((args.dataset / "ground_truth.json").read_text())
        truth = [
            t
            for t in items
            if t.get("beats_s") and t.get("bpm") and not is_tiny(t) and in_split(t, args.split or "all")
        ]
        print(f"== {args.dataset.name} ({args.split or 'all'}, {len(truth)} beat-annotated items)")
        res = score_subset(
            args.dataset / "audio",
            args.cache,
            args.verbose,
            args.clip,
            truth=truth,
            net=not args.no_net,
            resample=args.resample,
        )
        print("  " + "  ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()))
        return
    folders = sorted(p.parent for p in args.dataset.glob("*/ground_truth.json"))
    if args.subset:
        folders = [f for f in folders if f.name in args.subset]
    for folder in folders:
        print(f"== {folder.name}")
        res = score_subset(folder, args.cache, args.verbose, args.clip, net=not args.no_net, resample=args.resample)
        print("  " + "  ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in res.items()))


if __name__ == "__main__":
    main()
