"""What the space models read of a track's measure, and the per-role norms and models that judge it.

Features (:func:`feature_vector`): the FEATURES of a :class:`ai.mixing.space_measure.SpaceMeasure`, missing
values filled with what they mean; :func:`reverb_db` sums up ``tail_db`` and ``decay_s`` as the tail's energy.

Models (``models/role_space.json``, :func:`role_space`)
-------------------------------------------------------
Three small models fitted by ``training/role_space.py`` on the training songs only (card:
``models/role_space.md``) read the measure's FEATURES and their offsets from the role's clean
medians (:class:`RoleSpace`): the probability that the track is drowned in reverb (logistic
regression, clean / default / dry renders against the same stems under a 3 s or 1.5 s reverb at
50 % wet), the probability that it is bone dry (dry renders against default ones), and the
reverb's level against the dry sound (dB, ridge regression; the cut a too-wet finding suggests is
that level minus the role's normal one). The probability thresholds hold the clean training
stems' false alarms at 1 % (medium) and 0.25 % (high).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ai.mixing.space_measure import MAX_DEPTH_DB, WIDTH_FLOOR, SpaceMeasure
from ai.model_files import model_path

# --- Features for the wetness models ----------------------------------------------------------------

FEATURES: tuple[str, ...] = (
    "tail_level_db",
    "has_tail",
    "log2_decay_s",
    "log2_early_decay_s",
    "log2_fast_decay_s",
    "log2_end_decay_s",
    "clear_share",
    "tail_share",
    "note_width_db",
    "tail_width_db",
    "reverb_db",
    "log2_deep_decay_s",
    "tail_coherence",
    "coherence_drop",
)
"""What the wetness models read of a SpaceMeasure (see :func:`feature_vector`)."""
NO_TAIL_DECAY_S = 0.1
"""Decay time a track with no tail is given in the features (shorter than any reverb the renders show)."""
DECAY_RANGE_S = (0.02, 20.0)
"""Decay times are clipped to this range before their log is taken (inf: a fall that never happened)."""


def _log2_time(value: float | None, default: float) -> float:
    low, high = DECAY_RANGE_S
    v = default if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return math.log2(min(max(v, low), high))


def reverb_db(measure: SpaceMeasure) -> float:
    """The tail's energy relative to one second of the notes' peak level (dB): a wet-to-dry proxy.

    An exponential tail starting ``tail_db`` under the peak and decaying in ``decay_s`` holds
    10^(-tail_db/10) x decay_s / 13.8 peak-power-seconds (13.8 = 6 ln 10), so the tail's level
    and its length both count: a send 6 dB louder adds 6 dB, a decay twice as long 3 dB. A track
    with no tail reads as if its tail began MAX_DEPTH_DB under the notes and lasted NO_TAIL_DECAY_S.
    """
    tail = measure.tail_db if measure.tail_db is not None else float(MAX_DEPTH_DB)
    decay = measure.decay_s if measure.decay_s is not None and measure.tail_db is not None else NO_TAIL_DECAY_S
    decay = min(max(decay, DECAY_RANGE_S[0]), DECAY_RANGE_S[1])
    return -tail + 10.0 * math.log10(decay / (6.0 * math.log(10.0)))


def feature_vector(measure: SpaceMeasure) -> np.ndarray:
    """The FEATURES of a measure: np.ndarray [shape=(len(FEATURES),), float64].

    Missing values are filled with what they mean: no tail = a tail MAX_DEPTH_DB down and
    NO_TAIL_DECAY_S long; no decay to the floor = the fast decay; a mono track = no side signal
    (-30 dB, the WIDTH_FLOOR) and tails no wider than the notes, channels fully coherent; no
    decay to space_measure.DEEP_TO_DB = the decay to the floor.
    """
    has_tail = measure.tail_db is not None
    fast = _log2_time(measure.fast_decay_s, 0.05)
    end = _log2_time(measure.end_decay_s, 2.0**fast)
    tail_coherence = 1.0 if measure.tail_coherence is None else measure.tail_coherence
    note_coherence = 1.0 if measure.note_coherence is None else measure.note_coherence
    values = {
        "tail_level_db": -(measure.tail_db if measure.tail_db is not None else float(MAX_DEPTH_DB)),
        "has_tail": 1.0 if has_tail else 0.0,
        "log2_decay_s": _log2_time(measure.decay_s if has_tail else None, NO_TAIL_DECAY_S),
        "log2_early_decay_s": _log2_time(measure.early_decay_s, 0.05),
        "log2_fast_decay_s": fast,
        "log2_end_decay_s": end,
        "clear_share": 0.5 if measure.clear_share is None else measure.clear_share,
        "tail_share": 0.5 if measure.tail_share is None else measure.tail_share,
        "note_width_db": 10.0 * math.log10(WIDTH_FLOOR) if measure.note_width_db is None else measure.note_width_db,
        "tail_width_db": 0.0 if measure.tail_width_db is None else measure.tail_width_db,
        "reverb_db": reverb_db(measure),
        "log2_deep_decay_s": _log2_time(measure.deep_decay_s, 2.0**end),
        "tail_coherence": tail_coherence,
        "coherence_drop": note_coherence - tail_coherence,
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float64)


# --- Norms and models (models/role_space.json, fitted by training/role_space.py) ---------------------

SHIPPED_NORMS = Path(__file__).resolve().parents[2] / "models" / "role_space.json"
"""Where the fitted norms ship."""
ROLE_ALIASES: dict[str, str] = {
    "vocals": "lead",
    "speech": "lead",
    "overheads": "drums",
    "synth": "keys",
    "music": "all",
    "other": "all",
}
"""Roles the training songs do not have take the norms of the nearest role that they do (a voice is
treated as a lead line; "all" pools every role)."""


def _linear_parts(data: dict[str, Any]) -> dict[str, Any]:
    """The standardised linear model's arrays (mean, scale, coef) and intercept from the JSON norms."""
    return {
        "mean": np.asarray(data["mean"], dtype=np.float64),
        "scale": np.asarray(data["scale"], dtype=np.float64),
        "coef": np.asarray(data["coef"], dtype=np.float64),
        "intercept": float(data["intercept"]),
    }


