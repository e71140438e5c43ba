"""Fit the metrical-level model (models/metrical_level.json) on annotated songs.

For every song of the training folders (ground_truth.json in build_dataset.py's format; built by
``python -m training.tempo_corpus``): the engine's rules find a beat grid
(:func:`ai.analysis.rhythm.track_pulse`), :func:`ai.analysis.rhythm.level_candidates` lists it
and its relatives (x2, /2, x3, /3, x3/2, x2/3, x4/3, x3/4) with their features, and the candidate
within 4% of the annotated tempo is the right one. Songs where no candidate is right teach nothing
and are left out; so are sustained (non-percussive) songs, which the model does not serve.

The model is gradient boosting (scikit-learn) on every candidate's row (its features, the rules'
candidate's features and their difference: ai.analysis.level_model.level_rows), labelled right or
not, each song weighing the same; in the service the candidate with the highest score wins. It is
cross-validated by MMA style file (no style in both the fitting and the scoring part; each
chorale a group of its own), which prints how often the chosen level is right against keeping
the rules' level, per kind of music, and how often the chosen level is right or at twice, half,
three times or a third of the annotated tempo (tempo Acc2: the grid still falls on the notated
beats or bars, where a x3/2 or x4/3 error puts beats between them).

Usage: .venv/bin/python -m training.metrical_level data/tempo_train/songs [more folders]
       [--out models/metrical_level.json] [--cache data/cache/rhythm]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from ai.analysis.beat_net import beat_activations, shipped_beat_net
from ai.analysis.level_model import SHIPPED_MODEL, LevelModel, Tree, level_rows
from ai.analysis.rhythm import LEVEL_FEATURES, level_candidates, level_model_serves, track_pulse
from bench.rhythm_dev import features_for
from training.beat_activation import corpus_entries
from training.mma_corpus import list_grooves

REPO = Path(__file__).resolve().parent.parent
TOLERANCE = 0.04
# Gradient boosting: 400 trees of depth 3 (cross-validated by style on this corpus: depth 2-4 and
# 200-600 trees all land within a point or two; fewer or shallower trees lose the chorales).
TREES = 400
DEPTH = 3
LEARNING_RATE = 0.05
SUBSAMPLE = 0.8
RELATED_FACTORS = (2.0, 0.5, 3.0, 1.0 / 3.0)
"""Tempo ratios to the annotated beat that keep the grid on the notated beats or bars (Acc2)."""


@dataclass
class Song:
    name: str
    group: str
    features: np.ndarray  # (candidates, F)
    factors: np.ndarray  # (candidates,)
    right: int  # index of the right candidate, -1 when none is
    kind: str  # "songs" (MMA), "drumless songs" (MMA without drums and bass) or "chorales"
    related: np.ndarray  # (candidates,) bool: right, or at x2, /2, x3, /3 of the annotated tempo


def _groove(item: dict[str, Any]) -> str:
    """The MMA groove an item was rendered from ("" for a chorale): tempo_corpus's "groove" field,
    or real_corpus's "source" ("mma:<Groove>" / "chorale:<bwv>")."""
    if "groove" in item:
        return item["groove"] or ""
    source = item.get("source", "")
    return source.removeprefix("mma:") if source.startswith("mma:") else ""


def collect(specs: list[str], cache: Path | None) -> tuple[list[Song], list[bool]]:
    """The candidates of every song in ``specs`` (folders, or FOLDER@fit as in
    training.beat_activation) that the model serves, with the right one marked; and, for every
    other song, whether the rules' level is right (it stands there). The beats are tracked as the
    service tracks them: on the shipped beat activation network's output."""
    net = shipped_beat_net()
    style_of = {g.name.lower(): g.style for g in list_grooves()}
    songs, unserved = [], []
    for spec in specs:
        folder, truth = corpus_entries(spec)
        for item in truth:
            features = features_for(folder / item["file"], cache)
            pulse = track_pulse(features, beat_activations(features, net) if net is not None else None)
            if pulse is None:
                unserved.append(False)
                continue
            evidence, beats, period, spread = pulse
            if not level_model_serves(evidence, beats):
                ref = float(item["bpm"])
                unserved.append(abs(60.0 * evidence.frame_rate / period - ref) <= TOLERANCE * ref)
                continue
            candidates = level_candidates(evidence, beats, period, spread)
            tempi = np.array([60.0 * evidence.frame_rate / c.period for c in candidates])
            ref = float(item["bpm"])
            right = np.flatnonzero(np.abs(tempi - ref) <= TOLERANCE * ref)
            related = np.abs(tempi - ref) <= TOLERANCE * ref
            for f in RELATED_FACTORS:
                related |= np.abs(tempi - ref * f) <= TOLERANCE * ref * f
            groove = _groove(item)
            songs.append(
                Song(
                    name=f"{spec}/{item['file']} {groove}",
                    # MMA songs are grouped by style file; a chorale is a group of its own.
                    group=style_of.get(groove.lower(), groove.lower()) if groove else item["file"],
                    features=np.stack([c.features for c in candidates]),
                    factors=np.array([c.factor for c in candidates]),
                    right=int(right[np.argmin(np.abs(tempi[right] - ref))]) if right.size else -1,
                    kind=("drumless songs" if item.get("drumless") else "songs") if groove else "chorales",
                    related=related,
                )
            )
    return songs, unserved


