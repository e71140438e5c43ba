"""The metrical-level model: boosted regression trees that score candidate beat levels, as JSON.

The rules in :mod:`ai.analysis.rhythm` find a beat grid; the right level is sometimes its double,
half, third or 3/2 (an octave or a sesquialtera error). Each candidate level is described by its
features (``rhythm.LEVEL_FEATURES``: tempo prior, periodicity, onsets on vs between the beats,
how bars of 3-4 beats explain the chord changes, ...), by the rules' own candidate's features
(what kind of music this is) and by the difference of the two. The model scores each such row and
the highest score wins. It is gradient boosting (scikit-learn, at training time only) fitted by
``python -m training.metrical_level`` on MMA grooves and Bach chorales that the evaluation set does
not use; the trees ship in models/metrical_level.json and are evaluated here with numpy.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "metrical_level.json"


def level_rows(features: np.ndarray, identity: int) -> np.ndarray:
    """The model's input rows for a song's candidates.

    features: np.ndarray [shape=(candidates, F)]; identity: the row of the rules' own level.
    Returns np.ndarray [shape=(candidates, 3F)]: each candidate's features, the rules' candidate's
    features and their difference.
    """
    own = np.broadcast_to(features[identity], features.shape)
    return np.hstack([features, own, features - own])


@dataclass(frozen=True)
class Tree:
    """One regression tree in array form (scikit-learn's layout): node k splits on
    ``feature[k]`` at ``threshold[k]`` (rows with a value <= threshold go to ``left[k]``, others to
    ``right[k]``); a leaf has ``feature[k] == -1`` and scores ``value[k]``."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """rows: np.ndarray [shape=(n, columns)], float32 -> np.ndarray [shape=(n,)]."""
        node = np.zeros(rows.shape[0], dtype=np.int64)
        picked = np.arange(rows.shape[0])
        for _ in range(self.feature.shape[0]):
            split = self.feature[node]
            inner = split >= 0
            if not inner.any():
                break
            goes_left = rows[picked, np.maximum(split, 0)] <= self.threshold[node]
            node = np.where(inner, np.where(goes_left, self.left[node], self.right[node]), node)
        return self.value[node]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature.tolist(),
            "threshold": [float(v) for v in self.threshold],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": [float(v) for v in self.value],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, columns: int) -> Tree:
        """The tree in ``data``; ValueError when it is not a well-formed tree over ``columns``."""
        feature = np.asarray(data["feature"], dtype=np.int64)
        left = np.asarray(data["left"], dtype=np.int64)
        right = np.asarray(data["right"], dtype=np.int64)
        threshold = np.asarray(data["threshold"], dtype=np.float32)
        value = np.asarray(data["value"], dtype=np.float64)
        n = feature.shape[0]
        if n == 0 or any(a.shape != (n,) for a in (left, right, threshold, value)):
            raise ValueError("tree arrays must be non-empty and of one length")
        inner = feature >= 0
        if (feature >= columns).any() or (feature < -1).any():
            raise ValueError(f"tree splits on a column outside 0..{columns - 1}")
        children = np.concatenate([left[inner], right[inner]])
        # Children come after their parent (no cycles) and stay inside the tree.
        parents = np.concatenate([np.flatnonzero(inner), np.flatnonzero(inner)])
        if ((children <= parents) | (children >= n)).any():
            raise ValueError("tree children must follow their parent inside the tree")
        if not (np.isfinite(threshold[inner]).all() and np.isfinite(value).all()):
            raise ValueError("tree thresholds and values must be finite")
        return cls(feature, threshold, left, right, value)


@dataclass(frozen=True)
class LevelModel:
    """score(row) = learning_rate * sum of the trees' values: the log-odds that a candidate is the
    right level, up to a constant that is the same for every candidate."""

    feature_names: tuple[str, ...]
    learning_rate: float
    trees: tuple[Tree, ...]

    @functools.cached_property
    def _forest(self) -> tuple[np.ndarray, ...]:
        """The trees stacked into arrays [shape=(trees, most nodes)] (padding: leaves), so that one
        step of numpy indexing moves every row down every tree at once."""
        width = max(t.feature.shape[0] for t in self.trees)

        def stack(name: str, pad: float, dtype: type) -> np.ndarray:
            out = np.full((len(self.trees), width), pad, dtype=dtype)
            for k, tree in enumerate(self.trees):
                values = getattr(tree, name)
                out[k, : values.shape[0]] = values
            return out

        return (
            stack("feature", -1, np.int64),
            stack("threshold", 0.0, np.float32),
            stack("left", -1, np.int64),
            stack("right", -1, np.int64),
            stack("value", 0.0, np.float64),
        )

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """rows: np.ndarray [shape=(candidates, 3F)] from :func:`level_rows` -> [shape=(candidates,)]."""
        x = np.asarray(rows, dtype=np.float32)  # the trees were fitted on float32, as sklearn does
        feature, threshold, left, right, value = self._forest
        which = np.arange(feature.shape[0])[:, None]
        row = np.arange(x.shape[0])[None, :]
        node = np.zeros((feature.shape[0], x.shape[0]), dtype=np.int64)
        for _ in range(feature.shape[1]):
            split = feature[which, node]
            inner = split >= 0
            if not inner.any():
                break
            goes_left = x[row, np.maximum(split, 0)] <= threshold[which, node]
            node = np.where(inner, np.where(goes_left, left[which, node], right[which, node]), node)
        total: np.ndarray = value[which, node].sum(axis=0)
        return self.learning_rate * total

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names),
            "learning_rate": self.learning_rate,
            "trees": [tree.to_dict() for tree in self.trees],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, expected: tuple[str, ...]) -> LevelModel:
        """The model in ``data``; ValueError when its features are not ``expected`` or it is malformed."""
        names = tuple(data["feature_names"])
        if names != expected:
            raise ValueError(f"model features {names} do not match the code's {expected}")
        rate = float(data["learning_rate"])
        if not (np.isfinite(rate) and rate > 0):
            raise ValueError("learning_rate must be a positive number")
        trees = tuple(Tree.from_dict(t, columns=3 * len(names)) for t in data["trees"])
        if not trees:
            raise ValueError("the model has no trees")
        return cls(names, rate, trees)


@functools.cache
def _load(path: Path, expected: tuple[str, ...]) -> tuple[LevelModel | None, str | None]:
    try:
        return LevelModel.from_dict(json.loads(path.read_text()), expected=expected), None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("metrical-level model not used (%s): %s", path, exc)
        return None, f"{type(exc).__name__}: {exc}"


def load_level_model(path: Path, expected: tuple[str, ...]) -> LevelModel | None:
    """The model in ``path`` (JSON), or None (the rules' level stands) when it is missing or was
    fitted on other features than ``expected``; the reason is logged once."""
    return _load(path, expected)[0]


def describe_level_model(path: Path, expected: tuple[str, ...]) -> dict[str, Any]:
    """What /api/v1/models and the status file say of the model: loaded or why not."""
    model, error = _load(path, expected)
    out = {
        "name": "metrical_level",
        "family": "analysis",
        "serves": "the beat level of /api/v1/analyze/audio's tempo",
        "path": str(path),
        "loaded": model is not None,
        "trees": len(model.trees) if model is not None else 0,
    }
    if error is not None:
        out["error"] = error
    return out
