"""Per-role dynamics norms and the decision thresholds fitted with them.

Norms (:class:`RoleDynamics`, ``models/role_dynamics.json``, fitted by
``python -m training.role_dynamics``, model card ``models/role_dynamics.md``): percentiles of each
measure per role over the training stems (MMA grooves rendered with the TimGM6mb and MuseScore
General Lite soundfonts), the sum of a song's drum stems as a drum bus ("drums") and the sum of
all its stems as the mix bus ("music"), with the decision thresholds fitted on the same songs. A
role with fewer than MIN_ROLE_STEMS training stems (vocals, speech, lead, pad, fx) uses its
family's norm (percussive, tonal, music).

The measures are :class:`ai.mixing.dynamics_measure.DynamicsMeasure`'s (MEASURES); a norm says how far a
value lies below or above the role's median in robust spreads (:meth:`RoleNorm.below`, :meth:`RoleNorm.above`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai.model_files import model_path

SHIPPED_NORMS = Path(__file__).resolve().parents[2] / "models" / "role_dynamics.json"
"""The per-role norms and thresholds fitted by ``python -m training.role_dynamics``."""

NORMAL_QUANTILE_90 = 1.2816
"""z of a normal distribution's 90th percentile: (p90 - p50) / 1.2816 is a robust sigma."""

MIN_ROLE_STEMS = 10
"""Training stems a role needs for a norm of its own; below it the role uses its family's."""
ROLE_FAMILY: dict[str, str] = {
    "kick": "percussive",
    "snare": "percussive",
    "hihat": "percussive",
    "drums": "percussive",
    "overheads": "percussive",
    "music": "music",
}
"""Family of each role whose norm can stand in for it; roles not listed are "tonal"."""
MEASURES = ("crest_db", "plr_db", "lra_lu", "transient_db", "block_crest_db")
"""Measures with per-role norms."""
SPREAD_FLOOR = {"crest_db": 1.0, "plr_db": 1.0, "lra_lu": 0.5, "transient_db": 1.0, "block_crest_db": 1.0}
"""Smallest spread (dB / LU) a norm is given: a role whose training stems all share one sample
(a kick rendered from one soundfont sample) would otherwise flag any stem that differs at all."""


@dataclass(frozen=True)
class MeasureNorm:
    """Distribution of one measure over a role's training stems: {percentile: value}."""

    percentiles: dict[int, float]

    @property
    def median(self) -> float:
        return self.percentiles[50]

    def lower_spread(self, floor: float) -> float:
        """Robust sigma of the lower half: (p50 - p10) / 1.2816, at least ``floor``."""
        return max(floor, (self.percentiles[50] - self.percentiles[10]) / NORMAL_QUANTILE_90)

    def upper_spread(self, floor: float) -> float:
        """Robust sigma of the upper half: (p90 - p50) / 1.2816, at least ``floor``."""
        return max(floor, (self.percentiles[90] - self.percentiles[50]) / NORMAL_QUANTILE_90)


@dataclass(frozen=True)
class RoleNorm:
    """The norms of one role (or family): ``n`` training stems, a :class:`MeasureNorm` per measure."""

    name: str
    n: int
    measures: dict[str, MeasureNorm]

    def below(self, measure: str, value: float) -> float:
        """How far ``value`` lies below the median, in lower spreads (z; negative when above)."""
        norm = self.measures[measure]
        return (norm.median - value) / norm.lower_spread(SPREAD_FLOOR[measure])

    def above(self, measure: str, value: float) -> float:
        """How far ``value`` lies above the median, in upper spreads (z; negative when below)."""
        norm = self.measures[measure]
        return (value - norm.median) / norm.upper_spread(SPREAD_FLOOR[measure])


