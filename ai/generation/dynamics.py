"""Velocities as musicians play them: per style, instrument and place in the bar.

The drum and bass tables (``models/groove_dynamics.json``, fitted by ``training.groove_dynamics``
from MMA's human-written grooves) give, per engine style, meter, instrument class and 16th of the
bar, how hard players hit the instrument, the accent they give each 16th (backbeats, softer
off-beat hats, ghost snares between the beats) and the hit-to-hit spread around it.
:func:`GrooveDynamics.apply` gives a backend's notes those dynamics in one of two ways:

* a backend whose velocities mean nothing beyond the position (Magenta's models emit none; the
  engine gave them a fixed curve of the metrical weight) gets the table's::

      velocity = level (one draw per instrument per clip) + accent at that 16th + N(0, spread)

* a backend whose velocities are written accents (the theory patterns' accents, ghost notes and
  fill crescendos: ``keep_accents``) keeps them and gains the spread players have at that 16th:
  ``velocity + N(0, spread)``.

Every draw comes from the caller's generator, so a seed still reproduces a clip byte for byte.

Lookup: the style's table, then the pooled table (``default``), for the request's meter; a meter
MMA does not play (6/8, 5/4, 7/8 ...) reads the 4/4 table by metrical role: the bar's first pulse
from the downbeat, other pulses from beats 2-4, 8th subdivisions from the 4/4 off-beats, 16ths
from the 4/4 16ths. A cell seen fewer than ``SHRINK`` times is pulled toward its class's mean.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai.generation.base import GenerationRequest, Note
from ai.generation.drum_habits import DrumHabits
from ai.generation.feel import pulse_groups

logger = logging.getLogger(__name__)

MODEL_FILE = "groove_dynamics.json"
SHRINK = 8.0  # a cell with n hits weighs n / (n + SHRINK) against its class mean
MAX_Z = 2.0  # hit-to-hit deviations are clipped at this many standard deviations
MAX_LEVEL_Z = 1.0  # a clip's instrument level stays within one groove-to-groove deviation
STEPS_PER_BEAT = 4


@dataclass(frozen=True)
class Cell:
    accent: float  # mean velocity at this 16th relative to the class's level
    spread: float  # hit-to-hit standard deviation there


@dataclass(frozen=True)
class ClassTable:
    level: float  # mean velocity a player gives the instrument (mean over grooves)
    level_sd: float  # how that differs between grooves
    cells: tuple[Cell | None, ...]  # per 16th of the bar


def _table(raw: dict[str, Any]) -> ClassTable:
    """One class's table; cells seen fewer than SHRINK times are pulled toward no accent and the
    class's pooled spread."""
    n = np.array(raw["n"], dtype=float)
    accents = np.array([np.nan if a is None else a for a in raw["accent"]], dtype=float)
    spreads = np.array([np.nan if s is None else s for s in raw["spread"]], dtype=float)
    seen = n > 0
    pooled = float(np.sqrt(np.average(spreads[seen] ** 2, weights=n[seen]))) if seen.any() else 0.0
    cells: list[Cell | None] = []
    for count, accent, spread in zip(n, accents, spreads, strict=True):
        if count <= 0:
            cells.append(None)
            continue
        w = count / (count + SHRINK)
        cells.append(Cell(w * accent, w * spread + (1 - w) * pooled))
    return ClassTable(float(raw["level"]), float(raw["level_sd"]), tuple(cells))


