"""Accuracy of the engine's analysis against the seed's method and published anchors on an annotated dataset.

Usage:
    python bench/analysis_accuracy.py --dataset data/eval [--no-seed] [--limit N] [--sweep]
        [--anchors librosa,essentia] [--verbose]
    python bench/analysis_accuracy.py --dataset data/real [--split all|tune|heldout] [--no-seed]
        [--anchors librosa,essentia] [--limit N] [--verbose] [--resample HZ]

Two dataset formats are read.

Rendered sets (../shared/eval/build_dataset.py): one or more subsets (sub-folders, e.g. chorales/
and songs/), each with audio files and a ground_truth.json list of {"file", "bpm", "key", "meter",
"beats_s", "downbeats_s" | null, "chords_per_bar"?}. A folder that itself holds ground_truth.json
is one subset. Prints one table per subset, scored with mir_eval: tempo Acc1 / Acc2 (4% tolerance;
Acc2 also accepts x2, x1/2, x3, x1/3), beat F-measure, CMLt, AMLt, downbeat F-measure, meter
accuracy, key MIREX weighted score, chord majmin accuracy (against chords_per_bar over the
reference bars). --sweep evaluates alternative key and chord settings on the same features (method
selection; rendered sets only).

The real development set (../shared/eval/real/README.md; recognised by the items' "group" field,
audio in DATASET/audio/): every annotation is optional, and each measure is scored only on the
items that have it, with a count row ("items") under the header: tempo Acc1 / Acc2 (bpm), beat F,
CMLt, AMLt and offms, the median signed offset in ms of the estimated beats that lie within 70 ms
of a reference beat (estimate minus nearest reference, pooled over the items; beats_s), downbeat F
(downbeats_s), meter (numerator of the estimated time signature against the beats per bar; meter),
key MIREX (key, unless key_contested), chord majmin and sevenths (chords: Harte segments, clipped to
the file's duration, duration-weighted over the reference segments; an item none of whose reference
chords falls in the vocabulary is left out of that column). Beat and downbeat scores skip the first
5 s as mir_eval's defaults do, except on the items of the "tiny" groups (all shorter than 6 s),
which are scored from 0 s and printed in a table of their own.

Split (real set): --split tune|heldout|all (default all) keeps the items of one side of a fixed
split decided by the file name alone: held out when zlib.crc32(file) % 3 == 0, otherwise tune
(bench/real_split.py; `python bench/real_split.py data/real` prints how many items each measure has
on each side). Outside the tiny groups every measure has items on both sides, so no other rule was
needed.

Rows: engine (ai.analysis.pipeline.analyze on ai.audio.decode.decode_audio), seed (the seed's
method: librosa beat_track with a chroma-argmax key; skipped with --no-seed), and the anchors named
in --anchors (default none), scored with the same functions:
  librosa       librosa.beat.beat_track tempo and beats on the file at 22050 Hz mono; the key whose
                Krumhansl-Kessler profile (24 rotations) correlates best with the mean chroma_cqt.
  essentia      RhythmExtractor2013(method="multifeature") tempo and beats on the file at 44100 Hz
                mono (MonoLoader); KeyExtractor(profileType="bgate") key.
  essentia_tmp  KeyExtractor(profileType="temperley") key only (its tempo/beat columns are blank).
Anchors report no downbeats, meter or chords: those columns are blank ("-").

--resample HZ: the engine analyses every file resampled to HZ first (soxr, HQ: the band below HZ / 2
alone, as phone audio, AMR and voice memos carry it); the seed and the anchors still read the file
as it is. The seed's and the
anchors' results never change, so they are cached in bench/out/seed_cache.json and
bench/out/anchor_cache.json (keyed by method, path, size and mtime).
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
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.analysis.seed_method import seed_analyze  # noqa: E402
from ai.analysis.tonal import TONICS  # noqa: E402
from ai.audio.decode import DecodedAudio, decode_audio  # noqa: E402
from bench.real_split import RULE, SPLITS, has_measure, in_split, is_tiny  # noqa: E402

CACHE = Path(__file__).resolve().parent / "out" / "seed_cache.json"
ANCHOR_CACHE = Path(__file__).resolve().parent / "out" / "anchor_cache.json"
COLUMNS = ["Acc1", "Acc2", "beatF", "CMLt", "AMLt", "downF", "meter", "key", "chords", "chord7"]
REAL_COLUMNS = ["Acc1", "Acc2", "beatF", "CMLt", "AMLt", "offms", "downF", "meter", "key", "chords", "chord7"]
REAL_MEASURE = {
    "Acc1": "tempo",
    "Acc2": "tempo",
    "beatF": "beats",
    "CMLt": "beats",
    "AMLt": "beats",
    "offms": "beats",
    "downF": "downbeats",
    "meter": "meter",
    "key": "key",
    "chords": "chords",
    "chord7": "chords",
}
"""Real-set column -> the measure (bench.real_split.MEASURES) whose annotation it needs."""
ANCHORS = ("librosa", "essentia")
ANCHOR_ROWS = {"librosa": ("librosa",), "essentia": ("essentia", "essentia_tmp")}
"""Anchor -> the table rows it fills."""
ANCHOR_SR = {"librosa": 22050, "essentia": 44100}
OFFSET_WINDOW_S = 0.07
"""Estimated beats further than this from every reference beat are left out of the offset."""
TRIM_S = 5.0
"""Beats before this time are ignored by the beat scores (mir_eval's default), except on tiny items."""


def decode_at(path: Path, rate: int | None) -> DecodedAudio:
    """The decoded file, resampled to ``rate`` (Hz; soxr HQ, channel by channel) unless ``rate`` is None."""
    audio = decode_audio(path)
    if rate is None or rate == audio.sample_rate:
        return audio
    samples = soxr.resample(audio.samples.T, audio.sample_rate, rate, quality="HQ").T
    return DecodedAudio(np.ascontiguousarray(samples, dtype=np.float32), rate)


def tempo_scores(est: float | None, ref: float) -> tuple[float, float]:
    """(Acc1, Acc2) in {0, 1} at 4% tolerance."""
    if not est:
        return 0.0, 0.0
    acc1 = abs(est - ref) <= 0.04 * ref
    acc2 = any(abs(est - ref * f) <= 0.04 * ref * f for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0))
    return float(acc1), float(acc2)


