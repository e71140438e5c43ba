"""Melody generation of the music-theory backend (:mod:`ai.generation.theory`): the register
(``MELODY_RANGE``), the rhythm cells per pulse, the motifs and phrase plan (two-bar phrases ending
on half or full cadences), the arched contours, and each pitch sampled from a softmax over scale
tones scored for contour, stepwise motion, leap resolution, chord tones on strong beats and the
motif's intervals; with ``chromatic`` on, whole steps gain chromatic passing tones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ai.generation.base import GenerationRequest, Note
from ai.generation.feel import density_target
from ai.generation.theory_grid import (
    _Grid,
    _last_bar_start,
    _nearest_in,
    _scale_pitches,
    _softmax_choice,
    _stable_pcs,
    _weighted_choice,
)
from ai.music_theory import Key, beat_scale, chord_scale, fold_into_range

MELODY_RANGE = (60, 84)  # C4 .. C6


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
            prev = _nearest_in(pitches, fold_into_range(last, MELODY_RANGE[0], MELODY_RANGE[1]))
            center = float(np.clip(prev, 62, 79))
            primer_cells = _primer_events(primer, grid, request.primer_seconds) or None
            tail = [
                _nearest_in(pitches, fold_into_range(n.pitch, *MELODY_RANGE))
                for n in primer[-len(primer_cells or []) :]
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
        beat = event.step * request.beat_unit / 16.0  # steps are 16ths
        chord = request.chord_at(event.bar, beat)
        # A bar's second chord arrives on its own "downbeat": the note there is a tone of it.
        arrives = request.half_bar_chord(event.bar) is not None and abs(beat - request.change_beat) < 1e-6
        chord_pcs = set(_stable_pcs(chord, key, request.chromatic))
        # What the harmony sounds: the whole chord, except in blues scales where a minor third
        # over a major chord is the idiom rather than a clash.
        sounding = chord_pcs if key.scale in ("blues", "minor_pentatonic") else set(chord.pitch_classes)
        candidates = np.array(pitches)
        scores = -(((candidates - target) / 5.0) ** 2)
        in_chord = np.array([p % 12 in chord_pcs for p in pitches])
        if event.downbeat or arrives:
            scores += np.where(in_chord, 2.0, -2.5)
        elif event.secondary:
            scores += np.where(in_chord, 1.2, -1.6 / max(temperature, 0.5))
        elif event.strong:
            scores += np.where(in_chord, 0.8, -0.6)
        else:
            scores += np.where(in_chord, 0.3, 0.0)
        if key.scale not in ("blues", "minor_pentatonic"):  # no key tone the chord alters (C natural under A7 in C)
            # and on a beat not the chord's other third (B natural under a borrowed Ab in C)
            allowed = beat_scale(key, chord) if event.strong else chord_scale(key, chord)
            scores += np.where(np.isin(candidates % 12, list(key.pitch_classes - allowed)), -50.0, 0.0)
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
