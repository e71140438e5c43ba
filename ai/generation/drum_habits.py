"""Two habits of a style's drummers, learned from MMA's training grooves, on a generated clip.

``training.groove_dynamics`` counts them per engine style and meter (``habits`` in
``models/groove_dynamics.json``) and :meth:`ai.generation.dynamics.GrooveDynamics.habits` reads them:

* **Ghost notes.** Most styles' drummers never play a hit softer than 55 % of the loudest hit of
  the same drum (MMA's waltz, ballad, blues, march and swing grooves none; rock 14 % of grooves,
  hip-hop 42 %). Learned velocities with a hit-to-hit spread still make such hits now and then,
  and a fill's crescendo starts soft. :func:`lift_ghosts` keeps a clip's ghosts with the share of
  the style's grooves that play any (one draw per clip) and otherwise raises every hit to the
  style's floor: the softest hit over its drum's loudest in the grooves that play none (10th
  percentile).
* **The one.** A drummer marks the bar's first beat; a generated bar whose downbeat sounds weaker
  than its other pulses (summed velocity, as the meter is heard) gets the style's bass drum there
  when the style's drummers put one on the downbeat in at least half of their bars
  (:func:`anchor_downbeats`; bars with the same kick and snare are judged together). Where the
  bar strikes a snare on the one and the style rarely pairs them there, the snare gives way to
  the kick (oom before pah).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.base import Note

KICK = 36
ANCHOR_SHARE = 0.5  # the style puts a kick on the one in at least this share of its bars
TOLERANCE = 1e-6


@dataclass(frozen=True)
class DrumHabits:
    ghost_share: float  # share of the style's grooves that play ghost notes
    ghost_floor: float  # the others' softest hit over the loudest hit of the same drum
    downbeat_kick: float  # share of bars with a kick on the downbeat
    downbeat_kick_snare: float  # share of bars with a kick and a snare on the downbeat


def lift_ghosts(
    notes: Sequence[Note],
    habits: DrumHabits,
    *,
    classes: Mapping[int, str],
    offset: float,
    rng: np.random.Generator,
) -> list[Note]:
    """``notes`` with no hit (after ``offset``) softer than ``habits.ghost_floor`` of the loudest
    hit of its drum class, unless this clip's draw makes it one of the style's ghost-playing
    grooves (probability ``habits.ghost_share``). Notes of no known class are left alone."""
    if rng.random() < habits.ghost_share:
        return list(notes)
    loudest: dict[str, int] = defaultdict(int)
    for note in notes:
        name = classes.get(note.pitch)
        if name is not None and note.start >= offset - TOLERANCE:
            loudest[name] = max(loudest[name], note.velocity)
    out = []
    for note in notes:
        name = classes.get(note.pitch)
        if name is None or note.start < offset - TOLERANCE:
            out.append(note)
            continue
        floor = int(np.ceil(habits.ghost_floor * loudest[name]))
        out.append(note if note.velocity >= floor else Note(note.pitch, note.start, note.end, floor))
    return out


def anchor_downbeats(
    notes: Sequence[Note],
    habits: DrumHabits,
    *,
    classes: Mapping[int, str],
    bar_seconds: float,
    pulses: Sequence[int],
    offset: float,
    bars: int,
    kick_velocity: int,
) -> list[Note]:
    """A kick on the downbeat of every bar whose downbeat's summed velocity is below the mean of
    its other pulse starts' (:mod:`ai.generation.feel` pulses), for a style whose drummers kick on
    the one in at least ANCHOR_SHARE of their bars. The kick takes the clip's median kick velocity
    (``kick_velocity`` when it has none); a snare on that downbeat becomes the kick when the
    style pairs kick and snare there in under half the bars it kicks on the one."""
    if habits.downbeat_kick < ANCHOR_SHARE or len(pulses) < 2:
        return list(notes)
    steps = sum(pulses)
    step_seconds = bar_seconds / steps
    starts = [int(s) for s in np.cumsum((0, *pulses[:-1]))][1:]
    kicks = [n.velocity for n in notes if classes.get(n.pitch) == "kick" and n.start >= offset - TOLERANCE]
    velocity = int(np.median(kicks)) if kicks else kick_velocity
    replace_snare = habits.downbeat_kick_snare < habits.downbeat_kick / 2
    loud: dict[tuple[int, int], int] = defaultdict(int)
    pattern: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for note in notes:
        if note.start < offset - TOLERANCE:
            continue
        index = int(round((note.start - offset) / step_seconds))
        loud[(index // steps, index % steps)] += note.velocity
        if classes.get(note.pitch) in ("kick", "snare"):
            pattern[index // steps].add((note.pitch, index % steps))
    # Bars that play the same kick and snare (a looped groove's bars) are judged together, so that
    # the velocities' hit-to-hit spread does not mark the one in some of them and not in others.
    margin: dict[frozenset[tuple[int, int]], list[float]] = defaultdict(list)
    for bar in range(bars):
        others = float(np.mean([loud[(bar, s)] for s in starts]))
        margin[frozenset(pattern[bar])].append(loud[(bar, 0)] - others)
    out = list(notes)
    for bar in range(bars):
        if np.mean(margin[frozenset(pattern[bar])]) >= 0:
            continue
        downbeat = offset + bar * bar_seconds
        here = [n for n in out if abs(n.start - downbeat) < step_seconds / 2]
        if any(classes.get(n.pitch) == "kick" for n in here):
            continue
        length = min(0.9 * step_seconds, 0.12)
        if replace_snare:
            snares = {id(n) for n in here if classes.get(n.pitch) == "snare"}
            out = [n for n in out if id(n) not in snares]
        out.append(Note(KICK, downbeat, downbeat + length, velocity))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out
