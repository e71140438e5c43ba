"""Drum grooves per style, written on a 16th-note grid, and the drummer that plays them.

A style is a set of :class:`Layer` s (one GM drum note each) written for a bar of 4/4 (16 steps;
32 for two-bar patterns such as a clave) and optionally for 6/8 (12 or 24 steps). Other meters
are derived pulse by pulse (see :func:`ai.generation.feel.pulse_groups`): 3/4 takes the 4/4
pulses 1, 2 and 4, compound meters without a written pattern turn each quarter-note cell into a
dotted-quarter cell. Pattern characters:

- ``X`` accent, ``x`` normal hit, ``o`` open hi-hat (on a hat layer), ``g`` ghost note (played
  with a probability that grows with density), ``.`` rest;
- ``1``-``9``: an optional hit, played when ``density >= digit / 10`` (so hats go from quarters to
  8ths to 16ths as density rises).

The hi-hat and ride keep to the finest grid a drummer's hand sustains at the tempo
(:func:`timekeeping_spacing`): 16ths up to 150 BPM, 8ths above, as drummers move to 8ths when the
tempo rises.

:func:`generate_drums` plays the groove bar after bar with seeded variation (extra kicks, ghost
snares, open hats, comping), fills at phrase ends (the last bar of every four and the final bar)
and a crash after each fill. Temperature scales how often bars vary and how busy fills are.

The style tables, the General MIDI drum notes and the look-ups by style name live in
:mod:`ai.generation.drum_styles`; this module re-exports the names its importers use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.base import Note
from ai.generation.drum_styles import (
    _STYLES,
    CHINA,
    CLAP,
    CRASH,
    DRUM_STYLE_ALIASES,
    DRUM_STYLES,
    E_SNARE,
    FLOOR_HIGH,
    FLOOR_LOW,
    HAT,
    KICK,
    OPEN_HAT,
    PEDAL_HAT,
    RIDE,
    RIDE_BELL,
    SIDE_STICK,
    SNARE,
    SPLASH,
    TIMBALE_HIGH,
    TIMBALE_LOW,
    TOM_HI_MID,
    TOM_HIGH,
    TOM_LOW,
    TOM_LOW_MID,
    DrumStyle,
    Layer,
    normalise_drum_style,
    sixteenth_swing,
    style_meter,
    style_swing,
)
from ai.generation.feel import metric_weight

logger = logging.getLogger(__name__)

__all__ = [
    "DRUM_STYLES",
    "DRUM_STYLE_ALIASES",
    "DrumStyle",
    "Layer",
    "bar_pattern",
    "generate_drums",
    "groove_from_notes",
    "normalise_drum_style",
    "sixteenth_swing",
    "style_fill",
    "style_meter",
    "style_swing",
    "thin_hand_strokes",
    "timekeeping_spacing",
]

# Roles used by the variation logic, and the role a GM note plays when read from a primer.
_ROLE_BY_PITCH = {
    35: "kick",
    KICK: "kick",
    SIDE_STICK: "snare",
    SNARE: "snare",
    CLAP: "snare",
    E_SNARE: "snare",
    HAT: "hat",
    PEDAL_HAT: "hat",
    OPEN_HAT: "hat",
    RIDE: "ride",
    RIDE_BELL: "ride",
    59: "ride",
    CRASH: "cymbal",
    57: "cymbal",
    CHINA: "cymbal",
    SPLASH: "cymbal",
    FLOOR_LOW: "tom",
    FLOOR_HIGH: "tom",
    TOM_LOW: "tom",
    TOM_LOW_MID: "tom",
    TOM_HI_MID: "tom",
    TOM_HIGH: "tom",
}
_TIMEKEEPING_ROLES = frozenset({"hat", "ride", "perc"})  # shaped by metric weight, muted in fills

_VELOCITY = {"X": 118, "x": 96, "o": 96, "g": 36}
_OPTIONAL_VELOCITY = 72

_HAND_ROLES = frozenset({"hat", "ride"})  # a cymbal one hand keeps time on
MAX_HAND_STROKES_PER_SECOND = 10.0
"""The most hi-hat or ride strokes a second a drummer's hand sustains: 16ths up to 150 BPM, 8ths up to 300.
MMA's human-written grooves whose notes name a tempo play 16th hats only up to 125-130 BPM (kara/Kfunk1,
kara/kbossa: 8.3-8.7 strokes a second), 8ths at 120-150 (stdlib/bebop) and quarters or less at fast tempi
(stdlib/spiritual 120-180, dixie 200, bwmarch 248, broadway 280); 16th hats at 240 BPM (16 a second) sound
as a buzz, not a groove."""


def timekeeping_spacing(step_seconds: float) -> int:
    """The finest grid, in 16th steps from each pulse's start, that the hi-hat and ride may play at this
    tempo (``step_seconds``: one 16th): 1 (16ths), 2 (8ths), or 0 (the pulses alone), the finest whose
    strokes come no faster than MAX_HAND_STROKES_PER_SECOND."""
    for spacing in (1, 2):
        if spacing * step_seconds * MAX_HAND_STROKES_PER_SECOND >= 1.0 - 1e-9:
            return spacing
    return 0


_HAND_PITCHES = frozenset(p for p, role in _ROLE_BY_PITCH.items() if role in _HAND_ROLES) - {PEDAL_HAT}
"""The cymbal strokes one hand keeps time with (the pedal hi-hat is the foot's)."""


def thin_hand_strokes(
    notes: Sequence[Note], *, pulses: Sequence[int], step_seconds: float, offset: float
) -> list[Note]:
    """Another backend's drum notes (the Magenta drums) with their hi-hat and ride at most as fine as a hand
    sustains at this tempo (:func:`timekeeping_spacing`), one slot of that grid (an 8th of its pulse, or the pulse)
    at a time, per cymbal: strokes on the slot's line stay as they are and the others in the slot go (as the theory
    drums thin their own grooves, written on 8ths); a slot with no stroke on its line gets its loudest one (an
    accent, an open hat) moved there. A model's 16th groove ``x x . x`` becomes 8ths ``x . x .`` (dropping the
    strokes off the 8ths alone left quarters).

    ``notes``: on the straight grid (before swing) from ``offset``, in bars of ``pulses`` 16ths of
    ``step_seconds``; notes before ``offset`` (a primer) are kept as they are."""
    spacing = timekeeping_spacing(step_seconds)
    if spacing == 1:
        return list(notes)
    steps = int(sum(pulses))
    starts = [int(s) for s in np.cumsum((0, *pulses[:-1]))]
    slots: dict[tuple[int, int, str], list[tuple[int, bool]]] = {}
    for i, note in enumerate(notes):
        if note.start < offset - 1e-9 or note.pitch not in _HAND_PITCHES:
            continue
        bar, step = divmod(int(round((note.start - offset) / step_seconds)), steps)
        pulse_start = max(s for s in starts if s <= step)
        since = step - pulse_start
        line = pulse_start + (0 if spacing == 0 else since - since % spacing)
        on_line = abs(note.start - (offset + (bar * steps + line) * step_seconds)) < 1e-6
        slots.setdefault((bar, line, _ROLE_BY_PITCH[note.pitch]), []).append((i, on_line))
    keep: dict[int, Note] = {}
    for (bar, line, _), members in slots.items():
        on = [i for i, on_line in members if on_line]
        if on:
            keep.update((i, notes[i]) for i in on)
            continue
        loudest = max((i for i, _ in members), key=lambda i: (notes[i].velocity, -notes[i].start))
        at = offset + (bar * steps + line) * step_seconds
        note = notes[loudest]
        keep[loudest] = Note(note.pitch, at, at + (note.end - note.start), note.velocity)
    thinned = {i for members in slots.values() for i, _ in members}
    return [keep.get(i, note) for i, note in enumerate(notes) if i not in thinned or i in keep]


# --- deriving a bar's pattern for any meter -------------------------------------------------


def _simple_cell_index(i: int, n: int) -> int:
    if n <= 2:
        return i
    if n == 3:
        return (0, 1, 3)[i]
    if i < 4:
        return i
    return 1 if (i - 4) % 2 == 0 else 3


def _compound_cell_index(j: int, n: int) -> int:
    if n == 3:
        return 0 if j == 0 else 1
    return j % 2


def _to_compound(cell: str) -> str:
    """A quarter-note cell (on, e, &, a) -> a dotted-quarter cell (three 8ths and their 16ths)."""
    return cell[0] + cell[1] + cell[2] + cell[3] + cell[2] + cell[3]


def bar_pattern(layer: Layer, *, pulses: Sequence[int], bar: int, compound: bool) -> str:
    """The layer's pattern for one bar of the given pulses (lengths in 16ths), as a string.

    ``compound`` says whether ``layer`` was written for 6/8 (12/24 steps) or 4/4 (16/32 steps).
    """
    cell_len = 6 if compound else 4
    cells = [layer.pattern[i : i + cell_len] for i in range(0, len(layer.pattern), cell_len)]
    per_bar = 2 if compound else 4
    n_bars = max(1, len(cells) // per_bar)
    first = (bar % n_bars) * per_bar
    n_simple = sum(1 for p in pulses if p != 6)
    n_compound = sum(1 for p in pulses if p == 6)
    out = []
    si = ci = 0
    for length in pulses:
        if length == 6:
            if compound:
                out.append(cells[first + _compound_cell_index(ci, n_compound)])
            else:
                out.append(_to_compound(cells[first + _simple_cell_index(ci, max(n_compound, 2))]))
            ci += 1
        else:
            if compound:  # a 4-step pulse from a 6/8 cell: keep its first quarter note
                cell = cells[first + _compound_cell_index(si, n_simple)]
                out.append(cell[:2] + cell[4:6])
            else:
                out.append(cells[first + _simple_cell_index(si, n_simple)][:length].ljust(length, "."))
            si += 1
    return "".join(out)


# --- playing ----------------------------------------------------------------------------------


@dataclass
class _Hit:
    pitch: int
    step: int
    velocity: int
    role: str


def _char_hit(char: str, density: float, rng: np.random.Generator) -> int | None:
    """Velocity for a pattern character, or None when it does not sound at this density."""
    if char == ".":
        return None
    if char.isdigit():
        return _OPTIONAL_VELOCITY if density >= int(char) / 10.0 - 1e-9 else None
    if char == "g":
        return _VELOCITY["g"] if rng.random() < 0.15 + 0.85 * density else None
    return _VELOCITY.get(char, _VELOCITY["x"])


def _groove_hits(
    layers: Sequence[Layer],
    *,
    pulses: Sequence[int],
    bar: int,
    compound: bool,
    density: float,
    rng: np.random.Generator,
) -> list[_Hit]:
    hits = []
    for layer in layers:
        pattern = bar_pattern(layer, pulses=pulses, bar=bar, compound=compound)
        for step, char in enumerate(pattern):
            velocity = _char_hit(char, density, rng)
            if velocity is None:
                continue
            pitch = OPEN_HAT if char == "o" and layer.role == "hat" else layer.pitch
            hits.append(_Hit(pitch, step, int(round(velocity * layer.gain)), layer.role))
    return hits


def _thin_timekeeping(hits: list[_Hit], *, pulses: Sequence[int], spacing: int) -> list[_Hit]:
    """``hits`` without the hi-hat and ride strokes off the ``spacing`` grid of their pulse (a groove
    written in 16ths played in 8ths at a fast tempo: its accents and open hats on the 8ths stay)."""
    if spacing == 1:
        return hits
    starts = [int(s) for s in np.cumsum((0, *pulses[:-1]))]

    def on_grid(step: int) -> bool:
        since = step - max(s for s in starts if s <= step)
        return since == 0 if spacing == 0 else since % spacing == 0

    return [h for h in hits if h.role not in _HAND_ROLES or on_grid(h.step)]


def _vary_bar(
    hits: list[_Hit],
    style: DrumStyle,
    *,
    steps: int,
    pulses: Sequence[int],
    density: float,
    temperature: float,
    rng: np.random.Generator,
) -> list[_Hit]:
    """Seeded per-bar variation: extra kicks, ghost snares, an opened hat, jazz comping."""
    p_vary = float(np.clip(0.42 * temperature, 0.0, 0.85))
    occupied = {(h.role, h.step) for h in hits}
    pulse_starts = set(np.cumsum((0, *pulses[:-1])).tolist())
    if style.kick_options and rng.random() < p_vary:
        options = [s * steps // 16 for s in style.kick_options if s * steps // 16 < steps]
        options = [s for s in options if ("kick", s) not in occupied]
        if options:
            step = int(rng.choice(options))
            hits.append(_Hit(KICK, step, 88, "kick"))
    if style.ghost_rate > 0:
        n_ghosts = rng.binomial(3, min(1.0, style.ghost_rate * density * min(temperature, 1.5)))
        candidates = [
            s
            for s in range(1, steps)
            if s % 2 == 1
            and ("snare", s) not in occupied
            and ("snare", s - 1) not in occupied
            and ("snare", s + 1) not in occupied
        ]
        if candidates and n_ghosts:
            for step in rng.choice(candidates, size=min(n_ghosts, len(candidates)), replace=False):
                hits.append(_Hit(style.snare_pitch, int(step), 34 + int(rng.integers(0, 10)), "snare"))
    if style.open_hat and rng.random() < p_vary * 0.6:
        last_off = steps - 2
        for h in hits:
            if h.role == "hat" and h.step == last_off and h.pitch == HAT:
                h.pitch = OPEN_HAT
        hits = [h for h in hits if not (h.role == "hat" and h.step == steps - 1)]
    if style.comping:
        n_comp = rng.binomial(2 + int(3 * density), min(1.0, 0.35 * temperature))
        offbeats = [s for s in range(steps) if s % 2 == 0 and s not in pulse_starts]
        for step in rng.choice(offbeats, size=min(n_comp, len(offbeats)), replace=False) if offbeats else []:
            pitch, velocity = (KICK, 70) if rng.random() < 0.25 else (SNARE, 44 + int(rng.integers(0, 22)))
            hits.append(_Hit(pitch, int(step), velocity, "kick" if pitch == KICK else "snare"))
    return hits


_TOM_PATH = (TOM_HIGH, TOM_HI_MID, TOM_LOW_MID, TOM_LOW, FLOOR_HIGH, FLOOR_LOW)


def _fill_hits(
    style: DrumStyle,
    *,
    start: int,
    steps: int,
    pulses: Sequence[int],
    density: float,
    temperature: float,
    rng: np.random.Generator,
) -> list[_Hit]:
    """A fill over steps ``start..steps-1``: rhythm from density, voices descending, crescendo."""
    compound_region = any(p == 6 for p in pulses)
    busy = density >= 0.35 or style.fill in ("metal", "roll", "snare")
    unit = 1 if busy else 2
    if style.fill == "jazz":
        unit = 2
    onsets = list(range(start, steps, unit))
    rest_p = {"jazz": 0.45, "snare": 0.3}.get(style.fill, 0.1) * (0.5 + 0.5 * temperature)
    keep = [s for i, s in enumerate(onsets) if i in (0, len(onsets) - 1) or rng.random() >= rest_p]
    n = len(keep)
    hits: list[_Hit] = []
    if style.fill in ("snare", "roll"):
        voices = [style.snare_pitch] * n
        if style.fill == "snare" and n > 2:  # a tom or two at the end, chosen by temperature
            for k in range(n - 1, max(n - 1 - int(round(temperature)), 0), -1):
                voices[k] = int(rng.choice((TOM_HIGH, TOM_LOW_MID, FLOOR_HIGH)))
    elif style.fill == "timbales":
        voices = [int(rng.choice((TIMBALE_HIGH, TIMBALE_LOW), p=(0.6, 0.4))) for _ in range(n)]
    elif style.fill == "jazz":
        voices = [int(rng.choice((SNARE, SNARE, TOM_HI_MID, FLOOR_HIGH))) for _ in range(n)]
    else:  # toms / metal: start on the snare, walk down the kit
        path = [SNARE, *_TOM_PATH[:: 2 if temperature < 0.8 else 1]]
        segment = max(1, int(round(n / len(path) * (1.5 if temperature < 1.0 else 1.0))))
        voices = [path[min(len(path) - 1, i // segment)] for i in range(n)]
        if temperature > 1.2:  # adventurous: occasional out-of-order voice
            for i in range(n):
                if rng.random() < 0.15 * (temperature - 1.0):
                    voices[i] = int(rng.choice(path))
    for i, (step, pitch) in enumerate(zip(keep, voices, strict=True)):
        velocity = 80 + 36 * (i / max(1, n - 1))
        if style.fill == "roll":
            velocity = 60 + 56 * (i / max(1, n - 1))
        hits.append(_Hit(pitch, step, int(round(velocity)), "fill"))
    # Kick underneath: on each pulse start of the fill (every 16th for metal), and with the last hit.
    pulse_starts = [int(s) for s in np.cumsum((0, *pulses[:-1])) if s >= start]
    kick_steps = set(range(start, steps)) if style.fill == "metal" else set(pulse_starts)
    if style.fill == "jazz" or compound_region:
        kick_steps = set(pulse_starts[-1:])
    for step in sorted(kick_steps):
        hits.append(_Hit(KICK, step, 96, "kick"))
    return hits


def _bar_fill(
    spec: DrumStyle,
    *,
    pulses: Sequence[int],
    density: float,
    temperature: float,
    rng: np.random.Generator,
    last: bool,
) -> tuple[int, list[_Hit]]:
    """The 16th step where the bar's fill starts, and the fill's hits (:func:`_fill_hits`) from there to the bar's end.

    The fill takes the bar's last pulse; in a bar of three pulses or more, its last two with probability
    0.2 + 0.25 * temperature (+ 0.2 when ``density`` > 0.6); in the clip's ``last`` bar of four pulses or more, with
    probability 0.12 * temperature, every pulse but the first (a fill never takes the whole bar: the downbeat
    stays the groove's). A bar of one pulse is filled from its middle step."""
    steps = int(sum(pulses))
    pulse_starts = np.cumsum((0, *pulses[:-1])).tolist()
    n_pulses = len(pulses)
    k = 1
    if n_pulses >= 3 and rng.random() < 0.2 + 0.25 * temperature + (0.2 if density > 0.6 else 0.0):
        k = 2
    if n_pulses >= 4 and last and rng.random() < 0.12 * temperature:
        k = n_pulses
    k = min(k, max(1, n_pulses - 1)) if n_pulses > 1 else 1
    start = int(pulse_starts[n_pulses - k]) if n_pulses > 1 else steps // 2
    return start, _fill_hits(
        spec, start=start, steps=steps, pulses=pulses, density=density, temperature=temperature, rng=rng
    )


def style_fill(
    style: str | None,
    *,
    pulses: Sequence[int],
    density: float,
    temperature: float,
    rng: np.random.Generator,
    last: bool = False,
) -> tuple[int, list[tuple[int, int, int]]]:
    """The style's fill for one bar, for a groove another backend made: the 16th it starts on
    and its hits as (GM note, 16th of the bar, velocity). ``last``: the clip's final bar."""
    start, hits = _bar_fill(
        _STYLES[normalise_drum_style(style)],
        pulses=pulses,
        density=density,
        temperature=temperature,
        rng=rng,
        last=last,
    )
    return start, [(h.pitch, h.step, h.velocity) for h in hits]


def groove_from_notes(
    notes: Sequence[Note],
    *,
    step_seconds: float,
    steps_per_bar: int,
    end_seconds: float,
) -> tuple[Layer, ...] | None:
    """A one-bar groove read from a drum clip (e.g. a primer): the hits of its last full bar,
    quantised to 16ths, one layer per GM note. ``None`` when the clip has no usable hits."""
    bar_seconds = step_seconds * steps_per_bar
    n_bars = int(end_seconds / bar_seconds + 1e-6)
    start = (n_bars - 1) * bar_seconds if n_bars >= 1 else 0.0
    by_pitch: dict[int, list[str]] = {}
    for note in notes:
        if note.start < start - step_seconds / 2 or not 35 <= note.pitch <= 81:
            continue
        step = int(round((note.start - start) / step_seconds))
        if not 0 <= step < steps_per_bar:
            continue
        row = by_pitch.setdefault(note.pitch, ["."] * steps_per_bar)
        row[step] = "X" if note.velocity >= 108 else "g" if note.velocity <= 50 else "x"
    if not by_pitch:
        return None
    return tuple(
        Layer(_ROLE_BY_PITCH.get(pitch, "perc"), pitch, "".join(row), 1.0) for pitch, row in sorted(by_pitch.items())
    )


def generate_drums(
    *,
    rng: np.random.Generator,
    style: str | None,
    bars: int,
    pulses: Sequence[int],
    step_seconds: float,
    offset: float,
    density: float,
    temperature: float,
    groove: Sequence[Layer] | None = None,
) -> list[Note]:
    """Quantised drum notes for ``bars`` bars starting at ``offset`` seconds.

    ``pulses`` are the bar's pulse lengths in 16th steps (``feel.pulse_groups``); ``groove``
    replaces the style's layers (e.g. read from a primer with :func:`groove_from_notes`); the
    style still decides variations and fills. Swing and humanisation are applied by the caller.
    """
    spec = _STYLES[normalise_drum_style(style)]
    steps = int(sum(pulses))
    has_compound = any(p == 6 for p in pulses)
    if groove:  # a primer's bar, played as written (same meter), then varied and filled
        layers = tuple(Layer(la.role, la.pitch, la.pattern[:steps].ljust(steps, "."), la.gain) for la in groove)
        return _play(
            spec,
            layers=layers,
            literal=True,
            compound=False,
            rng=rng,
            bars=bars,
            pulses=pulses,
            step_seconds=step_seconds,
            offset=offset,
            density=density,
            temperature=temperature,
        )
    if has_compound and spec.compound is not None:
        layers, compound = spec.compound, True
    else:
        layers, compound = spec.simple, False
    return _play(
        spec,
        layers=layers,
        literal=False,
        compound=compound,
        rng=rng,
        bars=bars,
        pulses=pulses,
        step_seconds=step_seconds,
        offset=offset,
        density=density,
        temperature=temperature,
    )


def _play(
    spec: DrumStyle,
    *,
    layers: Sequence[Layer],
    literal: bool,
    compound: bool,
    rng: np.random.Generator,
    bars: int,
    pulses: Sequence[int],
    step_seconds: float,
    offset: float,
    density: float,
    temperature: float,
) -> list[Note]:
    steps = int(sum(pulses))
    pulse_starts = np.cumsum((0, *pulses[:-1])).tolist()
    spacing = timekeeping_spacing(step_seconds)
    notes: list[Note] = []
    crash_next = False
    for bar in range(bars):
        if literal:
            hits = []
            for layer in layers:
                for step, char in enumerate(layer.pattern):
                    velocity = _char_hit(char, density, rng)
                    if velocity is not None:
                        hits.append(_Hit(layer.pitch, step, int(round(velocity * layer.gain)), layer.role))
        else:
            hits = _groove_hits(layers, pulses=pulses, bar=bar, compound=compound, density=density, rng=rng)
            # The style's hats at the tempo (a primer's groove, above, is the caller's: played as written).
            hits = _thin_timekeeping(hits, pulses=pulses, spacing=spacing)
        if bar > 0 or literal:
            hits = _vary_bar(hits, spec, steps=steps, pulses=pulses, density=density, temperature=temperature, rng=rng)
        fill_here = bars >= 2 and (bar % 4 == 3 or bar == bars - 1)
        if fill_here:
            start, fill = _bar_fill(
                spec, pulses=pulses, density=density, temperature=temperature, rng=rng, last=bar == bars - 1
            )
            hits = [h for h in hits if h.step < start or h.role in ("cymbal",)]
            hits += fill
        if crash_next:
            hits = [h for h in hits if not (h.step == 0 and h.role in _TIMEKEEPING_ROLES)]
            hits.append(_Hit(CRASH, 0, 112, "cymbal"))
            if not any(h.role == "kick" and h.step == 0 for h in hits):
                hits.append(_Hit(KICK, 0, 104, "kick"))
        crash_next = fill_here
        seen: set[tuple[int, int]] = set()
        bar_start = offset + bar * steps * step_seconds
        for h in sorted(hits, key=lambda h: (h.step, h.pitch, -h.velocity)):
            if (h.pitch, h.step) in seen:
                continue
            seen.add((h.pitch, h.step))
            hit_velocity = float(h.velocity)
            if h.role in _TIMEKEEPING_ROLES:
                weight = metric_weight(
                    h.step * step_seconds, seconds_per_beat=4 * step_seconds, beats_per_bar=max(1, steps // 4)
                )
                hit_velocity *= 0.78 + 0.22 * weight
            if h.role in ("kick", "snare") and h.step in pulse_starts[:1] and hit_velocity > 60:
                hit_velocity *= 1.05
            start_t = bar_start + h.step * step_seconds
            length = min(step_seconds * 0.9, 0.12) if h.pitch not in (CRASH, OPEN_HAT, RIDE) else step_seconds * 1.8
            notes.append(Note(h.pitch, start_t, start_t + length, int(np.clip(round(hit_velocity), 1, 127))))
    return notes
