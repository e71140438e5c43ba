"""The music-theory generation backend: drums, bass lines and melodies without a trained model.

Always available, deterministic for a request (every random choice comes from
``np.random.default_rng(request.seed)``) and thread-safe (no shared mutable state).

- Drums: the style grooves of :mod:`ai.generation.drum_patterns` with variations and fills.
- Bass: a rhythm riff drawn from the style's onset profile (busier with density) and repeated with
  variation; pitches by role (root on the downbeat, fifths, octaves, passing and approach notes
  toward the next chord) in the key's scale, E1-G3.
- Melody: phrases of two bars with an arched contour; a rhythm motif (cells per pulse chosen by
  density and temperature) repeated and varied; each pitch sampled from a softmax over scale
  tones scored for contour, stepwise motion, leap resolution, chord tones on strong beats and the
  motif's intervals; phrase endings on chord tones (the tonic at the end of a period), C4-C6.

``temperature`` is the softmax temperature of every choice plus the rate of variation,
syncopation and leaps; ``density`` moves the expected number of notes monotonically; swing and
humanisation come from :mod:`ai.generation.feel`; drum and bass velocities keep their written
accents and gain the hit-to-hit spread of :mod:`ai.generation.dynamics` when its tables are given.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ai.generation.base import (
    GeneratedClip,
    GenerationRequest,
    Generator,
    Note,
)
from ai.generation.drum_patterns import (
    DRUM_STYLES,
    generate_drums,
    groove_from_notes,
    normalise_drum_style,
    sixteenth_swing,
    style_swing,
)
from ai.generation.dynamics import GrooveDynamics
from ai.generation.feel import apply_swing, density_target, fit_to_length, humanize, pulse_groups
from ai.generation.melodic_phrases import shape_melody
from ai.generation.phrasing import loop_phrases
from ai.music_theory import PITCH_CLASS_NAMES, Chord, Key, snap_to_scale
from utils.errors import InvalidParameter

logger = logging.getLogger(__name__)

__all__ = ["BASS_RANGE", "DRUM_STYLES", "MELODY_RANGE", "TheoryGenerator"]

BASS_RANGE = (28, 55)  # E1 .. G3
BASS_HOME = 40.0
"""Where the bass roots gravitate (E2). MMA's human-written bass lines (the 812 training renders of
training.tempo_corpus, random keys) have a median pitch of 39 in its jazz, swing, blues, reggae and
ska grooves (260) and 38 in the others (354), per groove, median over grooves. The pull toward 40
puts this backend's lines at 38.75 and 38 (every style, 12 keys, 2 seeds each); the old pulls
(40 for jazz, blues and reggae, 36 for the rest) put the rest at 36, two semitones below MMA."""
MELODY_RANGE = (60, 84)  # C4 .. C6


# --- the bar grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """A 16th-note grid: ``bars`` bars of ``pulses`` starting at ``offset`` seconds."""

    pulses: tuple[int, ...]
    step_seconds: float
    offset: float
    bars: int

    @property
    def steps_per_bar(self) -> int:
        return int(sum(self.pulses))

    @property
    def pulse_starts(self) -> tuple[int, ...]:
        return tuple(int(s) for s in np.cumsum((0, *self.pulses[:-1])))

    def time(self, bar: int, step: float) -> float:
        return self.offset + (bar * self.steps_per_bar + step) * self.step_seconds

    def pulse_of(self, step: int) -> int:
        starts = self.pulse_starts
        return max(i for i, s in enumerate(starts) if s <= step)


def _grid_for(request: GenerationRequest) -> _Grid:
    try:
        pulses = pulse_groups(request.beats_per_bar, request.beat_unit)
    except ValueError as exc:
        raise InvalidParameter("time_signature", str(exc)) from exc
    return _Grid(pulses, 60.0 / request.tempo / 4.0, request.primer_seconds, request.bars)


def _scale_pitches(pitch_classes: frozenset[int], low: int, high: int) -> list[int]:
    return [p for p in range(low, high + 1) if p % 12 in pitch_classes]


def _fold_into(pitch: int, low: int, high: int) -> int:
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def _softmax_choice(rng: np.random.Generator, scores: np.ndarray, temperature: float) -> int:
    z = scores / max(temperature, 0.05)
    z = z - np.max(z)
    p = np.exp(z)
    return int(rng.choice(len(scores), p=p / p.sum()))


def _weighted_choice(rng: np.random.Generator, options: dict[str, float], temperature: float) -> str:
    names = [k for k, w in options.items() if w > 0]
    weights = np.array([options[k] for k in names]) ** (1.0 / max(temperature, 0.1))
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _stable_pcs(chord: Chord, key: Key, chromatic: bool) -> list[int]:
    """The chord's pitch classes that may be played (all of them, or those in the scale)."""
    pcs = [pc for pc in chord.pitch_classes if chromatic or pc in key.pitch_classes]
    if pcs:
        return pcs
    return [snap_to_scale(60 + chord.root, key.pitch_classes) % 12]


# --- bass ---------------------------------------------------------------------------------