def song_rows(song: Song) -> np.ndarray:
    """The model's rows for ``song``'s candidates (see ai.analysis.level_model.level_rows)."""
    return level_rows(song.features, int(np.flatnonzero(song.factors == 1.0)[0]))


def fit(songs: list[Song], *, trees: int = TREES, seed: int = 0) -> LevelModel:
    """Gradient boosting on every candidate row (right or not), each song weighing the same."""
    learnable = [s for s in songs if s.right >= 0]
    x = np.vstack([song_rows(s) for s in learnable])
    y = np.concatenate([np.arange(len(s.factors)) == s.right for s in learnable])
    w = np.concatenate([np.full(len(s.factors), 1.0 / len(s.factors)) for s in learnable])
    clf = GradientBoostingClassifier(
        n_estimators=trees, max_depth=DEPTH, learning_rate=LEARNING_RATE, subsample=SUBSAMPLE, random_state=seed
    ).fit(x, y, sample_weight=w)
    return LevelModel(LEVEL_FEATURES, LEARNING_RATE, tuple(_tree(est[0].tree_) for est in clf.estimators_))


def _tree(tree: Any) -> Tree:  # a sklearn.tree._tree.Tree: scikit-learn ships no type hints
    """A fitted scikit-learn tree (``estimator.tree_``) in the shipped array form."""
    feature = np.where(tree.feature >= 0, tree.feature, -1).astype(np.int64)
    return Tree(
        feature=feature,
        threshold=np.where(feature >= 0, tree.threshold, 0.0).astype(np.float32),
        left=tree.children_left.astype(np.int64),
        right=tree.children_right.astype(np.int64),
        value=tree.value[:, 0, 0].astype(np.float64),
    )


def pick(song: Song, model: LevelModel | None) -> int:
    """The candidate chosen for ``song`` (the rules' level when model is None)."""
    if model is None:
        return int(np.flatnonzero(song.factors == 1.0)[0])
    return int(np.argmax(model.scores(song_rows(song))))


def right_share(songs: list[Song], model: LevelModel | None) -> float:
    """Share of songs whose chosen candidate is right (the rules' level when model is None)."""
    return sum(pick(s, model) == s.right for s in songs) / max(1, len(songs))


def related_share(songs: list[Song], model: LevelModel | None) -> float:
    """Share of songs whose chosen candidate is right or an octave or triple relative (Acc2)."""
    return sum(bool(s.related[pick(s, model)]) for s in songs) / max(1, len(songs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="corpus folders (FOLDER@fit: without its held-out quarter)")
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--cache", type=Path, default=REPO / "data" / "cache" / "rhythm")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--compare", type=Path, default=None, help="also score this model file (e.g. the shipped one) on the songs"
    )
    args = parser.parse_args(argv)

    songs, unserved = collect(args.folders, args.cache)
    learnable = [s for s in songs if s.right >= 0]
    print(
        f"{len(songs)} songs the model serves, {len(learnable)} with a right candidate; "
        f"{len(unserved)} others keep the rules' level"
    )
    groups = np.array([s.group for s in songs])
    print(
        f"rules' level right: {100 * right_share(songs, None):.1f}% of the served songs "
        f"(right or a relative: {100 * related_share(songs, None):.1f}%)"
    )
    kinds = sorted({s.kind for s in songs})
    folds = list(GroupKFold(n_splits=args.folds).split(np.zeros(len(songs)), groups=groups))
    right = np.zeros(len(songs), dtype=bool)
    related = np.zeros(len(songs), dtype=bool)
    for train, test in folds:
        model = fit([songs[i] for i in train])
        for i in test:
            chosen = pick(songs[i], model)
            right[i] = chosen == songs[i].right
            related[i] = bool(songs[i].related[chosen])
    by_kind = ", ".join(
        f"{kind} {100 * right[[s.kind == kind for s in songs]].mean():.1f}% "
        f"(rules {100 * right_share([s for s in songs if s.kind == kind], None):.1f}%)"
        for kind in kinds
    )
    print(
        f"cross-validated (by style) level right: {100 * right.mean():.1f}% of the served songs "
        f"(right or a relative: {100 * related.mean():.1f}%); {by_kind}"
    )
    total = len(songs) + len(unserved)
    rules_all = right_share(songs, None) * len(songs) + sum(unserved)
    print(
        f"over all {total} songs (the rules' level where the model does not serve): "
        f"{100 * (right.sum() + sum(unserved)) / total:.1f}% right (rules alone {100 * rules_all / total:.1f}%)"
    )
    if args.compare is not None:
        other = LevelModel.from_dict(json.loads(args.compare.read_text()), expected=LEVEL_FEATURES)
        by_kind = ", ".join(
            f"{kind} {100 * right_share([s for s in songs if s.kind == kind], other):.1f}%" for kind in kinds
        )
        print(
            f"{args.compare} (not cross-validated: it may have seen these songs): level right "
            f"{100 * right_share(songs, other):.1f}% of the served songs; {by_kind}"
        )
    model = fit(songs)
    print(f"fitted on all: {100 * right_share(songs, model):.1f}% right; {len(model.trees)} trees of depth {DEPTH}")
    args.out.write_text(json.dumps(model.to_dict(), separators=(",", ":")) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
