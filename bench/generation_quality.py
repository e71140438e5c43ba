"""Musical quality of generated drums, bass and melody against held-out real music.

    .venv/bin/python -m training.heldout data/heldout          # once: the held-out split as MIDI
    .venv/bin/python bench/generation_quality.py [--heldout data/heldout] [--clips 50] [--json out.json]

Method (Yang & Lerch, "On the evaluation of generative models in music", 2018): for each part a
set of real clips (``--clips`` held-out clips in 4/4, 2/2 or 2/4 read as bars of four quarter notes,
first 8 bars; no model was trained on them)
and, per generator, ``--clips`` generated clips of 8 bars at 120 bpm with seeds 0..N-1. Bass and
melody requests take the key (and, for bass, the chords per bar) of a real clip drawn with the
same seed, so every generator plays in the same harmonic context as the real music. For every
feature, each clip gives one vector; the *intra-set* distances are the Euclidean distances
between all pairs of real clips, the *inter-set* distances those between every generated clip
and every real clip. A Gaussian KDE is fitted to each set of distances; the table gives the
overlap area (OA, 0..1, higher = closer to the real music) and the KL divergence
KL(intra || inter) (lower = closer) of the two densities.

Features (times in beats, i.e. quarter notes):
  pitch-class histogram (12 bins, share of notes), pitch range (semitones), note density (notes
  per bar), inter-onset intervals (histogram of the gaps between successive onsets, onsets rounded
  to 1/12 beat so that MMA's humanised near-simultaneous hits count as one), note lengths
  (histogram); for drums the drum-instrument histogram (Magenta's 9 drum classes) and, per
  instrument group (kick, snare, hats, toms, cymbals), the onsets per bar at each of the 16
  sixteenth positions of the bar. Pitch features are not computed for drums.

Generators: every Magenta bundle in models/ that serves the part, the music-theory backend
(ai.generation.theory.TheoryGenerator), and a uniform-random baseline (each sixteenth has an
onset with probability 1/2; pitch uniform over the part's range, E1..G3 for bass and C4..C6 for
melody, or a uniform choice among the 9 drum classes; length uniform 1..4 sixteenths, cut at the
next onset for bass and melody). A second, disjoint set of real clips ("real B") shows the
ceiling: how close real music is to itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BARS = 8
BEATS_PER_BAR = 4
IOI_EDGES = np.array([0.0, 0.1875, 0.375, 0.625, 0.875, 1.25, 1.75, 2.5, 3.5, np.inf])  # ~1/8 .. 4+ beats
DRUM_GROUPS = {"kick": (0,), "snare": (1,), "hats": (2, 3), "toms": (4, 5, 6), "cymbals": (7, 8)}
RANGES = {"bass": (28, 55), "melody": (60, 84)}
# Meters read as bars of four quarter notes (2/2 and 2/4 tunes regrouped); 3/4 and compound ones are left out.
DUPLE_METERS = {(4, 4), (2, 2), (2, 4)}


@dataclass(frozen=True)
class Clip:
    """Notes in beats: pitches, starts, ends (arrays of shape (n,)), over ``bars`` bars of 4/4."""

    pitches: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    bars: int


def _clip(notes: list[tuple[int, float, float]], bars: int) -> Clip:
    notes = sorted(n for n in notes if n[1] < bars * BEATS_PER_BAR - 1e-6)
    arr = np.array(notes, dtype=float).reshape(-1, 3)
    return Clip(arr[:, 0].astype(int), arr[:, 1], np.minimum(arr[:, 2], bars * BEATS_PER_BAR), bars)


# --- features: each returns one vector per clip ----------------------------------------------


def _drum_class_of() -> dict[int, int]:
    from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES

    return {pitch: i for i, pitches in enumerate(DEFAULT_DRUM_TYPE_PITCHES) for pitch in pitches}


DRUM_CLASS = _drum_class_of()


def pitch_class_histogram(*, clip: Clip) -> np.ndarray:
    counts = np.bincount(clip.pitches % 12, minlength=12).astype(float)
    return counts / max(1.0, counts.sum())


def pitch_range(*, clip: Clip) -> np.ndarray:
    return np.array([float(clip.pitches.max() - clip.pitches.min()) if clip.pitches.size else 0.0])


def note_density(*, clip: Clip) -> np.ndarray:
    return np.array([clip.pitches.size / clip.bars])


def ioi_histogram(*, clip: Clip) -> np.ndarray:
    onsets = np.unique(np.round(clip.starts * 12.0) / 12.0)  # hits within ~1/24 beat are one onset
    gaps = np.diff(onsets)
    counts = np.histogram(gaps, bins=IOI_EDGES)[0].astype(float)
    return counts / max(1.0, counts.sum())


def note_length_histogram(*, clip: Clip) -> np.ndarray:
    counts = np.histogram(clip.ends - clip.starts, bins=IOI_EDGES)[0].astype(float)
    return counts / max(1.0, counts.sum())


def drum_instrument_histogram(*, clip: Clip) -> np.ndarray:
    classes = [DRUM_CLASS[p] for p in clip.pitches if p in DRUM_CLASS]
    counts = np.bincount(np.array(classes, dtype=int), minlength=9).astype(float)
    return counts / max(1.0, counts.sum())


def drum_onsets(group: str) -> Callable[..., np.ndarray]:
    def feature(*, clip: Clip) -> np.ndarray:
        positions = np.zeros(16)
        for pitch, start in zip(clip.pitches, clip.starts, strict=True):
            if DRUM_CLASS.get(int(pitch)) in DRUM_GROUPS[group]:
                positions[int(round(start * 4)) % 16] += 1
        return positions / clip.bars

    return feature


PITCHED_FEATURES: dict[str, Callable[..., np.ndarray]] = {
    "pitch-class histogram": pitch_class_histogram,
    "pitch range": pitch_range,
    "note density": note_density,
    "inter-onset intervals": ioi_histogram,
    "note lengths": note_length_histogram,
}
DRUM_FEATURES: dict[str, Callable[..., np.ndarray]] = {
    "note density": note_density,
    "inter-onset intervals": ioi_histogram,
    "drum instruments": drum_instrument_histogram,
    **{f"onsets {group}": drum_onsets(group) for group in DRUM_GROUPS},
}


# --- Yang & Lerch overlap --------------------------------------------------------------------


def _pairwise(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances: all pairs within ``a`` (shape (n, d)), or every row of ``b`` to every row of ``a``."""
    if b is None:
        i, j = np.triu_indices(len(a), k=1)
        return np.linalg.norm(a[i] - a[j], axis=1)
    return np.linalg.norm(b[:, None, :] - a[None, :, :], axis=2).ravel()