# Onset probability of each 16th of a 4/4 bar at density 0.5 (step 0 is the downbeat).
_BASS_PROFILES: dict[str, tuple[float, ...]] = {
    "default": (1, 0, 0.05, 0, 0.35, 0, 0.3, 0, 0.8, 0, 0.15, 0, 0.35, 0, 0.45, 0.05),
    "rock": (1, 0, 0.75, 0, 0.75, 0, 0.75, 0, 0.9, 0, 0.75, 0, 0.75, 0, 0.75, 0.05),
    "funk": (1, 0.15, 0.3, 0.5, 0.15, 0.2, 0.55, 0.3, 0.45, 0.2, 0.35, 0.5, 0.2, 0.35, 0.5, 0.3),
    "hip-hop": (1, 0, 0.05, 0.25, 0, 0, 0.3, 0.35, 0.25, 0, 0.45, 0.1, 0, 0.1, 0.3, 0.15),
    "jazz": (1, 0, 0, 0, 0.95, 0, 0.15, 0, 0.95, 0, 0.15, 0, 0.95, 0, 0.2, 0),
    "latin": (1, 0, 0, 0.2, 0, 0, 0.85, 0, 0.2, 0, 0.1, 0, 0.85, 0, 0.25, 0),
    "electronic": (0.9, 0, 0.9, 0.15, 0, 0, 0.9, 0.15, 0, 0, 0.9, 0.15, 0, 0, 0.9, 0.15),
    "reggae": (0.9, 0, 0, 0, 0, 0, 0.45, 0.25, 0.85, 0, 0.3, 0, 0.4, 0, 0.5, 0.2),
    "blues": (1, 0, 0.25, 0, 0.9, 0, 0.25, 0, 0.9, 0, 0.25, 0, 0.9, 0, 0.3, 0),
    "metal": (1, 0.45, 0.8, 0.45, 0.8, 0.45, 0.8, 0.45, 1, 0.45, 0.8, 0.45, 0.8, 0.45, 0.8, 0.45),
    # 3/4 takes cells 1, 2 and 4: the root on one, sometimes the fifth on three.
    "waltz": (1, 0, 0, 0, 0.15, 0, 0, 0, 0.2, 0, 0, 0, 0.5, 0, 0, 0),
    "disco": (1, 0, 0.9, 0, 0.9, 0, 0.9, 0, 0.95, 0, 0.9, 0, 0.9, 0, 0.9, 0.1),  # octave eighths
    "country": (1, 0, 0, 0, 0.2, 0, 0, 0, 0.95, 0, 0, 0, 0.2, 0, 0.25, 0),  # root-fifth two-beat
    "ballad": (1, 0, 0, 0, 0, 0, 0.2, 0, 0.7, 0, 0, 0, 0.15, 0, 0.3, 0),
    "march": (1, 0, 0, 0, 0.6, 0, 0, 0, 0.95, 0, 0, 0, 0.6, 0, 0, 0),
}
# Fraction of the gap to the next onset that a bass note sounds.
_BASS_ARTICULATION = {
    "default": 0.9,
    "rock": 0.88,
    "funk": 0.55,
    "hip-hop": 0.95,
    "jazz": 0.92,
    "latin": 0.85,
    "electronic": 0.5,
    "reggae": 0.8,
    "blues": 0.85,
    "metal": 0.7,
    "waltz": 0.85,
    "disco": 0.5,
    "country": 0.8,
    "ballad": 0.95,
    "march": 0.6,
}
# Role weights on strong pulses (not the downbeat) and on off-beats.
_BASS_ROLES: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "default": (
        {"root": 3, "fifth": 2, "octave": 1, "third": 0.5},
        {"repeat": 2, "fifth": 1, "octave": 1, "passing": 1},
    ),
    "rock": ({"root": 5, "fifth": 1.5, "octave": 0.8}, {"repeat": 5, "octave": 0.7, "fifth": 0.7, "passing": 0.3}),
    "funk": (
        {"root": 3, "octave": 2, "fifth": 1, "seventh": 1},
        {"octave": 2.5, "repeat": 1.5, "seventh": 1, "fifth": 1, "passing": 1},
    ),
    "hip-hop": ({"root": 4, "fifth": 1.5, "octave": 1}, {"repeat": 2, "fifth": 1, "passing": 1, "octave": 1}),
    "jazz": ({"third": 2, "fifth": 2, "passing": 2.5, "sixth": 1, "root": 0.5}, {"passing": 2, "third": 1, "fifth": 1}),
    "latin": ({"root": 3, "fifth": 3, "octave": 1}, {"fifth": 2, "root": 2, "octave": 1}),
    "electronic": ({"root": 4, "octave": 1}, {"repeat": 3, "octave": 2}),
    "reggae": ({"root": 3, "third": 1.5, "fifth": 2}, {"passing": 2, "third": 1.5, "fifth": 1.5, "repeat": 1}),
    "blues": (
        {"root": 1.5, "third": 2, "fifth": 2, "sixth": 1.5, "seventh": 1},
        {"repeat": 2, "passing": 1, "fifth": 1},
    ),
    "metal": ({"root": 6, "fifth": 1}, {"repeat": 6, "fifth": 0.5, "octave": 0.5}),
    "waltz": ({"fifth": 3, "root": 1.5, "third": 1}, {"passing": 1, "repeat": 1}),
    "disco": ({"octave": 3, "root": 3, "fifth": 1}, {"octave": 4, "repeat": 2, "fifth": 0.5}),
    "country": ({"fifth": 5, "root": 1, "third": 0.5}, {"passing": 2, "repeat": 1}),
    "ballad": ({"root": 3, "fifth": 2, "third": 1}, {"passing": 1.5, "repeat": 1}),
    "march": ({"fifth": 4, "root": 2}, {"passing": 1, "repeat": 1}),
}