@dataclass(frozen=True)
class WetnessModel:
    """Logistic regression on a track's features and their offsets from its role's medians.

    ``probability(x) = 1 / (1 + exp(-(coef . (x - mean) / scale + intercept)))`` with
    x = [feature_vector, feature_vector - role medians]. ``medium`` and ``high`` are the
    probability thresholds of a medium and a high finding (fitted to the false-alarm rate on the
    clean training stems); ``low`` that of a low one.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    low: float
    medium: float
    high: float

    def probability(self, x: np.ndarray) -> float:
        z = float(np.dot(self.coef, (x - self.mean) / self.scale) + self.intercept)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WetnessModel:
        return cls(
            **_linear_parts(data),
            low=float(data["thresholds"]["low"]),
            medium=float(data["thresholds"]["medium"]),
            high=float(data["thresholds"]["high"]),
        )


@dataclass(frozen=True)
class LevelModel:
    """Linear estimate of a track's reverb level: wet energy over dry energy (dB) from the model input.

    ``estimate(x) = coef . (x - mean) / scale + intercept``, fitted on training stems whose wet
    level is known (FluidSynth's default effects measured against a dry render; the drowned stems).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def estimate(self, x: np.ndarray) -> float:
        return float(np.dot(self.coef, (x - self.mean) / self.scale) + self.intercept)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LevelModel:
        return cls(**_linear_parts(data))


@dataclass(frozen=True)
class RoleSpace:
    """What a role's clean training stems read, and the models that judge a track of the role.

    Attributes:
        role: the role asked for.
        data_role: the role whose stems gave the norms (ROLE_ALIASES; "all" pools every role).
        stems: clean training stems behind the norms.
        medians: np.ndarray [shape=(len(FEATURES),)]: the clean stems' median features.
        percentiles: measure -> (5th, 50th, 95th percentile) over the clean stems, for the messages
            ("tail_db", "decay_s", "early_decay_s", "reverb_db").
        send_db: the role's normal reverb level: energy of what FluidSynth's default reverb and
            chorus add over the dry part's (dB, median of the training pairs); None without pairs.
        dry_share: share of the role's clean stems the dry model calls dry (at its low threshold).
        wet_share: share of the role's clean stems the wet model calls too wet (at its medium threshold).
        wet: the too-wet model.
        dry: the too-dry model.
        level: the reverb-level estimate (how many dB to cut).
    """

    role: str
    data_role: str
    stems: int
    medians: np.ndarray
    percentiles: dict[str, tuple[float, float, float]]
    send_db: float | None
    dry_share: float
    wet_share: float
    wet: WetnessModel
    dry: WetnessModel
    level: LevelModel

    def model_input(self, measure: SpaceMeasure) -> np.ndarray:
        """[feature_vector, feature_vector - medians]: np.ndarray [shape=(2 * len(FEATURES),)]."""
        x = feature_vector(measure)
        return np.concatenate([x, x - self.medians])


def parse_role_space(data: dict[str, Any]) -> dict[str, RoleSpace]:
    """Role -> RoleSpace from the JSON written by training/role_space.py (every role in ROLES gets one).

    Raises ValueError when the file's features differ from FEATURES.
    """
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError("role_space.json was fitted on other features; refit it with training/role_space.py")
    wet = WetnessModel.from_dict(data["wet_model"])
    dry = WetnessModel.from_dict(data["dry_model"])
    level = LevelModel.from_dict(data["level_model"])
    out: dict[str, RoleSpace] = {}
    for role in (*data["roles"].keys(), *ROLE_ALIASES.keys()):
        data_role = role if role in data["roles"] else ROLE_ALIASES.get(role, "all")
        entry = data["roles"][data_role]
        out[role] = RoleSpace(
            role=role,
            data_role=data_role,
            stems=int(entry["stems"]),
            medians=np.asarray(entry["medians"], dtype=np.float64),
            percentiles={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in entry["percentiles"].items()},
            send_db=None if entry.get("send_db") is None else float(entry["send_db"]),
            dry_share=float(entry["dry_share"]),
            wet_share=float(entry["wet_share"]),
            wet=wet,
            dry=dry,
            level=level,
        )
    return out


@lru_cache(maxsize=4)
def load_role_space(path: str | None = None) -> dict[str, RoleSpace]:
    """The norms at ``path`` (default role_space.json in DAWG_AI_MODELS_DIR, else models/), read once.
    Raises FileNotFoundError / ValueError."""
    file = Path(path) if path else model_path(SHIPPED_NORMS)
    return parse_role_space(json.loads(file.read_text()))


def role_space(role: str, *, path: str | None = None) -> RoleSpace:
    """The norms that judge a track of ``role`` (an unknown role gets the pooled "all" norms)."""
    norms = load_role_space(path)
    return norms.get(role) or norms["all"]