def overlap_and_kl(*, intra: np.ndarray, inter: np.ndarray) -> tuple[float, float]:
    """Overlap area and KL(intra || inter) of Gaussian KDEs of two sets of distances."""
    from scipy.stats import entropy, gaussian_kde

    rng = np.random.default_rng(0)
    samples = []
    for values in (intra, inter):
        if np.std(values) < 1e-9:  # a KDE needs spread: jitter a constant set slightly
            values = values + rng.normal(0.0, 1e-3, size=values.shape)
        samples.append(values)
    low = min(s.min() for s in samples)
    high = max(s.max() for s in samples)
    pad = 0.1 * (high - low) + 1e-3
    xs = np.linspace(low - pad, high + pad, 2000)
    p = gaussian_kde(samples[0])(xs)
    q = gaussian_kde(samples[1])(xs)
    overlap = float(np.trapezoid(np.minimum(p, q), xs))
    kl = float(entropy(p + 1e-12, q + 1e-12))
    return overlap, kl


# --- sets of clips ---------------------------------------------------------------------------


def load_real(heldout: Path, part: str) -> list[tuple[dict, Clip]]:
    import pretty_midi

    index = json.loads((heldout / "index.json").read_text())
    out = []
    for entry in index:
        signature = tuple(entry.get("time_signature") or (0, 0))
        if entry["part"] != part or signature not in DUPLE_METERS:
            continue
        midi = pretty_midi.PrettyMIDI(str(heldout / entry["file"]))
        to_beats = float(entry["tempo"]) / 60.0
        notes = [(n.pitch, n.start * to_beats, n.end * to_beats) for inst in midi.instruments for n in inst.notes]
        if not notes:
            continue
        length_bars = entry.get("bars") or int(np.ceil(max(n[2] for n in notes) / BEATS_PER_BAR - 1e-6))
        bars = max(1, min(BARS, int(length_bars)))
        clip = _clip(notes, bars)
        if clip.pitches.size:
            out.append((entry, clip))
    return out


def random_clip(part: str, rng: np.random.Generator) -> Clip:
    steps = BARS * 16
    onsets = np.flatnonzero(rng.random(steps) < 0.5)
    notes = []
    canonical = [36, 38, 42, 46, 45, 48, 50, 49, 51]
    for i, step in enumerate(onsets):
        length = int(rng.integers(1, 5))
        if part == "drums":
            pitch = canonical[int(rng.integers(9))]
        else:
            low, high = RANGES[part]
            pitch = int(rng.integers(low, high + 1))
            if i + 1 < len(onsets):
                length = min(length, int(onsets[i + 1] - step))
        notes.append((pitch, step / 4.0, (step + length) / 4.0))
    return _clip(notes, BARS)


