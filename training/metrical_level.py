"""Fit the metrical-level model (models/metrical_level.json) on annotated songs.

For every song of the training folders (ground_truth.json in build_dataset.py's format; built by
``python -m training.tempo_corpus``): the engine's rules find a beat grid
(:func:`ai.analysis.rhythm.track_pulse`), :func:`ai.analysis.rhythm.level_candidates` lists it
and its relatives (x2, /2, x3, /3, x3/2, x2/3, x4/3, x3/4) with their features, and the candidate
within 4% of the annotated tempo is the right one. Songs where no candidate is right teach nothing
and are left out; so are sustained (non-percussive) songs, which the model does not serve.

The model is a pairwise logistic regression: for each song, the right candidate's standardised
features minus each other candidate's are positive examples (and the negatives, negative ones),
with no intercept, so the score ranks candidates within a song. The regularisation is chosen by
cross-validation grouped by MMA style file (no style in both the fitting and the scoring part),
which also prints how often the chosen level is right against keeping the rules' level.

Usage: .venv/bin/python -m training.metrical_level data/tempo_train/songs [more folders]
       [--out models/metrical_level.json] [--cache data/cache/rhythm]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from ai.analysis.level_model import SHIPPED_MODEL, LevelModel
from ai.analysis.rhythm import LEVEL_FEATURES, level_candidates, level_model_serves, track_pulse
from bench.rhythm_dev import features_for
from training.mma_corpus import list_grooves

REPO = Path(__file__).resolve().parent.parent
TOLERANCE = 0.04
C_VALUES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


@dataclass
class Song:
    name: str
    group: str
    features: np.ndarray  # (candidates, F)
    factors: np.ndarray  # (candidates,)
    right: int  # index of the right candidate, -1 when none is
    kind: str  # "songs" (MMA) or "chorales"


def collect(folders: list[Path], cache: Path | None) -> list[Song]:
    """The candidates of every percussive song in ``folders``, with the right one marked."""
    style_of = {g.name.lower(): g.style for g in list_grooves()}
    songs = []
    for folder in folders:
        truth = json.loads((folder / "ground_truth.json").read_text())
        for item in truth:
            pulse = track_pulse(features_for(folder / item["file"], cache))
            if pulse is None:
                continue
            evidence, beats, period, spread = pulse
            if not level_model_serves(evidence, beats):
                continue
            candidates = level_candidates(evidence, beats, period, spread)
            tempi = np.array([60.0 * evidence.frame_rate / c.period for c in candidates])
            ref = float(item["bpm"])
            right = np.flatnonzero(np.abs(tempi - ref) <= TOLERANCE * ref)
            groove = item.get("groove", "")
            songs.append(
                Song(
                    name=f"{folder.name}/{item['file']} {groove}",
                    # MMA songs are grouped by style file; a chorale is a group of its own.
                    group=style_of.get(groove.lower(), groove.lower()) if groove else item["file"],
                    features=np.stack([c.features for c in candidates]),
                    factors=np.array([c.factor for c in candidates]),
                    right=int(right[np.argmin(np.abs(tempi[right] - ref))]) if right.size else -1,
                    kind="songs" if groove else "chorales",
                )
            )
    return songs


def pairs(songs: list[Song], mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised feature differences (right - other, and other - right), their labels and
    weights (each song weighs the same, however many candidates it has)."""
    rows, labels, weights = [], [], []
    for song in songs:
        if song.right < 0:
            continue
        z = (song.features - mean) / scale
        diff = z[song.right] - np.delete(z, song.right, axis=0)
        rows += [diff, -diff]
        labels += [np.ones(len(diff)), np.zeros(len(diff))]
        weights += [np.full(2 * len(diff), 1.0 / len(diff))]
    w = np.concatenate(weights)
    return np.concatenate(rows), np.concatenate(labels), w * (len(w) / w.sum())


def fit(songs: list[Song], c: float) -> LevelModel:
    stacked = np.concatenate([s.features for s in songs])
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x, y, w = pairs(songs, mean, scale)
    clf = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(x, y, sample_weight=w)
    return LevelModel(LEVEL_FEATURES, mean, scale, clf.coef_[0].copy())


def right_share(songs: list[Song], model: LevelModel | None) -> float:
    """Share of songs whose chosen candidate is right (the rules' level when model is None)."""
    hits = 0
    for song in songs:
        pick = int(np.argmax(model.scores(song.features))) if model else int(np.flatnonzero(song.factors == 1.0)[0])
        hits += pick == song.right
    return hits / max(1, len(songs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--cache", type=Path, default=REPO / "data" / "cache" / "rhythm")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)

    songs = collect(args.folders, args.cache)
    learnable = [s for s in songs if s.right >= 0]
    print(f"{len(songs)} percussive songs, {len(learnable)} with a right candidate")
    groups = np.array([s.group for s in songs])
    print(f"rules' level right: {100 * right_share(songs, None):.1f}% of all songs")
    kinds = sorted({s.kind for s in songs})
    folds = list(GroupKFold(n_splits=args.folds).split(np.zeros(len(songs)), groups=groups))
    best_c, best = C_VALUES[0], -1.0
    for c in C_VALUES:
        right = np.zeros(len(songs), dtype=bool)
        for train, test in folds:
            model = fit([songs[i] for i in train], c)
            for i in test:
                right[i] = int(np.argmax(model.scores(songs[i].features))) == songs[i].right
        share = float(right.mean())
        by_kind = ", ".join(
            f"{kind} {100 * right[[s.kind == kind for s in songs]].mean():.1f}% "
            f"(rules {100 * right_share([s for s in songs if s.kind == kind], None):.1f}%)"
            for kind in kinds
        )
        print(f"C={c:<5} cross-validated (by style) level right: {100 * share:.1f}% of all songs; {by_kind}")
        if share > best:
            best_c, best = c, share
    model = fit(songs, best_c)
    print(f"chosen C={best_c}; fitted on all: {100 * right_share(songs, model):.1f}% right")
    for name, w in sorted(zip(LEVEL_FEATURES, model.weights, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {name:<24} {w:+.3f}")
    args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