def beat_scores(est: np.ndarray, ref: np.ndarray, *, min_beat_time: float = TRIM_S) -> tuple[float, float, float]:
    """(F-measure, CMLt, AMLt) with mir_eval's defaults (beats before ``min_beat_time`` are ignored)."""
    ref_t = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float), min_beat_time=min_beat_time)
    est_t = mir_eval.beat.trim_beats(np.asarray(est, dtype=float), min_beat_time=min_beat_time)
    if len(ref_t) < 2 or len(est_t) < 2:
        return 0.0, 0.0, 0.0
    f = mir_eval.beat.f_measure(ref_t, est_t)
    _cmlc, cmlt, _amlc, amlt = mir_eval.beat.continuity(ref_t, est_t)
    return f, cmlt, amlt


def downbeat_f(est: np.ndarray, ref: np.ndarray, *, min_beat_time: float = TRIM_S) -> float:
    ref_t = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float), min_beat_time=min_beat_time)
    est_t = mir_eval.beat.trim_beats(np.asarray(est, dtype=float), min_beat_time=min_beat_time)
    if len(ref_t) == 0 or len(est_t) == 0:
        return 0.0
    return float(mir_eval.beat.f_measure(ref_t, est_t))


def beat_offsets(est: np.ndarray, ref: np.ndarray, *, window: float = OFFSET_WINDOW_S) -> list[float]:
    """Each estimated beat minus its nearest reference beat (s), for those within ``window`` of one."""
    est, ref = np.asarray(est, dtype=float), np.asarray(ref, dtype=float)
    if not est.size or not ref.size:
        return []
    signed = est - ref[np.abs(est[:, None] - ref[None, :]).argmin(axis=1)]
    return [float(x) for x in signed[np.abs(signed) <= window]]


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
    return _chord_accuracy(est_chords, ref_iv, ref_lab, vocabulary=vocabulary)


