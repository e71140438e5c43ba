"""Per-style velocity tables for drums and bass, learned from MMA's human-written grooves.

``python -m training.groove_dynamics [--work data/training/mma] [--out models/groove_dynamics.json]``

Every MMA groove of a *training* style (training/split.py) is rendered once by ``mma`` (the
renderings training/mma_corpus.py caches) and each drum hit and bass onset is placed on the
16th-note grid of its bar (a swung or triplet off-beat, 1/3 or 2/3 of a beat, counts as the
16th it replaces). For each engine style (the MMA styles training/primers.py maps it to), each
meter MMA plays (4/4, 3/4), each instrument class (Magenta's nine drum classes, and the bass)
and each 16th of the bar, the table keeps how loud players play the instrument (the spread of
that over grooves), the accent at each 16th relative to that level, and the hit-to-hit spread
within a groove (see :func:`_class_table`). ``default`` pools every training groove. MMA's volumes are written per hit by the groove's author
(accents, ghost notes) and varied per hit by its ``RVolume``; both are what the table keeps.

Beside the tables, ``habits`` (:func:`_habit_summary`): per style and meter, how many grooves play
ghost notes, how soft the others' softest hit is, how often a kick falls on the downbeat (read by
``ai.generation.drum_habits``).

The model is plain JSON read by ``ai.generation.dynamics``; its card is models/groove_dynamics.md.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from training import mma_corpus
from training.primers import STYLE_MAP

REPO = Path(__file__).resolve().parent.parent
STEPS_PER_BEAT = 4  # 16ths of a quarter note
TRIPLET_TOLERANCE = 0.05  # beats: how close to 1/3 or 2/3 of a beat an onset is a triplet position
# Engine styles without an MMA counterpart borrow another's table (MMA has no metal grooves).
BORROWED = {"metal": "rock"}
GHOST_RATIO = 0.55  # a hit softer than this share of its class's loudest in the groove is a ghost
HABIT_BARS = 8  # the habits are read from a groove's first bars, as bench/groove_quality.py reads MMA
FLOOR_PERCENTILE = 10  # the ghost floor: this percentile of the non-ghosting grooves' softest/loudest


# The instrument groups a drum clip's style is told by (bench/groove_quality.py, training.primers).
DRUM_GROUPS: dict[str, tuple[str, ...]] = {
    "kick": ("kick",),
    "snare": ("snare",),
    "hats": ("closed_hat", "open_hat"),
    "ride": ("ride",),
    "toms": ("low_tom", "mid_tom", "high_tom"),
    "crash": ("crash",),
}


def drum_classes() -> dict[int, str]:
    """GM drum pitch -> class name, Magenta's nine drum classes (note_seq's default mapping)."""
    from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES

    names = ("kick", "snare", "closed_hat", "open_hat", "low_tom", "mid_tom", "high_tom", "crash", "ride")
    return {pitch: names[i] for i, pitches in enumerate(DEFAULT_DRUM_TYPE_PITCHES) for pitch in pitches}


def grid_step(beats_from_bar: float) -> int:
    """The 16th of the bar an onset ``beats_from_bar`` quarter notes after the bar line belongs to."""
    beat = int(np.floor(beats_from_bar + 1e-6))
    frac = beats_from_bar - beat
    if abs(frac - 2.0 / 3.0) < TRIPLET_TOLERANCE:  # swung off-beat 8th
        return beat * STEPS_PER_BEAT + 2
    if abs(frac - 1.0 / 3.0) < TRIPLET_TOLERANCE:  # first triplet 8th: the 16th after the beat
        return beat * STEPS_PER_BEAT + 1
    return int(round(beats_from_bar * STEPS_PER_BEAT))


def _hits(rendering: mma_corpus.Rendering, classes: dict[int, str]) -> list[tuple[str, int, int]]:
    """(class, 16th of the bar, velocity) for every drum hit and bass onset of ``rendering``."""
    beat = 60.0 / rendering.tempo
    bar_beats = rendering.numerator * 4.0 / rendering.denominator
    steps_per_bar = int(round(bar_beats * STEPS_PER_BEAT))
    out = []

    def place(start: float) -> int:
        beats = start / beat
        bar = int(np.floor(beats / bar_beats + 1e-6))
        return grid_step(beats - bar * bar_beats) % steps_per_bar

    for note in mma_corpus.drum_sequence(rendering).notes:
        name = classes.get(int(note.pitch))
        if name is not None:
            out.append((name, place(note.start_time), int(note.velocity)))
    for _pitch, start, _end, velocity in mma_corpus.bass_notes(rendering):
        out.append(("bass", place(start), int(velocity)))
    return out


class ClassTableRecord(TypedDict):
    """One class's velocity table as written to the model (see :func:`_class_table`)."""

    grooves: int
    level: float
    level_sd: float
    n: list[int]
    accent: list[float | None]
    spread: list[float | None]


