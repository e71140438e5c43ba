"""Per-style drum microtiming learned from human drummers (the Groove MIDI Dataset).

``python -m training.groove_timing [--gmd data/gmd/groove] [--out models/groove_timing.json]``

The Groove MIDI Dataset (GMD, Magenta; CC BY 4.0) holds real performances of ten drummers on an
electronic kit, played to a metronome, the MIDI starting on a bar line at the file's tempo. Every
4/4 "beat" file (fills and other meters left out) is read; each drum hit is put in an instrument
class (kick, snare, closed and open hat, toms, crash, ride: note_seq's drum map, the three toms
pooled) and on the nearest 16th of its bar, and its offset from that 16th is kept as a fraction
of a 16th (tempo-relative) and in ms at the file's tempo.

* The grid is the engine's grid for the style: straight 16ths, swung 8ths where the engine swings
  the style by itself (jazz 0.67, blues 1.0: ``drum_styles.style_swing``), so a table's offsets are
  what microtiming must add to the notes the engine already places.
* Offsets are measured from the drummer's own downbeat: each file's median offset on the bar's
  first 16th is taken off its hits. Drummers play 5-20 ms ahead of a click (the player's and the
  kit's latency, not a style); what makes a feel is where snare and hats sit against the one.
* Split by drummer (``HELDOUT_DRUMMERS``): the table is fitted on the others; :func:`evaluate`
  scores it on the held-out drummers.

Per engine style (GMD styles mapped by ``STYLE_MAP``; ``default`` pools every straight-grid file),
class and 16th, the table keeps the hits' mean offset (the mean of the drummers' means), the
hit-to-hit spread within a performance (1.4826 x the median absolute deviation from each
performance's median, so flams and stray hits do not widen it) and the count. A cell with few hits is shrunk toward its
parent (``SHRINK`` hits weigh as much as the parent): the same metrical role of the bar in the
style (beats 1/3, backbeats 2/4, off-beat 8ths, the 16ths after and before them), then the pooled
styles' cell, then their role. The model is plain JSON read by ``ai.generation.microtiming``; its
card is models/groove_timing.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

REPO = Path(__file__).resolve().parent.parent
STEPS = 16  # 16ths of a 4/4 bar
SHRINK = 100.0  # hits: a cell with n hits weighs n / (n + SHRINK) against its parent
MAD_TO_SD = 1.4826  # median absolute deviation -> standard deviation of a normal
HELDOUT_DRUMMERS = ("drummer3", "drummer8", "drummer10")
# GMD style (the part before the first "-" or "/") -> engine styles it teaches.
STYLE_MAP: dict[str, tuple[str, ...]] = {
    "rock": ("rock",),
    "punk": ("rock",),
    "funk": ("funk",),
    "hiphop": ("hip-hop",),
    "jazz": ("jazz",),
    "latin": ("latin",),
    "afrocuban": ("latin",),
    "dance": ("electronic", "disco"),
    "reggae": ("reggae",),
    "blues": ("blues",),
    "country": ("country",),
}
# Engine styles GMD does not play: they read another's table (metal plays like rock); waltz,
# ballad and march read ``default``.
BORROWED = {"metal": "rock"}
CLASSES = ("kick", "snare", "closed_hat", "open_hat", "toms", "crash", "ride")
# The 16ths of a 4/4 bar that play one metrical role; a sparse cell leans on its role.
ROLES = ((0, 8), (4, 12), (2, 6, 10, 14), (1, 5, 9, 13), (3, 7, 11, 15))
ROLE_OF = {step: i for i, steps in enumerate(ROLES) for step in steps}


def drum_classes() -> dict[int, str]:
    """GM (and the GMD kit's) drum pitch -> class: note_seq's nine classes, toms pooled."""
    from training.groove_dynamics import drum_classes as nine

    return {pitch: ("toms" if name.endswith("_tom") else name) for pitch, name in nine().items()}


def style_swing(engine_style: str) -> float:
    """The swing the engine gives the style by itself (the grid its offsets are measured on)."""
    from ai.generation.drum_styles import style_swing as swing

    return float(swing(engine_style))


def swung_grid(swing: float) -> np.ndarray:
    """[shape=(16,)] where each 16th of a bar sits, in straight 16ths, with 8ths swung by ``swing``
    as ``ai.generation.feel.apply_swing`` plays them."""
    from ai.generation.base import Note
    from ai.generation.feel import apply_swing

    notes = [Note(36, float(step), float(step) + 0.5, 100) for step in range(STEPS)]
    return np.array([n.start for n in apply_swing(notes, amount=swing, beat_seconds=4.0, subdivision=2)])


@dataclass(frozen=True)
class Performance:
    drummer: str
    gmd_style: str
    bpm: float
    path: Path
    hits: tuple[tuple[str, float], ...]  # (class, onset in straight 16ths from the start)

    @property
    def sixteenth_ms(self) -> float:
        return 60_000.0 / self.bpm / 4.0

    def engine_styles(self) -> tuple[str, ...]:
        return STYLE_MAP.get(self.gmd_style, ())

    def grid_swing(self) -> float:
        """The swing of the grid its offsets are measured on (0 for a style with no engine style)."""
        styles = self.engine_styles()
        return style_swing(styles[0]) if styles else 0.0


def read_performances(gmd: Path) -> list[Performance]:
    """Every 4/4 beat of ``gmd`` (the folder holding ``info.csv``) with its drum hits."""
    import pretty_midi

    classes = drum_classes()
    out = []
    with (gmd / "info.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["beat_type"] == "beat" and r["time_signature"] == "4-4"]
    for row in rows:
        path = gmd / row["midi_filename"]
        if not path.is_file():
            continue
        bpm = float(row["bpm"])
        sixteenth = 60.0 / bpm / 4.0
        midi = pretty_midi.PrettyMIDI(str(path))
        hits = tuple(
            (classes[n.pitch], n.start / sixteenth)
            for inst in midi.instruments
            for n in inst.notes
            if n.pitch in classes
        )
        style = row["style"].split("/")[0].split("-")[0]
        out.append(Performance(row["drummer"], style, bpm, path, hits))
    return out


def _click_offsets(perf: Performance) -> list[tuple[str, int, float]]:
    """(class, 16th of the bar, offset in 16ths from the click's grid) of every hit."""
    grid = np.append(swung_grid(perf.grid_swing()), STEPS)  # the next bar's one closes the last 16th
    out = []
    for name, onset in perf.hits:
        pos = onset % STEPS
        nearest = int(np.argmin(np.abs(grid - pos)))
        out.append((name, nearest % STEPS, float(pos - grid[nearest])))
    return out


def _anchor(raw: list[tuple[str, int, float]]) -> float | None:
    """The drummer's downbeat: the median offset of the hits on the bar's first 16th (None: < 4)."""
    ones = [off for _, step, off in raw if step == 0]
    return float(np.median(ones)) if len(ones) >= 4 else None


def placed_hits(perf: Performance) -> list[tuple[str, int, float]]:
    """(class, 16th of the bar, offset in 16ths from the drummer's downbeat) of every hit."""
    raw = _click_offsets(perf)
    anchor = _anchor(raw) or 0.0
    return [(name, step, off - anchor) for name, step, off in raw]


def file_anchor_ms(perf: Performance) -> float | None:
    """How far the drummer's downbeat sits from the click in the file, in ms (None: too few)."""
    anchor = _anchor(_click_offsets(perf))
    return None if anchor is None else anchor * perf.sixteenth_ms


@dataclass
class _Acc:
    """Offsets of one cell, grouped by (drummer, performance)."""

    by_file: dict[tuple[str, int], list[float]]

    @classmethod
    def new(cls) -> _Acc:
        return cls(defaultdict(list))

    def add(self, drummer: str, file: int, offset: float) -> None:
        self.by_file[(drummer, file)].append(offset)

    def merge(self, others: Iterable[_Acc]) -> _Acc:
        out = _Acc.new()
        for acc in (self, *others):
            for key, values in acc.by_file.items():
                out.by_file[key].extend(values)
        return out

    def stats(self) -> tuple[int, float, float]:
        """(hits, mean offset, within-performance spread as a standard deviation). The mean is the mean of the
        drummers' means: a style one drummer played most of is not that drummer's habit alone."""
        values = [v for vs in self.by_file.values() for v in vs]
        n = len(values)
        if n == 0:
            return 0, 0.0, 0.0
        drummers: dict[str, list[float]] = defaultdict(list)
        for (drummer, _), vs in self.by_file.items():
            drummers[drummer].extend(vs)
        mean = float(np.mean([np.mean(vs) for vs in drummers.values()]))
        # robust (MAD) spread around each performance's median: flams and stray hits do not widen it
        deviations = np.concatenate(
            [np.asarray(vs) - np.median(vs) for vs in self.by_file.values() if len(vs) > 1] or [np.zeros(0)]
        )
        return n, mean, float(MAD_TO_SD * np.median(np.abs(deviations))) if deviations.size else 0.0


def _shrunk(n: int, mean: float, sd: float, parent: tuple[float, float]) -> tuple[float, float]:
    w = n / (n + SHRINK)
    return w * mean + (1 - w) * parent[0], float(np.sqrt(w * sd**2 + (1 - w) * parent[1] ** 2))


class ClassTiming(TypedDict):
    """One class's shrunk offsets per 16th (fractions of a 16th) and the hits behind each."""

    n: list[int]
    mean: list[float]
    sd: list[float]


def _tables(cells: dict[tuple[str, str, int], _Acc], styles: list[str]) -> dict[str, dict[str, ClassTiming]]:
    """Shrunk tables per style and class (see the module doc)."""

    def role_acc(style: str, name: str, role: int) -> _Acc:
        return _Acc.new().merge(cells.get((style, name, s), _Acc.new()) for s in ROLES[role])

    out: dict[str, dict[str, ClassTiming]] = {}
    for style in ["default", *styles]:
        classes: dict[str, ClassTiming] = {}
        for name in CLASSES:
            means, sds, counts = [], [], []
            for step in range(STEPS):
                role = ROLE_OF[step]
                n_dr, m_dr, s_dr = role_acc("default", name, role).stats()
                parent = _shrunk(n_dr, m_dr, s_dr, (0.0, 0.0)) if n_dr else (0.0, 0.0)
                n_d, m_d, s_d = cells.get(("default", name, step), _Acc.new()).stats()
                parent = _shrunk(n_d, m_d, s_d, parent)
                if style != "default":
                    n_r, m_r, s_r = role_acc(style, name, role).stats()
                    parent = _shrunk(n_r, m_r, s_r, parent)
                n, m, s = cells.get((style, name, step), _Acc.new()).stats()
                mean, sd = _shrunk(n, m, s, parent)
                means.append(round(mean, 3))
                sds.append(round(sd, 3))
                counts.append(n)
            if sum(counts) or style == "default":
                classes[name] = {"n": counts, "mean": means, "sd": sds}
        out[style] = classes
    return out


def collect(perfs: list[Performance]) -> dict[tuple[str, str, int], _Acc]:
    """(engine style or default, class, 16th) -> offsets grouped by performance."""
    cells: dict[tuple[str, str, int], _Acc] = defaultdict(_Acc.new)
    for index, perf in enumerate(perfs):
        targets = list(perf.engine_styles())
        if perf.grid_swing() == 0.0:  # default's grid is straight: the swung styles stay out
            targets.append("default")
        for name, step, off in placed_hits(perf):
            for target in targets:
                cells[(target, name, step)].add(perf.drummer, index, off)
    return cells


def fit(perfs: list[Performance]) -> dict[str, Any]:
    """The model dict from the training drummers' performances."""
    train = [p for p in perfs if p.drummer not in HELDOUT_DRUMMERS]
    styles = sorted({s for p in train for s in p.engine_styles()})
    tables = _tables(collect(train), styles)
    for style, source in BORROWED.items():
        if source in tables and style not in tables:
            tables[style] = tables[source]
    swings = {style: style_swing(style) for style in tables if style != "default" and style_swing(style)}
    anchors = [a for a in (file_anchor_ms(p) for p in train) if a is not None]
    return {
        "version": 1,
        "unit": "sixteenth",  # offsets are fractions of a 16th at the clip's tempo
        "steps_per_bar": STEPS,
        "meter": "4/4",
        "anchor": "downbeat",
        "shrink_hits": SHRINK,
        "swing_grid": swings,
        "sources": {style: sorted({p.gmd_style for p in train if style in p.engine_styles()}) for style in styles},
        "borrowed": BORROWED,
        "drummers": sorted({p.drummer for p in train}),
        "heldout_drummers": list(HELDOUT_DRUMMERS),
        "performances": len(train),
        "hits": sum(len(p.hits) for p in train),
        "click_lead_ms": round(float(np.median(anchors)), 1) if anchors else None,
        "drum_classes": {str(pitch): name for pitch, name in sorted(drum_classes().items())},
        "tables": tables,
    }


def evaluate(model: dict[str, Any], perfs: list[Performance]) -> dict[str, float | None]:
    """Held-out check on the drummers the table never saw.

    Per hit, in ms at the file's tempo: the RMSE of the offset predicted on the grid (0), by one
    pooled mean (every training hit), by the table in 16ths (scaled by the file's tempo) and by the
    table's means converted to ms at each training file's tempo (constant-ms hypothesis). Per cell
    (style, class, 16th) with >= 30 held-out hits: the table's mean against the held-out mean
    (mean absolute difference in ms at 120 bpm, correlation, same sign), and the ratio of the
    held-out within-performance spread to the table's.
    """
    from ai.generation.microtiming import GrooveTiming

    timing = GrooveTiming(model)
    train = [p for p in perfs if p.drummer not in HELDOUT_DRUMMERS]
    held = [p for p in perfs if p.drummer in HELDOUT_DRUMMERS]
    pooled = float(np.mean([off for p in train for _, _, off in placed_hits(p)]))
    ms_cells: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for p in train:
        for target in (*p.engine_styles(), "default"):
            for name, step, off in placed_hits(p):
                ms_cells[(target, name, step)].append(off * p.sixteenth_ms)
    errors: dict[str, list[float]] = {"grid": [], "pooled": [], "table": [], "table_ms": []}
    held_cells: defaultdict[tuple[str, str, int], _Acc] = defaultdict(_Acc.new)
    for index, perf in enumerate(held):
        style = perf.engine_styles()[0] if perf.engine_styles() else "default"
        for name, step, off in placed_hits(perf):
            mean, _sd = timing.cell(style, name, step)
            ms = off * perf.sixteenth_ms
            found = ms_cells.get((style, name, step)) or ms_cells.get(("default", name, step)) or [0.0]
            errors["grid"].append(ms)
            errors["pooled"].append(ms - pooled * perf.sixteenth_ms)
            errors["table"].append(ms - mean * perf.sixteenth_ms)
            errors["table_ms"].append(ms - float(np.mean(found)))
            held_cells[(style, name, step)].add(perf.drummer, index, off)
    diffs, pairs, spread_ratio = [], [], []
    for (style, name, step), acc in held_cells.items():
        n, mean, sd = acc.stats()
        if n < 30:
            continue
        predicted, predicted_sd = timing.cell(style, name, step)
        diffs.append(abs(mean - predicted) * 125.0)
        pairs.append((mean, predicted))
        if predicted_sd > 0 and sd > 0:
            spread_ratio.append(sd / predicted_sd)
    arr = np.array(pairs)
    return {
        **{f"rmse_ms_{k}": round(float(np.sqrt(np.mean(np.square(e)))), 2) for k, e in errors.items()},
        "hits": len(errors["grid"]),
        "performances": len(held),
        "cells": len(pairs),
        "cell_mae_ms_120": round(float(np.mean(diffs)), 2) if diffs else None,
        "cell_corr": round(float(np.corrcoef(arr[:, 0], arr[:, 1])[0, 1]), 3) if len(pairs) > 2 else None,
        "cell_same_sign": round(float(np.mean(np.sign(arr[:, 0]) == np.sign(arr[:, 1]))), 3) if pairs else None,
        "spread_ratio_median": round(float(np.median(spread_ratio)), 2) if spread_ratio else None,
    }


def heldout_figures(perfs: list[Performance]) -> dict[str, dict[str, dict[int, tuple[int, float]]]]:
    """The held-out drummers' (hits, mean offset in 16ths) per engine style, class and 16th
    (bench/groove_timing.py prints them beside the generated clips)."""
    cells: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for perf in perfs:
        if perf.drummer not in HELDOUT_DRUMMERS:
            continue
        for style in perf.engine_styles():
            for name, step, off in placed_hits(perf):
                cells[(style, name, step)].append(off)
    out: dict[str, dict[str, dict[int, tuple[int, float]]]] = {}
    for (style, name, step), values in sorted(cells.items()):
        out.setdefault(style, {}).setdefault(name, {})[step] = (len(values), float(np.mean(values)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gmd", type=Path, default=REPO / "data" / "gmd" / "groove")
    parser.add_argument("--out", type=Path, default=REPO / "models" / "groove_timing.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    perfs = read_performances(args.gmd)
    if not perfs:
        raise SystemExit(f"no GMD 4/4 beats under {args.gmd} (see models/groove_timing.md)")
    model = fit(perfs)
    held = evaluate(model, perfs)
    model["heldout"] = held
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n")
    print(
        f"{model['performances']} training performances ({', '.join(model['drummers'])}), "
        f"{model['hits']} hits, {len(model['tables'])} styles -> {args.out}"
    )
    print(f"held-out drummers {', '.join(HELDOUT_DRUMMERS)}: {json.dumps(held)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