def chord_segments_score(
    est_chords: list[dict[str, Any]],
    ref_chords: list[dict[str, Any]],
    duration: float,
    *,
    vocabulary: str = "majmin",
) -> float | None:
    """Duration-weighted chord accuracy against reference segments [{start, end, label (Harte)}],
    clipped to ``duration`` (s); None when no reference chord falls in ``vocabulary``."""
    kept = [c for c in ref_chords if c["start"] < duration] if duration > 0 else list(ref_chords)
    if not kept:
        return None
    end = duration if duration > 0 else float("inf")
    ref_iv = np.array([[c["start"], min(c["end"], end)] for c in kept])
    ref_lab = [c["label"] for c in kept]
    comparisons = getattr(mir_eval.chord, vocabulary)(ref_lab, ref_lab)
    if not np.any((comparisons >= 0) & (np.diff(ref_iv, axis=1)[:, 0] > 0)):
        return None
    return _chord_accuracy(est_chords, ref_iv, ref_lab, vocabulary=vocabulary)


def _chord_accuracy(
    est_chords: list[dict[str, Any]], ref_iv: np.ndarray, ref_lab: list[str], *, vocabulary: str
) -> float:
    """mir_eval's duration-weighted accuracy of the engine-syntax ``est_chords`` over the reference
    intervals [shape=(n, 2)] with Harte labels."""
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
        self.offsets += beat_offsets(beats, reference, window=START_WINDOW_S)
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


def _numerator(time_signature: str | None) -> int | None:
    """'3/4' -> 3; None for a missing or unreadable signature."""
    head = (time_signature or "").split("/")[0]
    return int(head) if head.isdigit() else None


def score_real(result: dict[str, Any], truth: dict[str, Any]) -> tuple[dict[str, float | None], list[float]]:
    """Scores of one real-set item (None where the item lacks the annotation or ``result`` the field)
    and the signed offsets (s) of its estimated beats within OFFSET_WINDOW_S of a reference beat."""
    scores: dict[str, float | None] = dict.fromkeys(REAL_COLUMNS)
    offsets: list[float] = []
    trim = 0.0 if is_tiny(truth) else TRIM_S
    if has_measure(truth, "tempo") and "tempo" in result:
        scores["Acc1"], scores["Acc2"] = tempo_scores(result["tempo"], float(truth["bpm"]))
    if has_measure(truth, "beats") and "beat_times" in result:
        est, ref = np.asarray(result["beat_times"] or [], dtype=float), np.asarray(truth["beats_s"], dtype=float)
        scores["beatF"], scores["CMLt"], scores["AMLt"] = beat_scores(est, ref, min_beat_time=trim)
        offsets = beat_offsets(est, ref)
        scores["offms"] = 1000.0 * float(np.median(offsets)) if offsets else None
    if has_measure(truth, "downbeats") and "downbeat_times" in result:
        est = np.asarray(result["downbeat_times"] or [], dtype=float)
        scores["downF"] = downbeat_f(est, np.asarray(truth["downbeats_s"], dtype=float), min_beat_time=trim)
    if has_measure(truth, "meter") and "time_signature" in result:
        scores["meter"] = float(_numerator(result["time_signature"]) == int(truth["meter"]))
    if has_measure(truth, "key") and "key" in result:
        scores["key"] = key_score(result["key"], truth["key"])
    if has_measure(truth, "chords") and "chords" in result:
        duration = float(truth.get("duration_s") or result.get("duration") or 0.0)
        for column, vocabulary in (("chords", "majmin"), ("chord7", "sevenths")):
            scores[column] = chord_segments_score(result["chords"], truth["chords"], duration, vocabulary=vocabulary)
    return scores, offsets


def _blank_missing(scores: dict[str, float | None], result: dict[str, Any]) -> dict[str, float | None]:
    """Rendered-set scores with the columns blanked whose field an anchor does not report."""
    needs = {"Acc1": "tempo", "Acc2": "tempo", "beatF": "beat_times", "CMLt": "beat_times", "AMLt": "beat_times"}
    needs["key"] = "key"
    return {column: None if column in needs and needs[column] not in result else v for column, v in scores.items()}


def _load_cache(path: Path = CACHE) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _save_cache(cache: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cache))


def _file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"