def _cells_for_meter(profile16: Sequence[float], pulses: Sequence[int]) -> list[float]:
    """A 4/4 per-16th profile laid over any bar of pulses (3/4 uses pulses 1, 2, 4)."""
    cells = [list(profile16[i : i + 4]) for i in range(0, 16, 4)]
    n = len(pulses)
    mapping = {1: (0,), 2: (0, 2), 3: (0, 1, 3)}.get(n, tuple(i % 4 for i in range(n)))
    out: list[float] = []
    for i, length in enumerate(pulses):
        cell = cells[mapping[i]]
        if length == 6:
            out += [cell[0], cell[1], cell[2], cell[3], cell[2], cell[3]]
        else:
            out += (cell + [0.0] * length)[:length]
    return out


def _bass_riff(
    profile: Sequence[float],
    *,
    density: float,
    temperature: float,
    style: str,
    rng: np.random.Generator,
) -> list[int]:
    """Onset steps of one bar drawn from the profile; density bends every probability up or down."""
    k = 3.0 ** (2.0 * density - 1.0)
    onsets = []
    for step, p in enumerate(profile):
        p_eff = 1.0 - (1.0 - min(p, 0.999)) ** k
        if step == 0:
            skip = style in ("reggae", "hip-hop") and temperature > 1.0 and rng.random() < 0.15 * (temperature - 1.0)
            if not skip:
                onsets.append(0)
            continue
        if rng.random() < p_eff:
            onsets.append(step)
    return onsets


def _resample_span(
    onsets: list[int],
    profile: Sequence[float],
    lo: int,
    hi: int,
    *,
    density: float,
    rng: np.random.Generator,
) -> list[int]:
    k = 3.0 ** (2.0 * density - 1.0)
    kept = [s for s in onsets if not lo <= s < hi or s == 0]
    fresh = [s for s in range(max(lo, 1), hi) if rng.random() < 1.0 - (1.0 - min(profile[s], 0.999)) ** k]
    return sorted(set(kept + fresh))


@dataclass(frozen=True)
class _BassContext:
    key: Key
    chromatic: bool
    scale: tuple[int, ...]  # allowed pitches in the bass range


def _nearest_in(pitches: Sequence[int], target: float) -> int:
    return min(pitches, key=lambda p: (abs(p - target), p))


def _bass_root(chord: Chord, ctx: _BassContext, near: float, home: float) -> int:
    """The chord's bass note (slash bass included) in the octave closest to the previous root,
    pulled a little toward ``home`` so that a line does not drift to the edge of the range."""
    pc = chord.bass_pitch_class
    if not ctx.chromatic and pc not in ctx.key.pitch_classes:
        pc = snap_to_scale(48 + pc, ctx.key.pitch_classes) % 12
    candidates = [p for p in range(BASS_RANGE[0], 52) if p % 12 == pc]
    return min(candidates, key=lambda p: (abs(p - near) + 0.5 * abs(p - home), p))


def _allowed(pitch: int, ctx: _BassContext) -> int:
    pitch = _fold_into(pitch, *BASS_RANGE)
    if ctx.chromatic or pitch % 12 in ctx.key.pitch_classes:
        return pitch
    return _nearest_in(ctx.scale, pitch)


def _chord_interval_pitch(root: int, chord: Chord, ctx: _BassContext, wanted: Sequence[int]) -> int | None:
    """The chord tone ``wanted`` semitones above ``root`` (first that the chord has and may sound)."""
    for semis in wanted:
        if semis % 12 in [i % 12 for i in chord.intervals] and (
            ctx.chromatic or (root + semis) % 12 in ctx.key.pitch_classes
        ):
            return _fold_into(root + semis, *BASS_RANGE)
    return None


def _scale_above(root: int, ctx: _BassContext, semis: Sequence[int]) -> int:
    for s in semis:
        if (root + s) % 12 in ctx.key.pitch_classes:
            return _fold_into(root + s, *BASS_RANGE)
    return _allowed(root + semis[0], ctx)


def _step_toward(prev: int, target: int, ctx: _BassContext, rng: np.random.Generator) -> int:
    direction = int(np.sign(target - prev)) or (1 if rng.random() < 0.5 else -1)
    above = [p for p in ctx.scale if (p - prev) * direction > 0]
    if not above:
        above = [p for p in ctx.scale if (p - prev) * -direction > 0]
    return min(above, key=lambda p: abs(p - prev))


def _bass_pitch(
    role: str,
    *,
    root: int,
    chord: Chord,
    next_root: int,
    prev: int,
    ctx: _BassContext,
    rng: np.random.Generator,
) -> int:
    if role == "root":
        return root
    if role == "octave":
        return root + 12 if root + 12 <= BASS_RANGE[1] else root
    if role == "fifth":
        fifth = _chord_interval_pitch(root, chord, ctx, (7, 6, 8)) or _scale_above(root, ctx, (7, 6, 8))
        below = fifth - 12
        return below if below >= BASS_RANGE[0] and abs(below - prev) < abs(fifth - prev) else fifth
    if role == "third":
        return _chord_interval_pitch(root, chord, ctx, (4, 3)) or _scale_above(root, ctx, (4, 3, 5))
    if role == "seventh":
        return _chord_interval_pitch(root, chord, ctx, (10, 11)) or _scale_above(root, ctx, (10, 11, 9))
    if role == "sixth":
        return _scale_above(root, ctx, (9, 8, 10))
    if role == "repeat":
        return prev
    if role == "passing":
        return _step_toward(prev, next_root, ctx, rng)
    if role == "approach":
        if ctx.chromatic and rng.random() < 0.6:
            return _fold_into(next_root + (-1 if rng.random() < 0.7 else 1), *BASS_RANGE)
        lower = [p for p in ctx.scale if p < next_root]
        upper = [p for p in ctx.scale if p > next_root]
        options = ([max(lower)] if lower else []) + ([min(upper)] if upper else [])
        return options[0] if len(options) == 1 or rng.random() < 0.6 else options[1]
    raise ValueError(role)


