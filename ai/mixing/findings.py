"""A finding and the move that answers it: the unit every mixing analysis reports in.

Every analysis (levels, masking, tone, dynamics, space, low end) returns :class:`Suggestion`
objects; :mod:`ai.mixing.suggest` sorts them and scores the mix from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MIX_BUS = "Mix bus"
"""Track name the mix-bus findings are filed under."""
MASTER_TRACK = "master"
"""Track name a finished mix's own findings (clipping, DC offset, rumble, phase) are filed under."""


@dataclass(frozen=True)
class Suggestion:
    """One finding and the move that answers it.

    ``action`` is structured (None when there is nothing to apply):

    * {"kind": "gain", "gain_db"}, {"kind": "pan", "pan"};
    * {"kind": "eq", "eq": {"type": "bell" | "cut" | "boost" | "low_shelf" | "high_shelf" |
      "high_pass", "freq_hz", "gain_db", "q"}} ("cut" and "boost" are bells);
    * {"kind": "compressor", "compressor": {"threshold_db", "ratio", "attack_ms", "release_ms",
      "knee_db", "makeup_db", ["stages"]}, "check": {"before", "after", "target", ...}}: the check is
      the suggestion applied to the track and measured again;
    * {"kind": "automation", "sections": [{"start_s", "end_s", "gain_db"}], "check": {...}}: volume
      automation (or a leveler) where the swing is between sections;
    * {"kind": "back_off", ...}: give back gain reduction (nothing a renderer can apply);
    * {"kind": "reverb", "reverb": {...}} / {"kind": "delay", "delay": {...}}: sends (ai.mixing.space);
    * {"kind": "limiter", "limiter": {"ceiling_dbtp", "gain_db"}}.
    """

    type: str
    message: str
    priority: str
    track: str | None
    suggestion: str
    confidence: float
    evidence: dict[str, Any]
    action: dict[str, Any] | None = None
    tracks: tuple[str, ...] = ()
    band: str | None = None
    info: bool = False
    """Advice that is not a problem (e.g. the gain a master needs); it does not lower the score."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "message": self.message,
            "priority": self.priority,
            "track": self.track,
            "tracks": list(self.tracks) if self.tracks else ([self.track] if self.track else []),
            "band": self.band,
            "suggestion": self.suggestion,
            "confidence": round(self.confidence, 2),
            "evidence": rounded(self.evidence),
            "action": rounded(self.action) if self.action else None,
            "info": self.info,
        }


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 3) + 0.0  # + 0.0: -0.0001 is 0.0, not -0.0
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def q_for(low_hz: float, high_hz: float, centre_hz: float) -> float:
    """Q of a bell about as wide as the band [low, high] around ``centre_hz``."""
    if math.isinf(high_hz) or high_hz <= low_hz:
        return 1.0
    return float(np.clip(centre_hz / (high_hz - low_hz), 0.7, 4.0))
