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
* **The foundation** (:func:`hold_foundation`). Where the style's drummers kick on the one in at
  least half of their bars (ANCHOR_SHARE) every groove bar has a kick there, and where they play
  the snare on beats 2 and 4 in at least 3 of 4 bars (BACKBEAT_SHARE: blues, disco, electronic,
  funk, hip-hop) every groove bar has it there; a snare on a beat the style's snare falls on in
  under 5 % of bars (disco's and electronic's beat 3) is dropped, and a snare on a one that gets
  the kick gives way where the style rarely pairs them there. The Magenta model continues its
  primer's groove and drifts from it: funk bars without a kick, backbeats left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.base import Note

KICK = 36
SNARE = 38
ANCHOR_SHARE = 0.5  # the style puts a kick on the one in at least this share of its bars
BACKBEAT_SHARE = 0.75  # the style's snare is on beats 2 and 4 in at least this share of its bars
NEVER_SHARE = 0.05  # a beat the style's snare falls on in fewer bars than this is not its snare's
GHOST_RATIO = 0.55  # a hit softer than this share of its drum's loudest is a ghost (bench/groove_quality.py)
TOLERANCE = 1e-6


@dataclass(frozen=True)
class DrumHabits:
    ghost_share: float  # share of the style's grooves that play ghost notes
    ghost_floor: float  # the others' softest hit over the loudest hit of the same drum
    downbeat_kick: float  # share of bars with a kick on the downbeat
    downbeat_kick_snare: float  # share of bars with a kick and a snare on the downbeat
    snare_beats: tuple[float, ...] = ()  # per beat of the bar, the share of bars with a snare on it
    backbeat: float = 0.0  # share of 4/4 bars with a snare on beats 2 and 4


def plays_ghosts(notes: Sequence[Note], *, classes: Mapping[int, str]) -> bool:
    """Whether a clip (a caller's primer) plays a ghost note: a hit softer than GHOST_RATIO of the
    loudest hit of its drum class in the clip."""
    loudest: dict[str, int] = defaultdict(int)
    for note in notes:
        if (name := classes.get(note.pitch)) is not None:
            loudest[name] = max(loudest[name], note.velocity)
    return any((name := classes.get(n.pitch)) is not None and n.velocity < GHOST_RATIO * loudest[name] for n in notes)


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


def hold_foundation(
    notes: Sequence[Note],
    habits: DrumHabits,
    *,
    classes: Mapping[int, str],
    bar_seconds: float,
    pulses: Sequence[int],
    offset: float,
    bars: Sequence[int],
    kick_velocity: int,
    snare_velocity: int,
) -> list[Note]:
    """The style's foundation in each bar of ``bars`` (0-based, from ``offset``; a fill bar is
    the fill's): a kick on the one when ``habits.downbeat_kick`` >= ANCHOR_SHARE, a snare on beats
    2 and 4 of a 4/4 bar when ``habits.backbeat`` >= BACKBEAT_SHARE (a snare on a one the kick is
    added to gives way where the style rarely pairs them, as in :func:`anchor_downbeats`), and no snare on a beat whose
    ``habits.snare_beats`` share is under NEVER_SHARE. Added hits take the median kick and median
    backbeat snare (velocity and pitch) of those bars, else ``kick_velocity`` / ``snare_velocity``.
    Notes before ``offset`` and of no known class are left alone."""
    steps = sum(pulses)
    step_seconds = bar_seconds / steps
    beat_steps = [int(s) for s in np.cumsum((0, *pulses[:-1]))]
    four = len(pulses) == 4 and all(p == pulses[0] for p in pulses)
    kick_one = habits.downbeat_kick >= ANCHOR_SHARE
    replace_snare = habits.downbeat_kick_snare < habits.downbeat_kick / 2
    backbeats = beat_steps[1::2] if four and habits.backbeat >= BACKBEAT_SHARE else []
    never = [
        step
        for step, share in zip(beat_steps, habits.snare_beats, strict=False)
        if len(habits.snare_beats) == len(beat_steps) and share < NEVER_SHARE
    ]
    if not (kick_one or backbeats or never):
        return list(notes)

    def place(note: Note) -> tuple[int, int] | None:
        if note.start < offset - TOLERANCE:
            return None
        index = int(round((note.start - offset) / step_seconds))
        return index // steps, index % steps

    wanted = set(bars)
    grooved = [(n, where) for n in notes if (where := place(n)) is not None and where[0] in wanted]
    kicks = [n.velocity for n, _ in grooved if classes.get(n.pitch) == "kick"]
    on_back = [n for n, where in grooved if classes.get(n.pitch) == "snare" and where[1] in backbeats]
    kick = int(np.median(kicks)) if kicks else kick_velocity
    snare = int(np.median([n.velocity for n in on_back])) if on_back else snare_velocity
    snare_pitch = max(sorted({n.pitch for n in on_back}), key=[n.pitch for n in on_back].count) if on_back else SNARE
    hits: dict[tuple[int, int], set[str]] = defaultdict(set)
    out = []
    for note in notes:
        where = place(note)
        name = classes.get(note.pitch)
        if where is not None and where[0] in wanted and name == "snare" and where[1] in never:
            continue  # a beat the style's snare is never on
        if where is not None and name is not None:
            hits[where].add(name)
        out.append(note)
    length = min(0.9 * step_seconds, 0.12)
    for bar in sorted(wanted):
        start = offset + bar * bar_seconds
        if kick_one and "kick" not in hits[(bar, 0)]:
            out.append(Note(KICK, start, start + length, kick))
            if replace_snare:  # oom before pah, as anchor_downbeats
                out = [n for n in out if not (classes.get(n.pitch) == "snare" and place(n) == (bar, 0))]
        for step in backbeats:
            if "snare" not in hits[(bar, step)]:
                at = start + step * step_seconds
                out.append(Note(snare_pitch, at, at + length, snare))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out