def _generate_bass(request: GenerationRequest, grid: _Grid, style: str, rng: np.random.Generator) -> list[Note]:
    key, temperature, density = request.key, request.temperature, request.density
    ctx = _BassContext(key, request.chromatic, tuple(_scale_pitches(key.pitch_classes, *BASS_RANGE)))
    profile = _cells_for_meter(_BASS_PROFILES[style], grid.pulses)
    steps = grid.steps_per_bar
    articulation = _BASS_ARTICULATION[style]
    strong_roles, weak_roles = _BASS_ROLES[style]
    pulse_starts = set(grid.pulse_starts)
    last_pulse = grid.pulse_starts[-1]

    home = BASS_HOME
    prev_root: float = home
    prev = int(home)
    riff: list[int] | None = None
    if request.primer:
        primer = [n for n in request.primer if n.start < request.primer_seconds]
        if primer:
            last = max(primer, key=lambda n: (n.start, -n.pitch))
            prev = _fold_into(last.pitch, *BASS_RANGE)
            prev_root = float(min(prev, 48))
            riff = _primer_rhythm(primer, grid, request.primer_seconds)
    if not riff:
        riff = _bass_riff(profile, density=density, temperature=temperature, style=style, rng=rng)
    if temperature <= 1.0 and 0 not in riff:
        riff = [0, *riff]

    notes: list[Note] = []
    for bar in range(grid.bars):
        chord = request.chord_at_bar(bar)
        next_chord = request.chord_at_bar(bar + 1)
        root = _bass_root(chord, ctx, prev_root, home)
        next_root = _bass_root(next_chord, ctx, root, home)
        prev_root = root
        onsets = list(riff)
        if bar > 0 and rng.random() < min(0.9, 0.35 * temperature):  # vary the pickup into the next bar
            onsets = _resample_span(onsets, profile, last_pulse, steps, density=density, rng=rng)
        if bar > 0 and rng.random() < min(0.6, 0.15 * temperature):
            pulse = int(rng.integers(0, len(grid.pulses)))
            lo = grid.pulse_starts[pulse]
            onsets = _resample_span(onsets, profile, lo, lo + grid.pulses[pulse], density=density, rng=rng)
        changing = next_chord.bass_pitch_class != chord.bass_pitch_class or bar == grid.bars - 1
        p_approach = min(0.9, 0.5 * temperature) if changing else 0.1 * temperature
        if changing and not any(s > last_pulse for s in onsets) and rng.random() < p_approach * 0.6:
            onsets = sorted({*onsets, steps - 2})  # an 8th pickup to lead into the next chord
        for i, step in enumerate(onsets):
            end_step = onsets[i + 1] if i + 1 < len(onsets) else steps
            if step == 0:
                role = "root"
                if temperature > 1.0 and rng.random() < 0.12 * (temperature - 1.0):
                    role = _weighted_choice(rng, {"fifth": 1, "third": 1}, 1.0)
            elif i == len(onsets) - 1 and step >= last_pulse and bar < grid.bars - 1 and rng.random() < p_approach:
                role = "approach"
            else:
                options = dict(strong_roles if step in pulse_starts else weak_roles)
                if step >= last_pulse and "passing" in options:
                    options["passing"] *= 1.0 + temperature
                if style == "jazz":
                    options.pop("repeat", None)
                role = _weighted_choice(rng, options, temperature)
            pitch = _bass_pitch(role, root=root, chord=chord, next_root=next_root, prev=prev, ctx=ctx, rng=rng)
            pitch = _allowed(pitch, ctx)
            if style == "jazz" and step != 0 and pitch == prev:  # a walking line keeps walking
                pitch = _allowed(_step_toward(prev, next_root, ctx, rng), ctx)
            prev = pitch
            gap = (end_step - step) * grid.step_seconds
            length = max(gap * articulation, min(gap, grid.step_seconds * 0.5))
            start = grid.time(bar, step)
            velocity = 100 if step == 0 else 90 if step in pulse_starts else 78
            if style == "funk" and role == "octave":
                velocity += 10  # popped octave
            velocity += int(rng.integers(-4, 5))
            notes.append(Note(pitch, start, start + length, int(np.clip(velocity, 1, 127))))
    return notes


def _last_bar_start(primer_seconds: float, bar_seconds: float) -> float:
    """Start of the primer's last complete bar on its own grid (0 when it is shorter than a bar)."""
    full = int(primer_seconds / bar_seconds + 1e-6)
    return (full - 1) * bar_seconds if full >= 1 else 0.0