@functools.cache
def _role_steps(pulses: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """For each 16th of a bar with these pulses, the 4/4 16ths that play the same metrical role
    (once per meter: every note of a clip asks)."""
    roles: list[tuple[int, ...]] = []
    for index, length in enumerate(pulses):
        for offset in range(length):
            if offset == 0:
                roles.append((0,) if index == 0 else (4, 8, 12))
            elif offset % 2 == 0:
                roles.append((2, 6, 10, 14))
            else:
                roles.append((1, 3, 5, 7, 9, 11, 13, 15))
    return tuple(roles)


class GrooveDynamics:
    """The fitted velocity tables; :meth:`apply` re-voices a clip (see the module doc)."""

    def __init__(self, model: dict[str, Any]) -> None:
        if int(model.get("steps_per_beat", 0)) != STEPS_PER_BEAT:
            raise ValueError("groove dynamics model: steps_per_beat must be 4")
        self.sources: dict[str, list[str]] = dict(model.get("sources", {}))
        self._ride_with_hat: dict[str, float] = {k: float(v) for k, v in model.get("ride_with_hat", {}).items()}
        self.grooves = int(model.get("grooves", 0))
        self._tables: dict[tuple[str, str, str], ClassTable] = {}
        for style, meters in model["tables"].items():
            for meter, classes in meters.items():
                for name, table in classes.items():
                    self._tables[(style, meter, name)] = _table(table)
        if not any(key[0] == "default" for key in self._tables):
            raise ValueError("groove dynamics model has no default table")
        # GM drum pitch -> class (Magenta's nine drum classes, as the tables were fitted).
        self._drum_class = {int(pitch): str(name) for pitch, name in model["drum_classes"].items()}
        self._habits: dict[tuple[str, str], DrumHabits] = {
            (style, meter): DrumHabits(
                float(h["ghost_share"]),
                float(h["ghost_floor"]),
                float(h["downbeat_kick"]),
                float(h["downbeat_kick_snare"]),
                tuple(float(x) for x in h.get("snare_beats", ())),
                float(h.get("backbeat", 0.0)),
            )
            for style, meters in model.get("habits", {}).items()
            for meter, h in meters.items()
        }

    @classmethod
    def load(cls, path: Path) -> GrooveDynamics:
        return cls(json.loads(path.read_text()))

    def ride_with_hat(self, style: str | None) -> float | None:
        """The share of bars in which the style's players strike ride and closed hi-hat on the same
        16th (MMA's grooves), or None when the model does not say."""
        found = self._ride_with_hat.get(style or "default")
        return found if found is not None else self._ride_with_hat.get("default")

    @property
    def drum_class(self) -> dict[int, str]:
        """GM drum pitch -> the drum class the tables were fitted with."""
        return self._drum_class

    def habits(self, style: str | None, beats_per_bar: int, beat_unit: int) -> DrumHabits | None:
        """The ghost-note and downbeat habits of the style's drummers (else the pooled ones) in
        this meter, or None where MMA plays no groove in it (see ai.generation.drum_habits)."""
        meter = f"{beats_per_bar}/{beat_unit}"
        return self._habits.get((style or "default", meter)) or self._habits.get(("default", meter))

    def kick_velocity(self, style: str | None, beats_per_bar: int, beat_unit: int) -> int:
        """The style's kick on the downbeat: its level plus the accent there (64 without a table)."""
        return self.velocity(style, beats_per_bar, beat_unit, "kick", 0)

    def velocity(self, style: str | None, beats_per_bar: int, beat_unit: int, name: str, step: int) -> int:
        """The style's drum class ``name`` on the ``step``-th 16th of the bar: its level plus the
        accent there (64 without a table)."""
        found = self.table(style or "default", beats_per_bar, beat_unit, name)
        if found is None:
            return 64
        cell = self.cell(found[0], found[1], step, pulse_groups(beats_per_bar, beat_unit))
        return int(np.clip(round(found[0].level + (cell.accent if cell else 0.0)), 1, 127))

    @property
    def styles(self) -> list[str]:
        return sorted({key[0] for key in self._tables})

    def table(self, style: str, beats_per_bar: int, beat_unit: int, name: str) -> tuple[ClassTable, bool] | None:
        """The class's table for the style (else the pooled one) in this meter, or in 4/4 (then
        the flag is False: read it by metrical role)."""
        for meter, native in ((f"{beats_per_bar}/{beat_unit}", True), ("4/4", False)):
            for source in (style, "default"):
                found = self._tables.get((source, meter, name))
                if found is not None:
                    return found, native
        return None

    @staticmethod
    def cell(table: ClassTable, native: bool, step: int, pulses: Sequence[int]) -> Cell | None:
        """The cell of a 16th of the bar: its own, or the mean of the 4/4 16ths of its role."""
        if native:
            return table.cells[step] if step < len(table.cells) else None
        roles = _role_steps(tuple(pulses))
        if step >= len(roles):
            return None
        found = [cell for cell in (table.cells[s] for s in roles[step]) if cell is not None]
        if not found:
            return None
        return Cell(float(np.mean([c.accent for c in found])), float(np.mean([c.spread for c in found])))

    def apply(
        self,
        notes: Sequence[Note],
        *,
        part: str,
        style: str | None,
        seconds_per_beat: float,
        beats_per_bar: int,
        beat_unit: int,
        pulses: Sequence[int],
        offset: float,
        rng: np.random.Generator,
        keep_accents: bool = False,
    ) -> list[Note]:
        """``notes`` (quantised, bars from ``offset`` seconds) with learned velocities.

        ``part`` is drums or bass (melodies are returned unchanged); ``style`` an engine style
        name (unknown or None: the pooled table); ``keep_accents``: the notes' velocities are
        written accents to keep (see the module doc). Notes whose class or place has no table
        keep their velocity.
        """
        if part not in ("drums", "bass") or not notes:
            return list(notes)
        style_key = style if style is not None and any(k[0] == style for k in self._tables) else "default"
        sixteenth = seconds_per_beat * beat_unit / 16.0
        steps_per_bar = sum(pulses)
        placed: list[tuple[str, int] | None] = []
        for note in notes:
            name = self._drum_class.get(note.pitch) if part == "drums" else "bass"
            if name is None or note.start < offset - 1e-6:
                placed.append(None)
                continue
            step = int(round((note.start - offset) / sixteenth)) % steps_per_bar
            placed.append((name, step))
        levels: dict[str, tuple[ClassTable, bool, float] | None] = {}
        for name in sorted({key[0] for key in placed if key is not None}):  # one loudness per instrument per clip
            found = self.table(style_key, beats_per_bar, beat_unit, name)
            z = float(np.clip(rng.standard_normal(), -MAX_LEVEL_Z, MAX_LEVEL_Z))
            levels[name] = None if found is None else (found[0], found[1], found[0].level + z * found[0].level_sd)
        noise = np.clip(rng.standard_normal(len(notes)), -MAX_Z, MAX_Z)
        out = []
        for i, (note, key) in enumerate(zip(notes, placed, strict=True)):
            entry = None if key is None else levels[key[0]]
            cell = None if entry is None or key is None else self.cell(entry[0], entry[1], key[1], pulses)
            if cell is None or entry is None or key is None:
                out.append(note)
                continue
            base = note.velocity if keep_accents else entry[2] + cell.accent
            velocity = base + cell.spread * noise[i]
            out.append(Note(note.pitch, note.start, note.end, int(np.clip(round(velocity), 1, 127))))
        return out

    def follow_primer(
        self,
        notes: Sequence[Note],
        primer: Sequence[Note],
        request: GenerationRequest,
        *,
        style: str | None,
        offset: float,
    ) -> list[Note]:
        """A drum continuation's notes (after ``offset``, where ``primer`` ends on a bar line) with
        the primer's dynamics as written accents, for :meth:`voice` with ``keep_accents``: a hit
        takes the primer's mean velocity for its drum class at its 16th of the bar (the player's
        backbeat, ghosts, hat accents); a class the primer plays elsewhere in the bar, the
        primer's level for it plus the style table's accent at that 16th; a class the primer does
        not play, the table's level and accent (:meth:`velocity`). Notes before ``offset`` and of
        no known class keep theirs."""
        pulses = pulse_groups(request.beats_per_bar, request.beat_unit)
        steps = sum(pulses)
        sixteenth = request.seconds_per_beat * request.beat_unit / 16.0
        style_key = style if style is not None and any(k[0] == style for k in self._tables) else "default"

        def step_of(note: Note) -> int:
            return int(round((note.start - offset) / sixteenth)) % steps

        cells: dict[tuple[str, int], list[int]] = {}
        for note in primer:
            name = self._drum_class.get(note.pitch)
            if name is not None and note.start < offset - 1e-6:
                cells.setdefault((name, step_of(note)), []).append(note.velocity)
        levels: dict[str, list[int]] = {}
        for (name, _), velocities in cells.items():
            levels.setdefault(name, []).extend(velocities)
        out = []
        for note in notes:
            name = self._drum_class.get(note.pitch)
            if name is None or note.start < offset - 1e-6:
                out.append(note)
                continue
            step = step_of(note)
            if name not in levels:
                velocity = float(self.velocity(style_key, request.beats_per_bar, request.beat_unit, name, step))
            elif (name, step) in cells:
                velocity = float(np.mean(cells[(name, step)]))
            else:
                found = self.table(style_key, request.beats_per_bar, request.beat_unit, name)
                cell = None if found is None else self.cell(found[0], found[1], step, pulses)
                velocity = float(np.mean(levels[name])) + (cell.accent if cell is not None else 0.0)
            out.append(Note(note.pitch, note.start, note.end, int(np.clip(round(velocity), 1, 127))))
        return out

    def voice(
        self,
        notes: Sequence[Note],
        request: GenerationRequest,
        *,
        style: str | None,
        offset: float,
        rng: np.random.Generator,
        keep_accents: bool = False,
    ) -> list[Note]:
        """:meth:`apply` with the part, tempo and meter of ``request``."""
        return self.apply(
            notes,
            part=request.part,
            style=style,
            seconds_per_beat=request.seconds_per_beat,
            beats_per_bar=request.beats_per_bar,
            beat_unit=request.beat_unit,
            pulses=pulse_groups(request.beats_per_bar, request.beat_unit),
            offset=offset,
            rng=rng,
            keep_accents=keep_accents,
        )


_loaded: dict[Path, GrooveDynamics | str] = {}  # the tables, or why they did not load


def _load_cached(models_dir: Path) -> GrooveDynamics | str:
    path = models_dir / MODEL_FILE
    if path not in _loaded:
        try:
            _loaded[path] = GrooveDynamics.load(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("groove dynamics not loaded from %s: %s", path, exc)
            _loaded[path] = f"{type(exc).__name__}: {exc}"
    return _loaded[path]


def load_dynamics(models_dir: Path) -> GrooveDynamics | None:
    """The shipped tables from ``models_dir`` (cached), or None (logged) when missing or unreadable:
    the backends then keep their own velocities."""
    found = _load_cached(models_dir)
    return found if isinstance(found, GrooveDynamics) else None


def describe_dynamics(models_dir: Path) -> dict[str, Any]:
    """The tables as /api/v1/models and the status file list them (loaded, or why not)."""
    out: dict[str, Any] = {
        "name": "groove_dynamics",
        "family": "generation",
        "serves": "the drum and bass velocities of every generation backend",
        "path": str(models_dir / MODEL_FILE),
    }
    found = _load_cached(models_dir)
    if isinstance(found, str):
        return {**out, "loaded": False, "error": found}
    return {**out, "loaded": True, "styles": found.styles, "grooves": found.grooves}
