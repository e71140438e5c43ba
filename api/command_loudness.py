"""'Master it louder' / 'quieter': the loudness target of a command's master, moved by one step.

A musician asking for a louder master means louder than it would otherwise be: the target named
("for Apple Music", -16 LUFS) or the render's default (streaming, -14 LUFS), moved by
:data:`LOUDNESS_STEP_LU`. 3 LU is a clearly audible step that keeps every target inside the range
the render accepts (club -9 louder is -6 LUFS; broadcast -23 quieter is -26 LUFS). Only a master
is aimed at a loudness: a plain render ("render it louder") is not, and the reply says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ai.mixing.targets import DEFAULT_TARGET, LOUDNESS_TARGETS

LOUDNESS_STEP_LU = 3.0


@dataclass(frozen=True)
class MovedTarget:
    change: str  # "louder" or "quieter", as the parse says it
    base_name: str  # the target it moves from: the one named, else the default
    base_lufs: float
    lufs: float  # what the render is aimed at


def moved_target(params: dict[str, Any]) -> MovedTarget | None:
    """The target a render command's ``loudness`` asks for, or None when it asks for no change."""
    change = params.get("loudness")
    if change not in ("louder", "quieter"):
        return None
    name = str(params.get("target") or DEFAULT_TARGET)
    if name not in LOUDNESS_TARGETS:
        name = DEFAULT_TARGET
    base = LOUDNESS_TARGETS[name]
    step = LOUDNESS_STEP_LU if change == "louder" else -LOUDNESS_STEP_LU
    return MovedTarget(change, name, base, base + step)