def generated_clips(generator, part: str, real: list[tuple[dict, Clip]], n: int) -> list[Clip]:  # type: ignore[no-untyped-def]
    from ai.generation.base import GenerationRequest
    from ai.music_theory import default_progression, parse_key, parse_progression

    clips = []
    for seed in range(n):
        entry = real[seed % len(real)][0]
        if part == "drums":
            key = parse_key("C", "major")
            chords = default_progression(key)
        else:
            tonic, mode = (entry.get("key") or "C major").split()
            key = parse_key(tonic, mode)
            progression = entry.get("chords_per_bar")
            chords = parse_progression(" ".join(progression[:BARS])) if progression else default_progression(key)
        request = GenerationRequest(part=part, key=key, chords=chords, tempo=120.0, bars=BARS, seed=seed)  # type: ignore[arg-type]
        clip = generator.generate(request)
        notes = [(n.pitch, n.start * 2.0, n.end * 2.0) for n in clip.notes]  # 120 bpm: 2 beats per second
        clips.append(_clip(notes, BARS))
    return clips


def evaluate(real: list[Clip], sets: dict[str, list[Clip]], features: dict[str, Callable[..., np.ndarray]]) -> dict:
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for name, feature in features.items():
        real_vectors = np.array([feature(clip=c) for c in real])
        intra = _pairwise(real_vectors)
        results[name] = {}
        for label, clips in sets.items():
            vectors = np.array([feature(clip=c) for c in clips])
            results[name][label] = overlap_and_kl(intra=intra, inter=_pairwise(real_vectors, vectors))
    return results


def print_table(part: str, results: dict, labels: list[str]) -> None:
    width = 20
    print(f"\n== {part}: overlap area OA (higher is better) / KL(intra||inter) (lower is better) ==")
    print("   columns: each Magenta bundle serving the part (by name), theory backend, random, real B")
    names = [label.removeprefix("magenta:") for label in labels]
    print(f"{'feature':<24}" + "".join(f"{name[:width]:>{width + 1}}" for name in names))
    for feature, row in results.items():
        cells = "".join(
            f"{row[label][0]:>13.3f} /{row[label][1]:>6.3f}" if label in row else f"{'-':>{width + 1}}"
            for label in labels
        )
        print(f"{feature:<24}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, default=REPO / "data" / "heldout")
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--parts", default="drums,bass,melody")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if not (args.heldout / "index.json").exists():
        sys.exit(f"no held-out export in {args.heldout}: run .venv/bin/python -m training.heldout {args.heldout}")

    from ai.generation.base import GeneratorRegistry
    from ai.generation.magenta_backend import load_bundles
    from ai.generation.theory import TheoryGenerator

    registry = GeneratorRegistry()
    load_bundles(args.models_dir, registry, warm_up=False)
    theory = TheoryGenerator()
    all_results = {}
    for part in args.parts.split(","):
        real_all = load_real(args.heldout, part)
        if len(real_all) < 10:
            print(f"\n== {part}: only {len(real_all)} held-out 4/4 clips in {args.heldout}; skipped ==")
            continue
        order = np.random.default_rng(1).permutation(len(real_all))
        real = [real_all[i] for i in order[: args.clips]]
        real_b = [real_all[i][1] for i in order[args.clips : 2 * args.clips]]
        started = time.monotonic()
        sets: dict[str, list[Clip]] = {}
        for generator in registry.for_part(part, "magenta"):
            sets[f"magenta:{generator.name}"] = generated_clips(generator, part, real, args.clips)
        sets["theory"] = generated_clips(theory, part, real, args.clips)
        rng = np.random.default_rng(7)
        sets["random"] = [random_clip(part, rng) for _ in range(args.clips)]
        if len(real_b) >= 10:
            sets["real B (ceiling)"] = real_b
        features = DRUM_FEATURES if part == "drums" else PITCHED_FEATURES
        results = evaluate([c for _, c in real], sets, features)
        labels = list(sets)
        print_table(part, results, labels)
        print(f"   ({len(real)} real clips vs {args.clips} per generator; {time.monotonic() - started:.1f} s)")
        for label in labels:
            if not label.startswith("magenta:"):
                continue
            for rival in ("random", "theory"):
                better = [f for f, row in results.items() if row[label][0] > row[rival][0]]
                worse = [f for f in results if f not in better]
                print(
                    f"   {label} beats {rival} on OA in {len(better)}/{len(results)}"
                    + (f"; not on: {', '.join(worse)}" if worse else "")
                )
        all_results[part] = {
            f: {label: {"oa": v[0], "kl": v[1]} for label, v in row.items()} for f, row in results.items()
        }
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=1))


if __name__ == "__main__":
    main()
