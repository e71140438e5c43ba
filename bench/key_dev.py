#!/usr/bin/env python3
"""Key estimation on real and rendered music: today's estimator against the new one and essentia.

Usage:
    .venv/bin/python bench/key_dev.py [--sets real,chorales,songs,songs11,dist,dist11,train]
        [--anchors] [--verbose] [--limit N] [--refresh] [--excerpts]
    .venv/bin/python bench/key_dev.py --make-distorted     # builds data/key_dist*/songs once

Sets (each scored with mir_eval's MIREX weighted key score; 1 same, 0.5 fifth, 0.3 relative,
0.2 parallel, 0 otherwise or no key):
  real      data/real, items with a key that is not key_contested; printed as three rows: the tune
            split, the "tiny" items (2-3 s clips) and the held-out split, last (bench/real_split.py:
            held out when crc32(file) % 3 == 0). Settings are chosen on the tune rows only.
  chorales  data/eval/chorales, songs: data/eval/songs, songs11: data/eval_seed11/songs
            (renders of ../shared/eval/build_dataset.py).
  dist      data/key_dist/songs: data/eval/songs through pedalboard's Distortion (drive 20-40 dB,
            then a low-pass "cabinet" and peak normalisation), built by --make-distorted;
            dist11 the same from data/eval_seed11/songs.
  --excerpts adds, for each rendered set, a row on the middle of every item (30-75 % of its
            frames, the features and chords cut there: no refresh needed): a clip that opens and
            closes wherever the cut fell, as the real recordings' excerpts do.
  train     data/real_train (or data/real_train_small; training.real_corpus): 440 ~30 s excerpts
            of MMA grooves (several soundfonts, rock progressions with distortion guitars,
            production chain, noise, MP3) and Bach chorales. The partial subtraction's fraction
            and the piece-end threshold were chosen on it together with the real tune split and
            the rendered sets; nothing is fitted to it.

Rows: ``before`` (the estimator before issue 11, ai.analysis.tonal.LEGACY_KEY_CONFIG), ``after``
(the defaults), and with --anchors essentia's KeyExtractor with the bgate, edma and temperley profiles
(on the file at 44.1 kHz mono). The engine rows run exactly what ai.analysis.pipeline does:
estimate_key on the shared features, then refine_relative_key with the chords estimated on the
engine's beats and downbeats.

Each file's features (the semitone spectrum, the mel spectrogram, the onset envelopes, the RMS),
its chords and the anchors' keys are cached in data/cache/key_dev/ (keyed by path, size and
mtime), so a key-only change re-scores every set in seconds. The chords come from the rhythm
(beats, downbeats) of the code that filled the cache: --refresh recomputes them after a rhythm or
chord change (about 2 minutes for all sets, 5 more with --anchors).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from real_split import is_tiny, split_of  # noqa: E402

from ai.analysis import tonal  # noqa: E402
from ai.analysis.constants import ANALYSIS_SR, HOP, N_FFT  # noqa: E402
from ai.analysis.features import SharedFeatures  # noqa: E402

CACHE = ROOT / "data" / "cache" / "key_dev"
DATA = ROOT / "data"
SETS: dict[str, Path] = {
    "real": DATA / "real",
    "chorales": DATA / "eval" / "chorales",
    "songs": DATA / "eval" / "songs",
    "songs11": DATA / "eval_seed11" / "songs",
    "dist": DATA / "key_dist" / "songs",
    "dist11": DATA / "key_dist_seed11" / "songs",
    "train": DATA / "real_train",
    "beatles": DATA / "beatles_tune",
    "beatles_held": DATA / "real_extra",
}
DEFAULT_SETS = ("real", "chorales", "songs", "songs11", "dist", "dist11")
DISTORTED_FROM = {"dist": "songs", "dist11": "songs11"}
ESSENTIA_PROFILES = ("bgate", "edma", "temperley")
EXCERPT = (0.3, 0.75)
"""The middle of a rendered item that --excerpts scores (fractions of its frames)."""
KINDS = ("same", "fifth", "relative", "parallel", "other", "none")


@dataclass
class Item:
    """One annotated recording and what the key estimator reads of it."""

    file: str
    path: Path
    key: str
    group: str  # "tune", "heldout" or "tiny" on the real set, the set's name elsewhere
    features: SharedFeatures
    chords: list[tonal.ChordSegment]
    anchors: dict[str, str | None]
    meta: dict[str, Any]


# ------------------------------------------------------------------------------------ the sets


def _train_folder() -> Path:
    full = DATA / "real_train"
    return full if (full / "ground_truth.json").exists() else DATA / "real_train_small"


def set_folder(name: str) -> Path:
    return _train_folder() if name == "train" else SETS[name]


def audio_path(folder: Path, truth: dict[str, Any]) -> Path:
    nested = folder / "audio" / truth["file"]
    return nested if nested.exists() else folder / truth["file"]


def truths_of(name: str) -> list[dict[str, Any]]:
    folder = set_folder(name)
    gt = folder / "ground_truth.json"
    if not gt.exists():
        return []
    items = json.loads(gt.read_text())
    return [t for t in items if t.get("key") and not t.get("key_contested")]


def group_of(name: str, truth: dict[str, Any]) -> str:
    if name != "real":
        return name
    return "tiny" if is_tiny(truth) else split_of(truth["file"])


# ---------------------------------------------------------------------------------- the cache


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"


def _cache_file(name: str, file: str) -> Path:
    return CACHE / name / (file.replace("/", "_") + ".npz")


def _compute(path: Path) -> dict[str, Any]:
    """Features, rhythm and chords as the pipeline computes them, reduced to what the key needs."""
    from ai.analysis.features import compute_features
    from ai.analysis.pipeline import _rhythm, to_analysis_rate
    from ai.audio.decode import decode_audio

    audio = decode_audio(path)
    y = to_analysis_rate(audio)
    features = compute_features(y, ANALYSIS_SR)
    rhythm = _rhythm(features)
    chords = tonal.estimate_chords(features, beat_times=rhythm.beat_times, downbeat_times=rhythm.downbeat_times)
    return {
        "n_samples": np.int64(len(y)),
        "semitone_spec": features.semitone_spec.astype(np.float32),
        "mel": features.mel.astype(np.float16),
        "onset_env": features.onset_env,
        "low_onset_env": features.low_onset_env,
        "rms": features.rms,
        "tuning": np.float64(features.tuning_cents),
        "chords": np.array(json.dumps([c.to_dict() for c in chords])),
    }


def _essentia_keys(path: Path) -> dict[str, str | None]:
    try:
        import essentia.standard as es
    except ImportError:
        return {}
    audio = es.MonoLoader(filename=str(path), sampleRate=44100)()
    out: dict[str, str | None] = {}
    for profile in ESSENTIA_PROFILES:
        key, scale, _strength = es.KeyExtractor(profileType=profile, sampleRate=44100)(audio)
        tonic = {"A#": "Bb", "Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab"}.get(key, key)
        out[profile] = f"{tonic} {scale}" if scale in ("major", "minor") else None
    return out


def load_item(name: str, truth: dict[str, Any], *, anchors: bool, refresh: bool = False) -> Item:
    path = audio_path(set_folder(name), truth)
    cache = _cache_file(name, truth["file"])
    signature = _signature(path)
    data: dict[str, Any] | None = None
    known_anchors = "{}"  # the anchors' keys depend on the audio alone: kept across --refresh
    if cache.exists():
        with np.load(cache, allow_pickle=False) as npz:
            if str(npz["signature"]) == signature:
                data = {k: npz[k] for k in npz.files}
                known_anchors = str(data["anchors"])
    if data is None or refresh:
        data = _compute(path)
        data["signature"] = np.array(signature)
        data["anchors"] = np.array(known_anchors)
        _save(cache, data)
    found = json.loads(str(data["anchors"]))
    if anchors and not found:
        found = _essentia_keys(path)
        data["anchors"] = np.array(json.dumps(found))
        _save(cache, data)
    return Item(
        file=truth["file"],
        path=path,
        key=truth["key"],
        group=group_of(name, truth),
        features=features_from(data),
        chords=[tonal.ChordSegment(c["start"], c["end"], c["label"]) for c in json.loads(str(data["chords"]))],
        anchors=found,
        meta=truth,
    )


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **data)
    tmp.replace(path)


def features_from(data: dict[str, Any]) -> SharedFeatures:
    """A SharedFeatures holding the cached arrays (no signal or STFT: the key reads neither)."""
    n_frames = data["semitone_spec"].shape[1]
    return SharedFeatures(
        n_samples=int(data["n_samples"]),
        sr=ANALYSIS_SR,
        hop_length=HOP,
        n_fft=N_FFT,
        mel=data["mel"].astype(np.float32),
        freqs=np.linspace(0.0, ANALYSIS_SR / 2.0, 1 + N_FFT // 2),
        frame_times=np.arange(n_frames) * (HOP / ANALYSIS_SR),
        onset_env=data["onset_env"],
        low_onset_env=data["low_onset_env"],
        chroma=np.zeros((12, 0), dtype=np.float32),
        bass_chroma=np.zeros((12, 0), dtype=np.float32),
        semitone_spec=data["semitone_spec"],
        tuning_cents=float(data["tuning"]),
        rms=data["rms"],
        spectral_centroid=np.zeros(n_frames),
        spectral_rolloff=np.zeros(n_frames),
    )


def excerpt(item: Item, start: float = EXCERPT[0], end: float = EXCERPT[1]) -> Item:
    """The item cut to the fractions ``start``-``end`` of its frames: features and chords alike."""
    f = item.features
    n = f.semitone_spec.shape[1]
    a, b = int(start * n), int(end * n)
    t0, t1 = a / f.frame_rate, b / f.frame_rate
    features = SharedFeatures(
        n_samples=(b - a) * HOP,
        sr=f.sr,
        hop_length=f.hop_length,
        n_fft=f.n_fft,
        mel=f.mel[:, a:b],
        freqs=f.freqs,
        frame_times=f.frame_times[: b - a],
        onset_env=f.onset_env[a:b],
        low_onset_env=f.low_onset_env[a:b],
        chroma=f.chroma,
        bass_chroma=f.bass_chroma,
        semitone_spec=f.semitone_spec[:, a:b],
        tuning_cents=f.tuning_cents,
        rms=f.rms[a:b],
        spectral_centroid=f.spectral_centroid[a:b],
        spectral_rolloff=f.spectral_rolloff[a:b],
    )
    chords = [
        tonal.ChordSegment(max(c.start, t0) - t0, min(c.end, t1) - t0, c.label)
        for c in item.chords
        if c.end > t0 and c.start < t1
    ]
    return Item(item.file, item.path, item.key, item.group + "_middle", features, chords, item.anchors, item.meta)


def load_set(name: str, *, anchors: bool, limit: int | None = None, refresh: bool = False) -> list[Item]:
    truths = truths_of(name)[:limit]
    items = []
    for i, truth in enumerate(truths):
        start = time.perf_counter()
        items.append(load_item(name, truth, anchors=anchors, refresh=refresh))
        took = time.perf_counter() - start
        if took > 2.0:
            print(f"  [{name} {i + 1}/{len(truths)}] {truth['file']}: cached in {took:.1f} s", file=sys.stderr)
    return items


# -------------------------------------------------------------------------------- the scoring


def engine_key(item: Item, config: tonal.KeyConfig) -> str | None:
    """What the pipeline reports: the profile key, then the relative-key and fifth-key refinements."""
    result = tonal.refine_relative_key(tonal.estimate_key(item.features, config), item.chords, config)
    return tonal.refine_fifth_key(result, item.chords, config).key


def kind(est: str | None, ref: str) -> str:
    if not est:
        return "none"
    score = float(mir_eval.key.weighted_score(ref, est))
    return {1.0: "same", 0.5: "fifth", 0.3: "relative", 0.2: "parallel"}.get(round(score, 1), "other")


def score(est: str | None, ref: str) -> float:
    return float(mir_eval.key.weighted_score(ref, est)) if est else 0.0


Method = Callable[[Item], str | None]
NO_FIFTH = tonal.KeyConfig(fifth_gap=0.0)
"""The defaults without :func:`ai.analysis.tonal.refine_fifth_key` (session 27's "before")."""


def methods(anchors: bool) -> dict[str, Method]:
    rows: dict[str, Method] = {
        "before": lambda it: engine_key(it, tonal.LEGACY_KEY_CONFIG),
        "no_fifth": lambda it: engine_key(it, NO_FIFTH),
        "after": lambda it: engine_key(it, tonal.KeyConfig()),
    }
    if anchors:
        for profile in ESSENTIA_PROFILES:
            rows[f"ess_{profile}"] = lambda it, p=profile: it.anchors.get(p)
    return rows


def table(title: str, groups: dict[str, list[Item]], rows: dict[str, Method], verbose: bool) -> None:
    print(f"\n== {title} ==")
    header = f"{'method':<14}" + "".join(f"{g + f' ({len(items)})':>18}" for g, items in groups.items())
    print(header + "   kinds (same/fifth/rel/par/other/none), last column")
    for method, fn in rows.items():
        cells, counts = [], dict.fromkeys(KINDS, 0)
        for items in groups.values():
            counts = dict.fromkeys(KINDS, 0)  # the last group's are printed
            values = []
            for it in items:
                est = fn(it)
                values.append(score(est, it.key))
                counts[kind(est, it.key)] += 1
            cells.append(f"{100 * np.mean(values):18.1f}" if values else f"{'-':>18}")
        print(f"{method:<14}" + "".join(cells) + "   " + "/".join(str(counts[k]) for k in KINDS))
    if verbose:
        for g, items in groups.items():
            for it in items:
                ests = {m: fn(it) for m, fn in rows.items()}
                marks = " ".join(f"{m}={ests[m]}({kind(ests[m], it.key)[:3]})" for m in rows)
                print(f"  {g:<8} {it.file[:44]:<44} ref {it.key:<9} {marks}")


# ------------------------------------------------------------------------------- distortion


def make_distorted(source: str, target: str) -> None:
    """Every song of set ``source`` through a distortion pedal (drive 20-40 dB), a cabinet-like
    low-pass at 5 kHz and peak normalisation to -1 dBFS; written with the same ground truth."""
    import pedalboard
    import soundfile as sf

    src, dst = SETS[source], SETS[target]
    dst.mkdir(parents=True, exist_ok=True)
    truths = json.loads((src / "ground_truth.json").read_text())
    for i, truth in enumerate(truths):
        out = dst / truth["file"]
        drive = 20.0 + (7.0 * i) % 21.0
        truth["augment"] = {"distortion_drive_db": drive, "lowpass_hz": 5000.0}
        if out.exists():
            continue
        y, sr = sf.read(src / truth["file"], dtype="float32", always_2d=True)
        board = pedalboard.Pedalboard(
            [pedalboard.Distortion(drive_db=drive), pedalboard.LowpassFilter(cutoff_frequency_hz=5000.0)]
        )
        wet = board(y.T.copy(), sr)
        wet *= 0.89 / max(float(np.abs(wet).max()), 1e-9)
        sf.write(out, wet.T, sr, subtype="PCM_16")
    (dst / "ground_truth.json").write_text(json.dumps(truths))
    print(f"{target}: {len(truths)} songs in {dst}")


# ------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS))
    parser.add_argument("--anchors", action="store_true", help="add essentia's KeyExtractor rows")
    parser.add_argument("--make-distorted", action="store_true")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--refresh", action="store_true", help="recompute the cached features and chords")
    parser.add_argument("--excerpts", action="store_true", help="also score the middle of every rendered item")
    args = parser.parse_args()
    if args.make_distorted:
        for target, source in DISTORTED_FROM.items():
            make_distorted(source, target)
        return
    rows = methods(args.anchors)
    for name in args.sets.split(","):
        items = load_set(name, anchors=args.anchors, limit=args.limit, refresh=args.refresh)
        if not items:
            print(f"\n== {name}: no items ({set_folder(name)}) ==")
            continue
        if name == "real":
            groups = {g: [it for it in items if it.group == g] for g in ("tune", "tiny", "heldout")}
        else:
            groups = {name: items}
            if args.excerpts and not args.anchors:  # the anchors read the whole file
                groups[f"{name} mid"] = [excerpt(it) for it in items]
        table(f"{name} ({set_folder(name).relative_to(ROOT)})", groups, rows, args.verbose)


if __name__ == "__main__":
    main()