def _class_table(grooves: list[dict[int, list[int]]], steps: int) -> ClassTableRecord:
    """One class's table from its hits in each groove (16th -> velocities).

    ``level``/``level_sd``: the mean and spread over grooves of the groove's mean velocity for the
    class (how loud a player plays that drum); ``accent``: per 16th, the hits' mean velocity there
    minus their groove's level (the accent pattern); ``spread``: per 16th, the standard deviation
    of the hits around their groove's mean at that 16th (hit-to-hit variation within a groove).
    """
    levels = [float(np.mean([v for vs in g.values() for v in vs])) for g in grooves]
    n = np.zeros(steps)
    accent_sum = np.zeros(steps)
    square_sum = np.zeros(steps)
    for groove, level in zip(grooves, levels, strict=True):
        for step, values in groove.items():
            arr = np.asarray(values, dtype=float)
            n[step] += arr.size
            accent_sum[step] += float((arr - level).sum())
            square_sum[step] += float(((arr - arr.mean()) ** 2).sum())
    seen = n > 0
    accent: list[float | None] = [round(float(a / c), 2) if c else None for a, c in zip(accent_sum, n, strict=True)]
    spread = [round(float(np.sqrt(q / c)), 2) if c else None for q, c in zip(square_sum, n, strict=True)]
    return {
        "grooves": len(grooves),
        "level": round(float(np.mean(levels)), 2),
        "level_sd": round(float(np.std(levels)), 2),
        "n": [int(c) for c in n],
        "accent": accent if seen.any() else [None] * steps,
        "spread": spread,
    }


def _ride_with_hat(rendering: mma_corpus.Rendering, classes: dict[int, str]) -> tuple[int, int]:
    """(bars where ride and closed hi-hat strike the same 16th, bars) of a rendering."""
    beat = 60.0 / rendering.tempo
    bar_beats = rendering.numerator * 4.0 / rendering.denominator
    hits: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for note in mma_corpus.drum_sequence(rendering).notes:
        name = classes.get(int(note.pitch))
        if name in ("ride", "closed_hat"):
            beats = note.start_time / beat
            bar = int(np.floor(beats / bar_beats + 1e-6))
            hits[name].add((bar, grid_step(beats - bar * bar_beats)))
    return len({bar for bar, _ in hits["ride"] & hits["closed_hat"]}), rendering.bars


def _habits(rendering: mma_corpus.Rendering, classes: dict[int, str]) -> dict[str, Any] | None:
    """A groove's ghost and downbeat habits over its first HABIT_BARS bars: whether any hit is a
    ghost (softer than GHOST_RATIO of its class's loudest), its softest hit over its class's
    loudest, its bars, and the bars with a kick (and with a kick and a snare) on the downbeat."""
    beat = 60.0 / rendering.tempo
    bar_beats = rendering.numerator * 4.0 / rendering.denominator
    hits: list[tuple[str, int, int, int]] = []  # class, bar, 16th, velocity
    for note in mma_corpus.drum_sequence(rendering).notes:
        name = classes.get(int(note.pitch))
        beats = note.start_time / beat
        bar = int(np.floor(beats / bar_beats + 1e-6))
        if name is not None and bar < HABIT_BARS:
            hits.append((name, bar, grid_step(beats - bar * bar_beats), int(note.velocity)))
    if not hits:
        return None
    loudest: dict[str, int] = defaultdict(int)
    for name, _bar, _step, velocity in hits:
        loudest[name] = max(loudest[name], velocity)
    softest = min(velocity / loudest[name] for name, _bar, _step, velocity in hits if loudest[name] > 0)
    bars = min(HABIT_BARS, rendering.bars)
    on_one = {(name, bar) for name, bar, step, _ in hits if step == 0}
    kick = sum((("kick", b) in on_one) for b in range(bars))
    both = sum((("kick", b) in on_one and ("snare", b) in on_one) for b in range(bars))
    snares = {(bar, step) for name, bar, step, _ in hits if name == "snare"}
    beats = [STEPS_PER_BEAT * i for i in range(int(bar_beats))]
    on_beat = [sum((b, step) in snares for b in range(bars)) for step in beats]
    backbeat = sum(all((b, step) in snares for step in beats[1::2]) for b in range(bars)) if len(beats) == 4 else 0
    return {
        "ghost": float(softest < GHOST_RATIO),
        "softest": softest,
        "bars": bars,
        "kick": kick,
        "both": both,
        "snare_beats": on_beat,
        "backbeat": backbeat,
    }


