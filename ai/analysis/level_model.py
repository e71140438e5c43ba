"""The metrical-level model: a linear ranking of candidate beat levels, shipped as JSON.

The rules in :mod:`ai.analysis.rhythm` find a beat grid; the right level is sometimes its double,
half, third or 3/2 (an octave or a sesquialtera error). The model scores each candidate level
from its features (``rhythm.LEVEL_FEATURES``: tempo prior, periodicity, onsets on vs between the
beats, how bars of 3-4 beats explain the chord changes, ...) and the highest score wins. It is a
pairwise logistic regression fitted by ``python -m training.metrical_level`` on MMA grooves that
the evaluation set does not use; its weights live in models/metrical_level.json (a few hundred
bytes, no pickle).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "metrical_level.json"


@dataclass(frozen=True)
class LevelModel:
    """score(x) = sum(weights * (x - mean) / scale) for a candidate's feature vector x."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def scores(self, features: np.ndarray) -> np.ndarray:
        """features: np.ndarray [shape=(candidates, F)] -> np.ndarray [shape=(candidates,)]."""
        return ((features - self.mean) / self.scale) @ self.weights

    def to_dict(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "weights": [float(v) for v in self.weights],
        }

    @classmethod
    def from_dict(cls, data: dict, *, expected: tuple[str, ...]) -> LevelModel:
        """The model in ``data``; ValueError when its features are not ``expected``."""
        names = tuple(data["feature_names"])
        if names != expected:
            raise ValueError(f"model features {names} do not match the code's {expected}")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(names),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("model arrays must be finite and one value per feature")
        if (arrays[1] <= 0).any():
            raise ValueError("model scales must be positive")
        return cls(names, *arrays)


@functools.cache
def load_level_model(path: Path, expected: tuple[str, ...]) -> LevelModel | None:
    """The model in ``path`` (JSON), or None (the rules' level stands) when it is missing or was
    fitted on other features than ``expected``; the reason is logged once."""
    try:
        return LevelModel.from_dict(json.loads(path.read_text()), expected=expected)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("metrical-level model not used (%s): %s", path, exc)
        return None