def _seed_result(path: Path, cache: dict[str, Any]) -> dict[str, Any]:
    key = _file_key(path)
    if key not in cache:
        r = seed_analyze(path)
        cache[key] = {"tempo": r.tempo, "beat_times": [float(t) for t in r.beat_times], "key": r.key}
    result: dict[str, Any] = cache[key]
    return result


KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
"""Probe-tone key profiles of C major and C minor, Krumhansl & Kessler (1982), "Tracing the dynamic
changes in perceived tonal organization in a spatial representation of musical keys", Psychological
Review 89(4); as tabulated in Krumhansl (1990), Cognitive Foundations of Musical Pitch."""


def krumhansl_key(chroma: np.ndarray) -> str | None:
    """The key ("F# minor") whose rotated Krumhansl-Kessler profile correlates best with ``chroma``
    [shape=(12,), C first]; None for a flat or non-finite vector."""
    chroma = np.asarray(chroma, dtype=float)
    if chroma.shape != (12,) or not np.all(np.isfinite(chroma)) or np.ptp(chroma) == 0:
        return None
    best, best_r = None, -np.inf
    for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
            if r > best_r:
                best, best_r = f"{TONICS[tonic]} {mode}", r
    return best


def _librosa_anchor(path: Path) -> dict[str, dict[str, Any]]:
    """librosa's beat tracker and a Krumhansl-Kessler key on the mean CQT chroma, at 22050 Hz mono."""
    import librosa

    y, sr = librosa.load(str(path), sr=ANCHOR_SR["librosa"], mono=True)
    tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
    beats = librosa.frames_to_time(frames, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr)
    return {
        "librosa": {
            "tempo": float(np.atleast_1d(tempo)[0]),
            "beat_times": [float(t) for t in beats],
            "key": krumhansl_key(chroma.mean(axis=1)),
        }
    }


def _essentia_anchor(path: Path) -> dict[str, dict[str, Any]]:
    """essentia's RhythmExtractor2013 (multifeature) and KeyExtractor (bgate; temperley), at 44100 Hz mono."""
    import essentia

    essentia.log.infoActive = False  # before essentia.standard, which logs on import
    essentia.log.warningActive = False
    import essentia.standard as es

    sr = ANCHOR_SR["essentia"]
    audio = es.MonoLoader(filename=str(path), sampleRate=sr)()
    bpm, ticks, _confidence, _estimates, _intervals = es.RhythmExtractor2013(method="multifeature")(audio)
    keys = {}
    for row, profile in (("essentia", "bgate"), ("essentia_tmp", "temperley")):
        tonic, scale, _strength = es.KeyExtractor(profileType=profile, sampleRate=sr)(audio)
        keys[row] = f"{tonic} {scale}"
    return {
        "essentia": {"tempo": float(bpm), "beat_times": [float(t) for t in ticks], "key": keys["essentia"]},
        "essentia_tmp": {"key": keys["essentia_tmp"]},
    }


_ANCHOR_METHODS = {"librosa": _librosa_anchor, "essentia": _essentia_anchor}