def _habit_summary(grooves: list[dict[str, Any]]) -> dict[str, Any]:
    """A style's habits from its grooves' (see :func:`_habits`): ``ghost_share``, the share of
    grooves with a ghost; ``ghost_floor``, the FLOOR_PERCENTILE-th percentile of the softest hit
    over its class's loudest among the grooves without one; ``downbeat_kick`` and
    ``downbeat_kick_snare``, the share of bars with a kick (and with kick and snare) on the one;
    ``snare_beats``, per beat of the bar the share of bars with a snare (snare class: side stick
    and clap included) on it; ``backbeat``, the share of 4/4 bars with one on both beats 2 and 4."""
    clean = [g["softest"] for g in grooves if not g["ghost"]]
    bars = sum(g["bars"] for g in grooves)
    beats = max((len(g["snare_beats"]) for g in grooves), default=0)

    def share(total: float) -> float:
        return round(total / bars, 3) if bars else 0.0

    return {
        "grooves": len(grooves),
        "ghost_share": round(float(np.mean([g["ghost"] for g in grooves])), 3),
        "ghost_floor": round(float(np.percentile(clean, FLOOR_PERCENTILE)), 3) if clean else GHOST_RATIO,
        "downbeat_kick": share(sum(g["kick"] for g in grooves)),
        "downbeat_kick_snare": share(sum(g["both"] for g in grooves)),
        "snare_beats": [share(sum(g["snare_beats"][i] for g in grooves)) for i in range(beats)],
        "backbeat": share(sum(g["backbeat"] for g in grooves)),
    }


def fit(renderings: list[mma_corpus.Rendering]) -> dict[str, Any]:
    """The model dict (see the module doc) from the training renderings."""
    classes = drum_classes()
    engine_styles: dict[str, list[str]] = defaultdict(list)
    for style, mma_styles in STYLE_MAP.items():
        for mma_style in mma_styles:
            engine_styles[mma_style].append(style)
    # (style, meter, class) -> one {16th: velocities} per groove that plays the class
    per_groove: dict[tuple[str, str, str], list[dict[int, list[int]]]] = defaultdict(list)
    used: dict[str, set[str]] = defaultdict(set)
    steps_of: dict[str, int] = {}
    ride_hat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    habits: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    count = 0
    for rendering in renderings:
        if rendering.heldout:
            continue
        meter = f"{rendering.numerator}/{rendering.denominator}"
        steps_of[meter] = int(round(rendering.numerator * 4.0 / rendering.denominator * STEPS_PER_BEAT))
        hits = _hits(rendering, classes)
        if not hits:
            continue
        count += 1
        by_class: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for name, step, velocity in hits:
            by_class[name][step].append(velocity)
        together, bars = _ride_with_hat(rendering, classes)
        habit = _habits(rendering, classes)
        for target in ("default", *engine_styles.get(rendering.style, [])):
            if habit is not None:
                habits[(target, meter)].append(habit)
            used[target].add(rendering.style)
            ride_hat[target][0] += together
            ride_hat[target][1] += bars
            for name, steps in by_class.items():
                per_groove[(target, meter, name)].append(dict(steps))
    tables: dict[str, dict[str, dict[str, ClassTableRecord]]] = {}
    for (style, meter, name), grooves in sorted(per_groove.items()):
        tables.setdefault(style, {}).setdefault(meter, {})[name] = _class_table(grooves, steps_of[meter])
    habit_tables: dict[str, dict[str, dict[str, Any]]] = {}
    for (style, meter), groove_habits in sorted(habits.items()):
        habit_tables.setdefault(style, {})[meter] = _habit_summary(groove_habits)
    for style, source in BORROWED.items():
        if source in habit_tables and style not in habit_tables:
            habit_tables[style] = habit_tables[source]
        if source in tables and style not in tables:
            tables[style] = tables[source]
            used[style] = used[source]
            ride_hat[style] = ride_hat[source]
    return {
        "version": 2,
        "steps_per_beat": STEPS_PER_BEAT,
        "grooves": count,
        "tables": tables,
        "sources": {style: sorted(names) for style, names in sorted(used.items()) if style != "default"},
        "borrowed": BORROWED,
        "drum_classes": {str(pitch): name for pitch, name in sorted(classes.items())},
        # the share of bars in which ride and closed hi-hat strike the same 16th, per style
        "ride_with_hat": {style: round(t / b, 3) for style, (t, b) in sorted(ride_hat.items()) if b},
        # per style and meter: how many grooves play ghost notes, how soft the others' softest hit
        # is, and how often a kick (and a kick with a snare) falls on the downbeat (_habit_summary)
        "habits": habit_tables,
    }


