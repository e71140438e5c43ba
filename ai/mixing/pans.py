"""Where each track sits across the stereo field: its role's place, or the side its name says.

* A name that says a side ("OH L", "Gtr R", "Piano_Left", "Room (R)") is taken at its word: a track
  whose partner of the other side is there (the same name with the other marker: a stereo pair
  recorded as two mono files) goes hard to its side, so the pair rebuilds its image; one alone goes to
  its role's spread on that side (at least half way). Rendered both centred, "OH L" and "OH R" summed
  to mono, and "Gtr R" went left when it came first.
* The other tracks take their role's pan (:data:`ai.mixing.targets.ROLE_PANS`); several tracks of a
  role spread symmetrically (:data:`ai.mixing.targets.ROLE_SPREAD`).
* Single tracks of the side roles take turns left and right (the first keeps its role's side): hi-hat
  and keys both at +0.3 left nothing on the left in half the bench's songs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from ai.mixing.targets import ROLE_PANS, ROLE_SPREAD

_SIDE = re.compile(r"(?:^|(?<=[\s_.\-(\[]))(left|right|lft|rgt|lt|rt|l|r)(?=$|[\s_.\-)\]\d])", re.IGNORECASE)
_LEFT = frozenset({"left", "lft", "lt", "l"})
SIDE_ALONE_PAN = 0.5
"""The least pan of a track whose name says a side but has no partner of the other side."""
TAKE_TURNS = ("hihat", "keys", "guitar", "synth", "other")
"""Roles whose single track sits off centre, in the order they take sides."""


def name_side(name: str) -> int | None:
    """-1 for a name that says left ("OH L", "Gtr_Lt", "Piano Left"), +1 for right, None for neither or both.
    A side is a word of its own: "Lead" and "R&B Keys" say none."""
    sides = {-1 if m.group(1).lower() in _LEFT else 1 for m in _SIDE.finditer(name.strip())}
    return sides.pop() if len(sides) == 1 else None


def _pair_key(name: str) -> str:
    """The name without its side marker, to find its partner ("OH L" and "OH R": "oh")."""
    return " ".join(_SIDE.sub(" ", name).lower().replace("_", " ").replace("-", " ").split())


def role_pans(roles: Sequence[str], names: Sequence[str] | None = None) -> list[float]:
    """Pan per track (-1 hard left .. +1 hard right), see the module doc."""
    sides = [name_side(n) for n in names] if names is not None else [None] * len(roles)
    keys = [_pair_key(n) for n in names] if names is not None else [""] * len(roles)
    pans = [0.0] * len(roles)
    members: dict[str, list[int]] = defaultdict(list)
    for k, (role, side) in enumerate(zip(roles, sides, strict=True)):
        if side is None:
            members[role].append(k)
            continue
        partnered = any(
            j != k and sides[j] == -side and keys[j] == keys[k] and roles[j] == role for j in range(len(roles))
        )
        reach = 1.0 if partnered else max(abs(ROLE_PANS.get(role, 0.0)), ROLE_SPREAD.get(role, 0.0), SIDE_ALONE_PAN)
        pans[k] = side * reach
    previous: float | None = None
    for role in TAKE_TURNS:  # single tracks of the side roles, alternately left and right
        indices = members.get(role, [])
        if len(indices) != 1:
            continue
        base = ROLE_PANS.get(role, 0.0)
        turn = float(np.sign(base)) if previous is None else -previous
        pans[indices[0]] = turn * abs(base)
        previous = turn
    for role, indices in members.items():
        spread = ROLE_SPREAD.get(role, 0.0)
        if len(indices) == 1 and role in TAKE_TURNS:
            continue
        if len(indices) == 1 or spread == 0.0:
            for k in indices:
                pans[k] = ROLE_PANS.get(role, 0.0)
            continue
        for rank, k in enumerate(indices):
            pans[k] = float(np.clip(-spread + 2 * spread * rank / (len(indices) - 1), -1.0, 1.0))
    return pans


__all__ = ["name_side", "role_pans"]