def _anchor_results(anchor: str, path: Path, cache: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Row name -> result of ``anchor`` on ``path``, from ``cache`` (keyed method|path|size|mtime) when there."""
    key = _file_key(path)
    rows = ANCHOR_ROWS[anchor]
    if any(f"{row}|{key}" not in cache for row in rows):
        computed = _ANCHOR_METHODS[anchor](path)
        for row in rows:
            cache[f"{row}|{key}"] = computed[row]
    return {row: cache[f"{row}|{key}"] for row in rows}


def subsets(dataset: Path) -> list[Path]:
    if (dataset / "ground_truth.json").exists():
        return [dataset]
    return sorted(p.parent for p in dataset.glob("*/ground_truth.json"))


def is_real_format(truths: list[dict[str, Any]]) -> bool:
    """The real set's items name their group; the rendered sets' do not."""
    return any("group" in truth for truth in truths)


def _table(name: str, rows: dict[str, list[dict[str, float | None]]]) -> None:
    width = max(10, max(len(method) for method in rows) + 2)
    print(f"\n== {name} ({len(next(iter(rows.values())))} files) ==")
    print(f"{'method':<{width}}" + "".join(f"{c:>8}" for c in COLUMNS))
    for method, scores in rows.items():
        cells = []
        for column in COLUMNS:
            values = [v for s in scores if (v := s[column]) is not None]
            cells.append(f"{100 * np.mean(values):8.1f}" if values else f"{'-':>8}")
        print(f"{method:<{width}}" + "".join(cells))


RealRows = dict[str, list[tuple[dict[str, float | None], list[float]]]]


def _real_table(title: str, truths: list[dict[str, Any]], rows: RealRows) -> None:
    """One table: a count row (items annotated for each column), then one row per method."""
    print(f"\n== {title} ({len(truths)} items) ==")
    if not truths:
        return
    width = max(10, max(len(method) for method in rows) + 2)
    print(f"{'method':<{width}}" + "".join(f"{c:>8}" for c in REAL_COLUMNS))
    counts = [sum(has_measure(t, REAL_MEASURE[c]) for t in truths) for c in REAL_COLUMNS]
    print(f"{'items':<{width}}" + "".join(f"{n:>8}" for n in counts))
    for method, items in rows.items():
        cells = []
        for column in REAL_COLUMNS:
            if column == "offms":
                pooled = [o for scores, offsets in items if scores["beatF"] is not None for o in offsets]
                cells.append(f"{1000 * np.median(pooled):+8.1f}" if pooled else f"{'-':>8}")
                continue
            values = [v for scores, _ in items if (v := scores[column]) is not None]
            cells.append(f"{100 * np.mean(values):8.1f}" if values else f"{'-':>8}")
        print(f"{method:<{width}}" + "".join(cells))


def _verbose_real(truth: dict[str, Any], result: dict[str, Any], scores: dict[str, float | None]) -> None:
    ref_bpm = f"{truth['bpm']:.1f}" if truth.get("bpm") else "-"
    ref_key = (truth.get("key") or "-") + ("?" if truth.get("key_contested") else "")
    tempo = f"{result['tempo']:.1f}" if result.get("tempo") else "-"
    print(
        f"{truth['file']:<54} {truth.get('group', ''):<11} ref {ref_bpm:>6} {ref_key:<10} {truth.get('meter') or '-'!s:>2}"
        f" | est {tempo:>6} {result.get('key') or '-':<9} {result.get('time_signature') or '-':<4} | "
        + " ".join(f"{k}={v:+.1f}" if k == "offms" else f"{k}={v:.2f}" for k, v in scores.items() if v is not None)
    )


def _run_real(
    subset: Path,
    truths: list[dict[str, Any]],
    *,
    with_seed: bool,
    anchors: tuple[str, ...],
    split: str,
    limit: int | None,
    verbose: bool,
    seed_cache: dict[str, Any],
    anchor_cache: dict[str, Any],
    resample: int | None = None,
) -> None:
    truths = [t for t in truths if in_split(t, split)][:limit]
    names = ["engine"] + (["seed"] if with_seed else []) + [row for a in anchors for row in ANCHOR_ROWS[a]]
    groups: dict[bool, tuple[list[dict[str, Any]], RealRows]] = {
        tiny: ([], {name: [] for name in names}) for tiny in (False, True)
    }
    elapsed = 0.0
    for truth in truths:
        path = subset / "audio" / truth["file"]
        audio = decode_at(path, resample)
        start = time.perf_counter()
        result = analyze(audio).to_dict()
        elapsed += time.perf_counter() - start
        items, rows = groups[is_tiny(truth)]
        items.append(truth)
        rows["engine"].append(score_real(result, truth))
        if verbose:
            _verbose_real(truth, result, rows["engine"][-1][0])
        if with_seed:
            rows["seed"].append(score_real(_seed_result(path, seed_cache), truth))
        for anchor in anchors:
            for row, anchor_result in _anchor_results(anchor, path, anchor_cache).items():
                rows[row].append(score_real(anchor_result, truth))
    title = f"{subset.name}, split {split} ({RULE})" + (f", engine at {resample} Hz" if resample else "")
    _real_table(f"{title}: main", *groups[False])
    _real_table(f"{title}: tiny groups, < 6 s", *groups[True])
    print(
        f"offms: median of (estimated - nearest reference beat) over the beats within {1000 * OFFSET_WINDOW_S:.0f} ms "
        f"of one, pooled; beat/downbeat scores skip the first {TRIM_S:.0f} s except on tiny items"
    )
    print(f"engine analysis time: {elapsed:.1f} s for {len(truths)} files")


def run(
    dataset: Path,
    *,
    with_seed: bool,
    limit: int | None,
    verbose: bool,
    anchors: tuple[str, ...] = (),
    split: str = "all",
    resample: int | None = None,
) -> None:
    cache = _load_cache()
    anchor_cache = _load_cache(ANCHOR_CACHE) if anchors else {}
    try:
        for subset in subsets(dataset):
            truths = json.loads((subset / "ground_truth.json").read_text())
            if is_real_format(truths):
                _run_real(
                    subset,
                    truths,
                    with_seed=with_seed,
                    anchors=anchors,
                    split=split,
                    limit=limit,
                    verbose=verbose,
                    seed_cache=cache,
                    anchor_cache=anchor_cache,
                    resample=resample,
                )
                continue
            if split != "all":
                raise SystemExit(f"--split applies to the real set's format only, not to {subset}")
            _run_rendered(
                subset,
                truths[:limit],
                with_seed=with_seed,
                anchors=anchors,
                verbose=verbose,
                cache=cache,
                anchor_cache=anchor_cache,
                resample=resample,
            )
    finally:
        if with_seed:
            _save_cache(cache, CACHE)
        if anchors:
            _save_cache(anchor_cache, ANCHOR_CACHE)


def _run_rendered(
    subset: Path,
    truths: list[dict[str, Any]],
    *,
    with_seed: bool,
    anchors: tuple[str, ...],
    verbose: bool,
    cache: dict[str, Any],
    anchor_cache: dict[str, Any],
    resample: int | None = None,
) -> None:
    rows: dict[str, list[dict[str, float | None]]] = {"engine": []}
    if with_seed:
        rows["seed"] = []
    for anchor in anchors:
        rows.update({row: [] for row in ANCHOR_ROWS[anchor]})
    elapsed = 0.0
    starts = StartCounts()
    for truth in truths:
        path = subset / truth["file"]
        audio = decode_at(path, resample)
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
        for anchor in anchors:
            for row, anchor_result in _anchor_results(anchor, path, anchor_cache).items():
                rows[row].append(_blank_missing(score_one(anchor_result, truth), anchor_result))
    _table(subset.name + (f" (engine at {resample} Hz)" if resample else ""), rows)
    print(f"engine analysis time: {elapsed:.1f} s for {len(truths)} files")
    print(starts.summary())


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
        if is_real_format(truths):
            raise SystemExit(f"--sweep reads the rendered format only, not {subset}")
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
            for name, chord_config in chord_variants.items():
                downbeats = None if name == "per_beat" else rhythm.downbeat_times
                chords = tonal.estimate_chords(
                    features, beat_times=rhythm.beat_times, downbeat_times=downbeats, config=chord_config
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


def _anchor_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in ANCHORS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown anchor(s) {unknown}; choose from {', '.join(ANCHORS)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's method")
    parser.add_argument("--limit", type=int, default=None, help="first N files of each subset (of the split)")
    parser.add_argument("--verbose", action="store_true", help="one line per file")
    parser.add_argument("--sweep", action="store_true", help="compare key/chord settings instead")
    parser.add_argument("--split", choices=SPLITS, default="all", help="real set: tune or held-out items only")
    parser.add_argument(
        "--anchors", type=_anchor_list, default=(), help=f"comma-separated extra rows: {', '.join(ANCHORS)}"
    )
    parser.add_argument(
        "--resample", type=int, default=None, metavar="HZ", help="the engine reads each file resampled to HZ first"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    if args.sweep:
        sweep(args.dataset, limit=args.limit)
    else:
        run(
            args.dataset,
            with_seed=not args.no_seed,
            limit=args.limit,
            verbose=args.verbose,
            anchors=args.anchors,
            split=args.split,
            resample=args.resample,
        )


if __name__ == "__main__":
    main()