def evaluate(model: dict[str, Any], renderings: list[mma_corpus.Rendering]) -> dict[str, float]:
    """Held-out check: how well the tables predict the velocities of the *held-out* MMA grooves.

    For every drum hit and bass onset of a held-out groove (4/4 and 3/4), the accent the pooled
    table predicts at its class and 16th is compared with the hit's velocity minus its groove's
    mean for the class (so a louder or softer player does not count), beside two baselines: no
    accent at all, and the accent of the curve Magenta's path used before (64 + 48 x metrical
    weight, centred the same way). Returns the RMSE of each (velocity units) and the hit count.
    """
    from ai.generation.dynamics import GrooveDynamics
    from ai.generation.feel import metric_weight, pulse_groups

    dynamics = GrooveDynamics(model)
    classes = drum_classes()
    errors: dict[str, list[float]] = {"table": [], "flat": [], "metric_curve": []}
    for rendering in renderings:
        if not rendering.heldout:
            continue
        pulses = pulse_groups(rendering.numerator, rendering.denominator)
        by_class: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for name, step, velocity in _hits(rendering, classes):
            by_class[name][step].append(velocity)
        for name, steps in by_class.items():
            found = dynamics.table("default", rendering.numerator, rendering.denominator, name)
            if found is None:
                continue
            values = [v for vs in steps.values() for v in vs]
            level = float(np.mean(values))
            curve = {
                step: 64 + 48 * metric_weight(step / 4.0, seconds_per_beat=1.0, beats_per_bar=rendering.numerator)
                for step in steps
            }
            curve_level = float(np.mean([curve[step] for step, vs in steps.items() for _ in vs]))
            for step, vs in steps.items():
                cell = dynamics.cell(found[0], found[1], step, pulses)
                accent = cell.accent if cell is not None else 0.0
                for v in vs:
                    errors["table"].append(v - level - accent)
                    errors["flat"].append(v - level)
                    errors["metric_curve"].append(v - level - (curve[step] - curve_level))
    return {
        **{f"rmse_{k}": round(float(np.sqrt(np.mean(np.square(e)))), 2) for k, e in errors.items()},
        "hits": len(errors["table"]),
        "grooves": sum(1 for r in renderings if r.heldout),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "data" / "training" / "mma")
    parser.add_argument("--out", type=Path, default=REPO / "models" / "groove_dynamics.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    renderings = mma_corpus.build_renderings(args.work, per_groove=1)
    model = fit(renderings)
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n")
    cells = sum(len(c) for m in model["tables"].values() for c in m.values())
    print(f"{model['grooves']} training grooves, {len(model['tables'])} styles, {cells} class tables -> {args.out}")
    held = evaluate(model, renderings)
    print(
        f"held-out accents ({held['grooves']} grooves, {held['hits']} hits), RMSE in velocity units: "
        f"table {held['rmse_table']}, no accent {held['rmse_flat']}, the old metrical curve {held['rmse_metric_curve']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