def _primer_rhythm(primer: Sequence[Note], grid: _Grid, primer_seconds: float) -> list[int]:
    """Onset steps (within one bar) of the primer's last bar, quantised to 16ths."""
    start = _last_bar_start(primer_seconds, grid.steps_per_bar * grid.step_seconds)
    steps = set()
    for note in primer:
        if note.start >= start - grid.step_seconds / 2:
            step = int(round((note.start - start) / grid.step_seconds))
            if 0 <= step < grid.steps_per_bar:
                steps.add(step)
    return sorted(steps)


# --- melody ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    events: tuple[tuple[int, int], ...]  # (offset, duration) in steps inside the pulse
    kind: str = "plain"  # plain | short (note then rest) | sync | rest | hold


_SIMPLE_CELLS = (
    _Cell(((0, 4),)),
    _Cell(((0, 2), (2, 2))),
    _Cell(((0, 3), (3, 1))),
    _Cell(((0, 1), (1, 1), (2, 2))),
    _Cell(((0, 2), (2, 1), (3, 1))),
    _Cell(((0, 1), (1, 1), (2, 1), (3, 1))),
    _Cell(((0, 1), (1, 2), (3, 1)), "sync"),
    _Cell(((2, 2),), "sync"),
    _Cell(((0, 2),), "short"),
    _Cell((), "rest"),
    _Cell((), "hold"),
)
_COMPOUND_CELLS = (
    _Cell(((0, 6),)),
    _Cell(((0, 4), (4, 2))),
    _Cell(((0, 2), (2, 2), (4, 2))),
    _Cell(((0, 3), (3, 1), (4, 2))),
    _Cell(((0, 2), (2, 4)), "sync"),
    _Cell(((0, 2), (2, 1), (3, 1), (4, 2))),
    _Cell(((0, 1), (1, 1), (2, 1), (3, 1), (4, 2))),
    _Cell(((2, 2), (4, 2)), "sync"),
    _Cell((), "rest"),
    _Cell((), "hold"),
)
_SYNC_STYLE = {"funk": 1.0, "hip-hop": 0.8, "latin": 1.0, "reggae": 0.8, "electronic": 0.6, "jazz": 0.7}


def _choose_cell(
    length: int,
    *,
    first: bool,
    prev_sounding: bool,
    density: float,
    temperature: float,
    style: str,
    rng: np.random.Generator,
) -> _Cell:
    cells = _COMPOUND_CELLS if length == 6 else _SIMPLE_CELLS
    target = density_target(density, part="melody") * length / 4.0  # notes per pulse
    weights = []
    for cell in cells:
        if length not in (4, 6) and cell.events and max(o + d for o, d in cell.events) > length:
            weights.append(0.0)
            continue
        w = math.exp(-((len(cell.events) - target) ** 2) / (2 * 0.7**2))
        if cell.kind == "short":
            w *= 0.35
        elif cell.kind == "sync":
            w *= (0.2 + _SYNC_STYLE.get(style, 0.3)) * temperature
        elif cell.kind == "rest":
            w = 0.5 * (1.1 - density) * (0.5 + 0.5 * temperature)
        elif cell.kind == "hold":
            w = 0.6 * (1.1 - density) if prev_sounding else 0.0
        if first and (cell.kind not in ("plain", "short") or not cell.events):
            w *= 0.15 * temperature  # the downbeat usually sounds
        weights.append(w)
    arr = np.array(weights) ** (1.0 / np.clip(temperature, 0.25, 2.0))
    if arr.sum() <= 0:
        return cells[0]
    return cells[int(rng.choice(len(cells), p=arr / arr.sum()))]


def _bar_rhythm(cells: Sequence[_Cell], grid: _Grid) -> list[tuple[int, int]]:
    """Cells of a bar -> (step, duration) events; a hold lengthens the previous note."""
    events: list[tuple[int, int]] = []
    for cell, start in zip(cells, grid.pulse_starts, strict=True):
        length = grid.pulses[grid.pulse_starts.index(start)]
        if cell.kind == "hold" and events:
            step, dur = events[-1]
            events[-1] = (step, dur + length)
        for off, dur in cell.events:
            events.append((start + off, min(dur, length - off)))
    return events


def _motif(grid: _Grid, *, density: float, temperature: float, style: str, rng: np.random.Generator) -> list[_Cell]:
    cells: list[_Cell] = []
    for i, length in enumerate(grid.pulses):
        prev_sounding = bool(cells) and (bool(cells[-1].events) or cells[-1].kind == "hold")
        cells.append(
            _choose_cell(
                length,
                first=i == 0,
                prev_sounding=prev_sounding,
                density=density,
                temperature=temperature,
                style=style,
                rng=rng,
            )
        )
    return cells


def _vary(
    cells: Sequence[_Cell],
    grid: _Grid,
    *,
    amount: float,
    density: float,
    temperature: float,
    style: str,
    rng: np.random.Generator,
) -> list[_Cell]:
    out = list(cells)
    for i, length in enumerate(grid.pulses):
        if rng.random() < amount:
            prev_sounding = i > 0 and (bool(out[i - 1].events) or out[i - 1].kind == "hold")
            out[i] = _choose_cell(
                length,
                first=i == 0,
                prev_sounding=prev_sounding,
                density=density,
                temperature=temperature,
                style=style,
                rng=rng,
            )
    return out