@dataclass(frozen=True)
class RoleDynamics:
    """Per-role and per-family norms plus the fitted decision thresholds (see the module docstring;
    :mod:`ai.mixing.dynamics` says how the thresholds are used).

    Attributes:
        roles: role -> :class:`RoleNorm` (roles with training stems).
        families: family ("percussive", "tonal", "music") -> :class:`RoleNorm`.
        over_compressed_z: mean z below the norm (over ai.mixing.dynamics.SQUASH_MEASURES) that flags over-compression.
        over_compressed_high_z: the same, for high priority.
        uncontrolled_z: z of the loudness range above the norm that flags uncontrolled dynamics.
        uncontrolled_high_z: the same, for high priority.
        source: where the norms came from (the training command's summary).
    """

    roles: dict[str, RoleNorm]
    families: dict[str, RoleNorm]
    over_compressed_z: float
    over_compressed_high_z: float
    uncontrolled_z: float
    uncontrolled_high_z: float
    source: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def family(role: str) -> str:
        """The family of ``role`` (ROLE_FAMILY; "tonal" when not listed)."""
        return ROLE_FAMILY.get(role, "tonal")

    def norm(self, role: str) -> RoleNorm:
        """The role's own norm when it had MIN_ROLE_STEMS training stems, else its family's."""
        own = self.roles.get(role)
        if own is not None and own.n >= MIN_ROLE_STEMS:
            return own
        return self.families[self.family(role)]

    def to_dict(self) -> dict[str, Any]:
        def norm_dict(norm: RoleNorm) -> dict[str, Any]:
            return {
                "n": norm.n,
                **{m: {f"p{p}": round(v, 3) for p, v in mn.percentiles.items()} for m, mn in norm.measures.items()},
            }

        return {
            "version": 1,
            "measures": list(MEASURES),
            "thresholds": {
                "over_compressed_z": self.over_compressed_z,
                "over_compressed_high_z": self.over_compressed_high_z,
                "uncontrolled_z": self.uncontrolled_z,
                "uncontrolled_high_z": self.uncontrolled_high_z,
            },
            "roles": {role: norm_dict(norm) for role, norm in sorted(self.roles.items())},
            "families": {family: norm_dict(norm) for family, norm in sorted(self.families.items())},
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoleDynamics:
        """Inverse of :meth:`to_dict`. Raises ValueError on a malformed document."""
        try:

            def norm_of(name: str, entry: dict[str, Any]) -> RoleNorm:
                measures = {
                    m: MeasureNorm({int(k[1:]): float(v) for k, v in entry[m].items()}) for m in MEASURES if m in entry
                }
                for m, mn in measures.items():
                    if not {10, 50, 90} <= set(mn.percentiles):
                        raise ValueError(f"{name}.{m} lacks p10/p50/p90")
                return RoleNorm(name, int(entry["n"]), measures)

            thresholds = data["thresholds"]
            families = {name: norm_of(name, entry) for name, entry in data["families"].items()}
            for family in ("percussive", "tonal", "music"):
                if family not in families or set(families[family].measures) != set(MEASURES):
                    raise ValueError(f"family {family!r} is missing or incomplete")
            return cls(
                roles={name: norm_of(name, entry) for name, entry in data["roles"].items()},
                families=families,
                over_compressed_z=float(thresholds["over_compressed_z"]),
                over_compressed_high_z=float(thresholds["over_compressed_high_z"]),
                uncontrolled_z=float(thresholds["uncontrolled_z"]),
                uncontrolled_high_z=float(thresholds["uncontrolled_high_z"]),
                source=dict(data.get("source", {})),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed role dynamics norms: {exc!r}") from exc


def load_role_dynamics(path: Path | None = None) -> RoleDynamics:
    """Read the norms from ``path`` (JSON written by ``python -m training.role_dynamics``; default
    role_dynamics.json in DAWG_AI_MODELS_DIR, else models/).

    Raises OSError when the file cannot be read, ValueError when it is malformed.
    """
    return RoleDynamics.from_dict(json.loads(Path(path or model_path(SHIPPED_NORMS)).read_text()))


_DEFAULT_LOCK = threading.Lock()
_default: RoleDynamics | None = None


def default_role_dynamics() -> RoleDynamics:
    """The shipped norms, read once (lazily, behind a lock) and shared."""
    global _default
    with _DEFAULT_LOCK:
        if _default is None:
            _default = load_role_dynamics()
        return _default
