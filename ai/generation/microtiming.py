"""Microtiming: where human drummers put each drum against the grid, per style, learned from GMD.

The table (``models/groove_timing.json``, fitted by ``training.groove_timing`` from the Groove MIDI
Dataset's 4/4 beats) gives, per engine style, drum class and 16th of a 4/4 bar, the mean offset of
human hits from the 16th (a fraction of a 16th, measured from the drummer's own downbeat) and the
hit-to-hit spread within a performance. A request's ``microtiming`` ``a`` (0..1) moves each drum
onset by::

    a * (mean + spread * z) 16ths,  z ~ N(0, 1) clipped at MAX_Z, one draw per class and onset

after swing and before humanize: the offsets were measured on the grid the engine's own swing of
the style makes (jazz, blues), so they add to it. ``a = 0`` leaves the notes untouched and draws
nothing, so a clip is byte for byte what it was before; draws come from the caller's generator,
so a seed reproduces its clip. No note moves before the clip's start or past its end.

Lookup: the style's table, else ``default`` (every straight-grid performance pooled). Meters
other than 4/4 read the 4/4 cells by metrical role: the bar's first pulse from beat 1, the other
pulses from the backbeats, 8th subdivisions from the off-beat 8ths, 16ths from the 16ths.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ai import model_files
from ai.generation.base import GenerationRequest, Note
from ai.generation.feel import pulse_groups
from utils.errors import ModelUnavailable

MODEL_FILE = "groove_timing.json"
SHIPPED = Path(__file__).resolve().parents[2] / "models" / MODEL_FILE
STEPS = 16  # the table's 16ths of a 4/4 bar
MAX_Z = 2.0  # hit-to-hit deviations are clipped at this many standard deviations
_ONSET = 1e-3  # seconds: notes of one class starting this close together move as one hit


@functools.cache
def _role_steps(pulses: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """For each 16th of a bar with these pulses, the 4/4 16ths of the same metrical role."""
    roles: list[tuple[int, ...]] = []
    for index, length in enumerate(pulses):
        for offset in range(length):
            if offset == 0:
                roles.append((0,) if index == 0 else (4, 12))
            elif offset % 2 == 0:
                roles.append((2, 6, 10, 14))
            elif offset % 4 == 1:
                roles.append((1, 5, 9, 13))
            else:
                roles.append((3, 7, 11, 15))
    return tuple(roles)


class GrooveTiming:
    """The fitted offset tables; :meth:`apply` moves a clip's drums (see the module doc)."""

    def __init__(self, model: dict[str, Any]) -> None:
        if model.get("unit") != "sixteenth" or int(model.get("steps_per_bar", 0)) != STEPS:
            raise ValueError("groove timing model: offsets must be in 16ths of a 16-step bar")
        self._cells: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for style, classes in model["tables"].items():
            for name, table in classes.items():
                mean = np.asarray(table["mean"], dtype=float)
                sd = np.asarray(table["sd"], dtype=float)
                if mean.shape != (STEPS,) or sd.shape != (STEPS,):
                    raise ValueError(f"groove timing model: {style}/{name} is not 16 cells")
                self._cells[(style, name)] = (mean, sd)
        if not any(style == "default" for style, _ in self._cells):
            raise ValueError("groove timing model has no default table")
        self._drum_class = {int(pitch): str(name) for pitch, name in model["drum_classes"].items()}
        self.sources: dict[str, list[str]] = dict(model.get("sources", {}))
        self.performances = int(model.get("performances", 0))

    @classmethod
    def load(cls, path: Path) -> GrooveTiming:
        return cls(json.loads(path.read_text()))

    @property
    def styles(self) -> list[str]:
        return sorted({style for style, _ in self._cells})

    def table_style(self, style: str | None) -> str:
        """The table a style reads: its own, else ``default``."""
        return style if style is not None and any(s == style for s, _ in self._cells) else "default"

    def cell(self, style: str | None, name: str, step: int) -> tuple[float, float]:
        """(mean offset, spread) in 16ths of a class at a 16th of a 4/4 bar; (0, 0) when unknown."""
        found = self._cells.get((self.table_style(style), name)) or self._cells.get(("default", name))
        if found is None:
            return 0.0, 0.0
        return float(found[0][step % STEPS]), float(found[1][step % STEPS])

    def _cell_in(self, style: str | None, name: str, step: int, pulses: tuple[int, ...]) -> tuple[float, float]:
        if sum(pulses) == STEPS and all(p == 4 for p in pulses):
            return self.cell(style, name, step)
        roles = _role_steps(pulses)
        cells = [self.cell(style, name, s) for s in roles[step % len(roles)]]
        return float(np.mean([c[0] for c in cells])), float(np.mean([c[1] for c in cells]))

    def place(
        self, notes: Sequence[Note], request: GenerationRequest, *, offset: float
    ) -> list[tuple[str, int] | None]:
        """Each note's (class, 16th of its bar) on the straight grid from ``offset`` (call it before
        swing moves the notes), None for a note of no class or before ``offset``."""
        sixteenth = request.seconds_per_beat * request.beat_unit / 16.0
        steps_per_bar = sum(pulse_groups(request.beats_per_bar, request.beat_unit))
        out: list[tuple[str, int] | None] = []
        for note in notes:
            name = self._drum_class.get(note.pitch)
            if name is None or note.start < offset - 1e-6:
                out.append(None)
                continue
            out.append((name, int(round((note.start - offset) / sixteenth)) % steps_per_bar))
        return out

    def apply(
        self,
        notes: Sequence[Note],
        places: Sequence[tuple[str, int] | None],
        request: GenerationRequest,
        *,
        style: str | None,
        rng: np.random.Generator,
        start_seconds: float,
        end_seconds: float,
    ) -> list[Note]:
        """``notes`` (in the order :meth:`place` saw them) moved by ``request.microtiming`` of the
        style's offsets and spread; a note never starts before ``start_seconds`` or ends after
        ``end_seconds`` (one already outside stays where it is)."""
        amount = request.microtiming
        if amount == 0.0 or request.part != "drums" or not notes:
            return list(notes)
        if len(places) != len(notes):
            raise ValueError("microtiming: one place per note")
        sixteenth = request.seconds_per_beat * request.beat_unit / 16.0
        pulses = pulse_groups(request.beats_per_bar, request.beat_unit)
        order = sorted(range(len(notes)), key=lambda i: (notes[i].start, i))
        noise = np.clip(rng.standard_normal(len(notes)), -MAX_Z, MAX_Z)
        hit_z: dict[str, tuple[float, float]] = {}  # class -> (onset, z) of its last hit
        out = list(notes)
        for i in order:
            place = places[i]
            if place is None:
                continue
            name, step = place
            note = notes[i]
            last = hit_z.get(name)
            z = last[1] if last is not None and note.start - last[0] <= _ONSET else float(noise[i])
            hit_z[name] = (note.start, z)
            mean, sd = self._cell_in(style, name, step, pulses)
            shift = amount * (mean + sd * z) * sixteenth
            low = min(0.0, start_seconds - note.start)
            high = max(0.0, end_seconds - note.end)
            shift = float(np.clip(shift, low, high))
            out[i] = Note(note.pitch, note.start + shift, note.end + shift, note.velocity)
        return out