def _cadence_rhythm(cells: Sequence[_Cell], grid: _Grid, *, final: bool) -> list[tuple[int, int]]:
    """The phrase-end bar: the motif's first half, then a long note on a strong pulse."""
    n = len(grid.pulses)
    land = n // 2 if n >= 2 else 0
    events = _bar_rhythm(list(cells[:land]) + [_Cell(())] * (n - land), grid)
    land_step = grid.pulse_starts[land]
    events = [(s, min(d, land_step - s)) for s, d in events if s < land_step]
    breath = 0 if final else min(2, grid.steps_per_bar - land_step - 1)
    events.append((land_step, grid.steps_per_bar - land_step - breath))
    return events


@dataclass(frozen=True)
class _MelodyEvent:
    bar: int
    step: int
    dur: int
    phrase: int
    phrase_pos: float  # 0..1 through the phrase
    strong: bool  # on a pulse start
    downbeat: bool
    secondary: bool  # the bar's secondary accent (beat 3 of 4/4, the second pulse of 6/8)
    cadence: str | None  # None | "half" | "full": the last note of a phrase
    motif_index: int | None  # index into the motif's intervals when this bar restates it


def _melody_plan(
    request: GenerationRequest,
    grid: _Grid,
    style: str,
    rng: np.random.Generator,
    primer_cells: list[tuple[int, int]] | None,
) -> list[_MelodyEvent]:
    """Rhythm and phrase structure of the whole melody.

    Phrases are two bars (one for a one-bar clip): the first bar states (or, in later phrases,
    varies) motif A, the last is a cadence bar. Every second phrase ends on a full cadence.
    """
    temperature, density = request.temperature, request.density
    motif_a = _motif(grid, density=density, temperature=temperature, style=style, rng=rng)
    motif_b = _motif(grid, density=density, temperature=temperature, style=style, rng=rng)
    a_rhythm = primer_cells if primer_cells else _bar_rhythm(motif_a, grid)
    events: list[_MelodyEvent] = []
    phrase_bars = 2 if grid.bars >= 2 else 1
    n_pulses = len(grid.pulses)
    secondary = grid.pulse_starts[n_pulses // 2] if n_pulses in (2, 4, 6, 8) else -1
    for bar in range(grid.bars):
        phrase = bar // phrase_bars
        in_phrase = bar % phrase_bars
        last_of_phrase = in_phrase == phrase_bars - 1 or bar == grid.bars - 1
        motif_bar = False
        if last_of_phrase:  # the cadence bar: motif B's opening, then a long stable note
            final = bar == grid.bars - 1
            cells = _vary(
                motif_b,
                grid,
                amount=0.1 * temperature * (phrase % 2),
                density=density,
                temperature=temperature,
                style=style,
                rng=rng,
            )
            rhythm = _cadence_rhythm(cells, grid, final=final)
            if bar == 0 and primer_cells:
                rhythm = _cadence_rhythm(motif_a, grid, final=final)
        else:
            amount = 0.0 if phrase == 0 else min(0.8, 0.15 * temperature * (1 + phrase // 2))
            if primer_cells and amount == 0.0:
                rhythm = a_rhythm
            else:
                varied = _vary(
                    motif_a, grid, amount=amount, density=density, temperature=temperature, style=style, rng=rng
                )
                rhythm = a_rhythm if primer_cells and rng.random() > amount else _bar_rhythm(varied, grid)
            motif_bar = phrase > 0 or bool(primer_cells)  # a primer lends its intervals at once
        start_bar = phrase * phrase_bars
        span = min(phrase_bars, grid.bars - start_bar) * grid.steps_per_bar
        for i, (step, dur) in enumerate(rhythm):
            if dur <= 0:
                continue
            pos = ((bar - start_bar) * grid.steps_per_bar + step) / max(1, span)
            events.append(
                _MelodyEvent(
                    bar,
                    step,
                    dur,
                    phrase,
                    pos,
                    step in grid.pulse_starts,
                    step == 0,
                    step == secondary,
                    None,
                    i if motif_bar else None,
                )
            )
        if last_of_phrase and events:
            kind = "full" if (phrase % 2 == 1 or bar == grid.bars - 1) else "half"
            e = events[-1]
            events[-1] = _MelodyEvent(
                e.bar, e.step, e.dur, e.phrase, e.phrase_pos, e.strong, e.downbeat, e.secondary, kind, None
            )
    return events


def _contour(pos: float, *, center: float, height: float, peak: float, shape: str) -> float:
    a = math.log(0.5) / math.log(min(max(peak, 0.2), 0.8))
    arch = math.sin(math.pi * pos**a)
    if shape == "arch":
        return center + height * arch - 2.0 * pos
    if shape == "inverted":
        return center - height * arch + 1.0
    if shape == "rising":
        return center - height / 2 + height * pos
    return center + height / 2 - height * pos  # falling


def _generate_melody(request: GenerationRequest, grid: _Grid, style: str, rng: np.random.Generator) -> list[Note]:
    key, temperature = request.key, request.temperature
    pitches = _scale_pitches(key.pitch_classes, *MELODY_RANGE)
    index = {p: i for i, p in enumerate(pitches)}
    center = 67.0 + float(rng.integers(-2, 3))
    prev: int | None = None
    primer_cells = None
    motif_intervals: list[int] = []
    if request.primer:
        primer = sorted((n for n in request.primer if n.start < request.primer_seconds), key=lambda n: n.start)
        if primer:
            last = primer[-1].pitch
            prev = _nearest_in(pitches, _fold_into(last, MELODY_RANGE[0], MELODY_RANGE[1]))
            center = float(np.clip(prev, 62, 79))
            primer_cells = _primer_events(primer, grid, request.primer_seconds) or None
            tail = [
                _nearest_in(pitches, _fold_into(n.pitch, *MELODY_RANGE)) for n in primer[-len(primer_cells or []) :]
            ]
            motif_intervals = [index[b] - index[a] for a, b in pairwise(tail)]
    events = _melody_plan(request, grid, style, rng, primer_cells)

    phrase_shape: dict[int, tuple[float, float, float, str]] = {}
    notes: list[Note] = []
    prev_interval = 0
    repeats = 0
    motif_pitches: list[int] = []
    for event in events:
        if event.phrase not in phrase_shape:
            shapes = {
                "arch": 3.0,
                "rising": 0.6 * temperature,
                "falling": 0.5 * temperature,
                "inverted": 0.3 * temperature,
            }
            shape = _weighted_choice(rng, shapes, 1.0)
            height = 3.0 + float(rng.uniform(0, 2 + 3 * temperature))
            if event.phrase > 0:
                center = float(np.clip(center + rng.normal(0, 1 + temperature), 62, 77))
                if event.phrase % 2 == 1:
                    center -= 1.0  # the answer sits a little lower
            phrase_shape[event.phrase] = (center, height, float(rng.uniform(0.45, 0.75)), shape)
        c, height, peak, shape = phrase_shape[event.phrase]
        target = _contour(event.phrase_pos, center=c, height=height, peak=peak, shape=shape)
        target = float(np.clip(target, MELODY_RANGE[0] + 3, MELODY_RANGE[1] - 5))
        chord = request.chord_at_bar(event.bar)
        chord_pcs = set(_stable_pcs(chord, key, request.chromatic))
        # What the harmony sounds: the whole chord, except in blues scales where a minor third
        # over a major chord is the idiom rather than a clash.
        sounding = chord_pcs if key.scale in ("blues", "minor_pentatonic") else set(chord.pitch_classes)
        candidates = np.array(pitches)
        scores = -(((candidates - target) / 5.0) ** 2)
        in_chord = np.array([p % 12 in chord_pcs for p in pitches])
        if event.downbeat:
            scores += np.where(in_chord, 2.0, -2.5)
        elif event.secondary:
            scores += np.where(in_chord, 1.2, -1.6 / max(temperature, 0.5))
        elif event.strong:
            scores += np.where(in_chord, 0.8, -0.6)
        else:
            scores += np.where(in_chord, 0.3, 0.0)
        if event.strong:  # a semitone against a chord tone on a beat is a clash (b9, blue note)
            clash = [p % 12 not in chord_pcs and bool(sounding & {(p + 1) % 12, (p - 1) % 12}) for p in pitches]
            scores += np.where(np.array(clash), -0.8, 0.0)
        if prev is not None:
            d = candidates - prev
            ad = np.abs(d)
            scores += np.select(
                [ad == 0, ad <= 2, ad <= 4, ad <= 5, ad <= 7, ad <= 12],
                [
                    0.3 - 1.2 * repeats,
                    1.2,
                    0.4,
                    -0.3 / max(temperature, 0.3),
                    -0.9 / max(temperature, 0.3),
                    -3.0 / max(temperature, 0.3) - (ad - 7) * 0.6,
                ],
                default=-9.0,
            )
            if abs(prev_interval) > 4:  # resolve a leap by step in the other direction
                opposite = (np.sign(d) == -np.sign(prev_interval)) & (ad <= 2) & (ad > 0)
                scores += np.where(opposite, 1.8, -1.0)
            if event.motif_index is not None and 0 < event.motif_index <= len(motif_intervals):
                want = motif_intervals[event.motif_index - 1]
                steps_moved = np.array([index[p] - index[prev] for p in pitches])
                scores += np.where(steps_moved == want, 1.2, 0.0)
        if event.cadence:
            stable = in_chord.copy()
            scores = np.where(stable, scores, -50.0)
            tonic = np.array([p % 12 == key.tonic for p in pitches])
            root = np.array([p % 12 == chord.root for p in pitches])
            if event.cadence == "full":
                scores += np.where(tonic, 2.5, 0.0) + np.where(root, 1.0, 0.0)
            else:
                scores += np.where(root, 0.0, 0.8)
        choice = pitches[_softmax_choice(rng, scores, temperature)]
        if prev is not None:
            prev_interval = choice - prev
            repeats = repeats + 1 if choice == prev else 0
        prev = choice
        if event.phrase == 0 and event.bar == 0 and not request.primer:
            motif_pitches.append(choice)
            motif_intervals = [index[b] - index[a] for a, b in pairwise(motif_pitches)]
        start = grid.time(event.bar, event.step)
        length = event.dur * grid.step_seconds * (0.92 if event.dur <= 2 else 0.96)
        velocity = 92 if event.downbeat else 84 if event.strong else 74
        velocity += int(round(6 * (target - c) / max(height, 1.0)))  # louder toward the peak
        notes.append(Note(choice, start, start + length, int(np.clip(velocity + rng.integers(-3, 4), 1, 127))))
    if request.chromatic:
        notes = _chromatic_passing(notes, key, temperature, rng)
    return notes


def _primer_events(primer: Sequence[Note], grid: _Grid, primer_seconds: float) -> list[tuple[int, int]]:
    """(step, duration) of the primer's last bar, quantised to 16ths, as one bar's rhythm."""
    start = _last_bar_start(primer_seconds, grid.steps_per_bar * grid.step_seconds)
    events: dict[int, int] = {}
    for note in primer:
        step = int(round((note.start - start) / grid.step_seconds))
        if 0 <= step < grid.steps_per_bar and note.start >= start - grid.step_seconds / 2:
            dur = max(1, int(round((note.end - note.start) / grid.step_seconds)))
            events[step] = max(events.get(step, 0), dur)
    steps = sorted(events)
    return [
        (s, max(1, min(events[s], (steps[i + 1] if i + 1 < len(steps) else grid.steps_per_bar) - s)))
        for i, s in enumerate(steps)
    ]


def _chromatic_passing(notes: list[Note], key: Key, temperature: float, rng: np.random.Generator) -> list[Note]:
    """With chromatic on: split a note moving a whole step to its neighbour into note + passing tone."""
    out: list[Note] = []
    for i, note in enumerate(notes):
        nxt = notes[i + 1] if i + 1 < len(notes) else None
        if (
            nxt is not None
            and abs(nxt.pitch - note.pitch) == 2
            and note.end - note.start > 0.2
            and rng.random() < 0.35 * temperature
        ):
            mid = note.start + (note.end - note.start) / 2
            out.append(Note(note.pitch, note.start, mid, note.velocity))
            out.append(Note((note.pitch + nxt.pitch) // 2, mid, note.end, max(1, note.velocity - 8)))
        else:
            out.append(note)
    return out


# --- the backend ---------------------------------------------------------------------------


class TheoryGenerator(Generator):
    """Rule-based drums, bass and melody: always available, seeded, thread-safe."""

    name = "theory"
    family = "theory"
    parts = frozenset({"drums", "bass", "melody"})
    preference = 0
    follows_chords = True

    def __init__(self, dynamics: GrooveDynamics | None = None) -> None:
        # The learned drum and bass velocities (ai.generation.dynamics); without them the
        # patterns' own accents stand.
        self.dynamics = dynamics

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "family": self.family, "drum_styles": list(DRUM_STYLES)}

    def generate(self, request: GenerationRequest) -> GeneratedClip:
        request.validate()
        try:
            style = normalise_drum_style(request.style)
        except ValueError as exc:
            raise InvalidParameter("style", str(exc)) from exc
        grid = _grid_for(request)
        rng = np.random.default_rng(request.seed)
        end = request.primer_seconds + request.duration_seconds
        if request.part == "drums":
            groove = None
            if request.primer:
                groove = groove_from_notes(
                    request.primer,
                    step_seconds=grid.step_seconds,
                    steps_per_bar=grid.steps_per_bar,
                    end_seconds=request.primer_seconds,
                )
            notes = generate_drums(
                rng=rng,
                style=style,
                bars=grid.bars,
                pulses=grid.pulses,
                step_seconds=grid.step_seconds,
                offset=grid.offset,
                density=request.density,
                temperature=request.temperature,
                groove=groove,
            )
            # Its second bar is the pattern's own variation, as much as the temperature asks: kept.
            notes = loop_phrases(
                notes, bar_seconds=request.bar_seconds, offset=grid.offset, bars=request.bars, two_bar=True
            )
        elif request.part == "bass":
            notes = _generate_bass(request, grid, style, rng)
        elif request.part == "melody":
            notes = _generate_melody(request, grid, style, rng)
            notes = shape_melody(notes, request, offset=grid.offset, last_pulse=grid.pulses[-1] * grid.step_seconds)
        else:
            raise InvalidParameter("part", f"unknown part '{request.part}' (drums, bass, melody)")

        if self.dynamics is not None:
            notes = self.dynamics.voice(
                notes,
                request,
                style=style,
                offset=grid.offset,
                rng=np.random.default_rng([request.seed, 7]),
                keep_accents=True,
            )
        swing = request.swing if request.swing > 0 else style_swing(style)
        if any(p != 4 for p in grid.pulses):  # compound or mixed meters: swing the 16ths of each 8th
            beat_seconds, subdivision = 2 * grid.step_seconds, 2
        else:
            beat_seconds, subdivision = 4 * grid.step_seconds, 4 if sixteenth_swing(style) else 2
        notes = apply_swing(notes, amount=swing, beat_seconds=beat_seconds, subdivision=subdivision, offset=grid.offset)
        notes = humanize(notes, amount=request.humanize, rng=rng, start_seconds=grid.offset, end_seconds=end)
        notes = fit_to_length(notes, start_seconds=grid.offset, end_seconds=end)
        if request.part != "drums" and not request.chromatic:
            outside = [n for n in notes if n.pitch % 12 not in request.key.pitch_classes]
            if outside:  # the generators only pick scale tones; this guards the hard guarantee
                logger.warning("theory %s: dropped %d out-of-scale notes (a bug)", request.part, len(outside))
                notes = [n for n in notes if n.pitch % 12 in request.key.pitch_classes]
        chords = [request.chord_at_bar(b).symbol for b in range(request.bars)]
        return GeneratedClip.continuing(
            request,
            notes,
            model=self.name,
            end=end,
            extra={
                "chords": chords,
                "style": style,
                "swing": swing,
                "key": f"{PITCH_CLASS_NAMES[request.key.tonic]} {request.key.scale}",
                "time_signature": f"{request.beats_per_bar}/{request.beat_unit}",
            },
        )