_tables = model_files.LoadedOnce("groove timing", GrooveTiming.load)


def timing_path() -> Path:
    """The table read: the configured models folder's, else the shipped one (ai/model_files.py)."""
    return model_files.model_path(SHIPPED)


def load_timing(path: Path | None = None) -> GrooveTiming | None:
    """The tables (cached; default :func:`timing_path`), or None (logged) when missing or
    unreadable: microtiming then leaves the notes on the grid."""
    found = _tables.get(path or timing_path())
    return found if isinstance(found, GrooveTiming) else None


def timing_for(request: GenerationRequest, preloaded: GrooveTiming | None = None) -> GrooveTiming | None:
    """The table a request's notes are moved by: None when it asks for no microtiming (or is not drums).
    Drums asked to play with microtiming when the table cannot be read are refused (503), never handed
    back on the grid without a word. Blocking (the first call reads the file)."""
    if request.microtiming <= 0 or request.part != "drums":
        return None
    timing = preloaded or load_timing()
    if timing is None:
        raise ModelUnavailable(
            f"microtiming={request.microtiming:g} needs the groove timing table ({timing_path()}), which did not "
            "load (see /api/v1/models); ask for microtiming=0 or restore the file"
        )
    return timing


def describe_timing() -> dict[str, Any]:
    """The tables as /api/v1/models and the status file list them (loaded, or why not)."""
    listing = {
        "name": "groove_timing",
        "family": "generation",
        "serves": "the drum microtiming (the microtiming parameter) of every generation backend",
    }
    return _tables.describe(
        timing_path(), listing, lambda timing: {"styles": timing.styles, "performances": timing.performances}
    )
