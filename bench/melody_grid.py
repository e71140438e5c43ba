#!/usr/bin/env python3
"""Where a melody alone loses its bars: the accompaniment's tempo level and bar phase against the MIDI's.

For the tune split's melodies of bench/melody_harmony.py (the same 60 renders, re-timed to its varied tempi
by default, ``--tempi 120`` the files' own; ``--split held-out`` prints the table only, scored once at the
end: not for looking at per item), each render is analysed and accompanied with ``harmony=auto`` as the route
does, and its grid is compared with the MIDI's own beats and bars (the meter from the chord track's time
signature):

- tempo level: the grid's median beat against the MIDI's counted beat (a quarter, or a dotted quarter in
  compound meters): right (within 12 %), double (the grid beats twice as fast), half, or other (x the grid's
  beat over the MIDI's: x0.67 is a 6/8 tune counted in quarters);
- bar length: the grid's median bar against the MIDI's bar (right, half as long, twice as long, other: x1.33
  is four quarters against a 6/8 bar);
- bar phase, where the bar length is right: the grid's bar lines fall on the MIDI's downbeats (the median
  distance of a grid bar start to the nearest true downbeat under a quarter of a beat) or on another beat.

Each class prints its tunes, their accompaniment bars with a chord, the chord root accuracy of the
accompaniment (as bench/melody_harmony.py scores it) and of the same harmoniser on the MIDI's own bars (those
tunes), and the bars' share of the whole gap between the two. ``--cache DIR`` keeps each render's analysis and
cues (pickles; delete them after a change to the analysis).

Usage: bench/melody_grid.py [--split tune] [--tunes 60] [--tempi varied|120] [--cache /tmp/melody_grid_cache]
       [--harmony auto]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.analysis.pipeline import AnalysisResult, analyze  # noqa: E402
from ai.audio.decode import DecodedAudio  # noqa: E402
from ai.generation.accompaniment import (  # noqa: E402
    AccompanimentOptions,
    NoBeatFound,
    RecordingCues,
    accompany_cues,
    mono_at,
    recording_cues,
)
from ai.generation.accompaniment.grid import meter_of  # noqa: E402
from ai.generation.bar_harmony import span_chroma  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.melody_harmony import harmonise  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from training.melody_harmony import DATA, SR, _pm, chord_at, load_tune, render_melody  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from melody_harmony import bench_stretch, bench_tunes  # noqa: E402


@dataclass
class Row:
    tunes: int = 0
    bars: int = 0
    roots: int = 0
    own_bars: int = 0
    own_roots: int = 0
    downbeats: int = 0  # the tune's own downbeats with a chord (within the render)
    downbeat_roots: int = 0  # ... where the accompaniment's chord sounding there has the root


def _level(ratio: float, short: str, long: str) -> str:
    """``ratio``: the grid's interval over the MIDI's; ``short``/``long``: what half / twice is called."""
    for name, target in (("right", 1.0), (short, 0.5), (long, 2.0)):
        if abs(ratio / target - 1.0) < 0.12:
            return name
    return f"other (x{ratio:.2f})"


def analysed(name: str, cache: Path | None, stretch: float = 1.0) -> tuple[AnalysisResult, RecordingCues]:
    retimed = "" if stretch == 1.0 else f"-x{stretch:.4f}"
    path = cache / f"{name}{retimed}.pkl" if cache else None
    if path is not None and path.exists():
        with path.open("rb") as f:
            found: tuple[AnalysisResult, RecordingCues] = pickle.load(f)
            return found
    y = render_melody(name, stretch=stretch)
    audio = DecodedAudio(y[np.newaxis], SR)
    analysis = analyze(audio)
    out = (analysis, recording_cues(mono_at(audio), analysis.tuning_cents))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            pickle.dump(out, f)
    return out


def own_roots(name: str, cues: RecordingCues, end: float, stretch: float = 1.0) -> tuple[int, int]:
    tune = load_tune(name, stretch=stretch)
    starts = [float(t) for t in tune.bar_starts if t < end - 0.5]
    spans = list(zip(starts, [*starts[1:], min(tune.end, end)], strict=True))
    bars = span_chroma(cues.chroma, spans)
    n = right = 0
    for row, chord, truth in zip(bars, harmonise(bars), tune.chords, strict=False):
        if truth is None or float(np.linalg.norm(row)) <= 1e-9:
            continue
        n += 1
        right += chord.root == truth[0]
    return n, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="tune", choices=["tune", "held-out"], help="held-out: once, no per tune")
    parser.add_argument("--tunes", type=int, default=60)
    parser.add_argument("--tempi", default="varied", choices=["varied", "120"], help="re-timed tunes or 120 qpm")
    parser.add_argument("--cache", default="", help="folder for the renders' analyses ('' none)")
    parser.add_argument("--harmony", default="auto")
    parser.add_argument("--per-tune", action="store_true")
    args = parser.parse_args()
    if args.split == "held-out" and args.per_tune:
        parser.error("held-out melodies are not looked at one by one")
    cache = Path(args.cache) if args.cache else None
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(load_dynamics(REPO / "models")))
    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    total = Row()
    started = time.perf_counter()
    seconds = 0.0
    for name in bench_tunes(args.split, args.tunes):
        stretch = bench_stretch(name, args.tempi)
        tune = load_tune(name, stretch=stretch)
        analysis, cues = analysed(name, cache, stretch)
        end = analysis.duration
        signatures = _pm(DATA / "MIDI" / "chords" / f"{name}.mid").time_signature_changes
        top, bottom = (signatures[0].numerator, signatures[0].denominator) if signatures else (4, 4)
        _, _, per_bar, qpb = meter_of(f"{top}/{bottom}")
        true_bar = float(np.median(np.diff(tune.bar_starts)))
        true_beat = true_bar / per_bar
        own_n, own_right = own_roots(name, cues, end, stretch)
        true_downbeats = [
            (float(s), truth)
            for s in tune.bar_starts
            if s < end - 0.5 and (truth := chord_at(tune.chord_times, float(s))) is not None
        ]
        db_right = 0
        t0 = time.perf_counter()
        try:
            result = accompany_cues(
                cues, analysis, registry, AccompanimentOptions(parts=("bass", "pad"), seed=1, harmony=args.harmony)
            )
        except NoBeatFound:
            key = ("no beat", "-")
            n = sum(chord_at(tune.chord_times, float(s)) is not None for s in tune.bar_starts if s < end - 0.5)
            right = 0
        else:
            seconds += time.perf_counter() - t0
            grid = result.grid
            detected = grid.times[grid.first_beat : grid.first_beat + grid.detected]
            beat = float(np.median(np.diff(detected)))
            starts = np.array([grid.bar_span(i)[0] for i in range(grid.bars)])
            bar = float(np.median(np.diff(starts))) if len(starts) > 1 else beat * grid.beats_per_bar
            level = _level(beat / true_beat, "double", "half")
            length = _level(bar / true_bar, "half as long", "twice as long")
            phase = "-"
            if length == "right":
                inside = starts[(starts > tune.bar_starts[0] - 0.1) & (starts < end - 0.5)]
                gaps = np.min(np.abs(inside[:, None] - np.asarray(tune.bar_starts)[None, :]), axis=1)
                phase = "right" if float(np.median(gaps)) < 0.25 * true_beat else "wrong"
            key = (f"tempo {level}, bar {length}", phase)
            n = right = 0
            for i, chord in enumerate(result.chords):
                start = grid.bar_span(i)[0]
                truth = chord_at(tune.chord_times, start)
                if truth is None or start > end - 0.5:
                    continue
                n += 1
                right += chord.root == truth[0]
            bar_ends = [grid.bar_span(i)[1] for i in range(grid.bars)]
            for t, truth in true_downbeats:
                i = min(int(np.searchsorted(bar_ends, t + 0.03, side="right")), len(result.chords) - 1)
                db_right += result.chords[i].root == truth[0]
            if args.per_tune:
                print(
                    f"  {name:24s} {top}/{bottom} at {60 / true_beat:.0f} (grid {60 / beat:.0f}) analysis "
                    f"{analysis.time_signature} "
                    f"{key[0]}, phase {phase}: {right}/{n} (own {own_right}/{own_n}) {result.harmony_source}; "
                    f"at downbeats {db_right}/{len(true_downbeats)}, grid {grid.numerator}/{grid.denominator}"
                )
        for row in (rows[key], total):
            row.tunes += 1
            row.bars += n
            row.roots += right
            row.own_bars += own_n
            row.own_roots += own_right
            row.downbeats += len(true_downbeats)
            row.downbeat_roots += db_right
    gap = total.own_roots / max(total.own_bars, 1) * total.bars - total.roots
    print(f"{args.split} split, {total.tunes} melodies, {args.tempi} tempi, harmony={args.harmony}")
    print(
        "| tempo level, bar length | bar phase | tunes | bars | root (accompaniment) | root (own bars) | share of gap "
        "| root at the tune's downbeats |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for (what, phase), row in sorted(rows.items(), key=lambda item: -item[1].bars):
        acc, own = row.roots / max(row.bars, 1), row.own_roots / max(row.own_bars, 1)
        lost = own * row.bars - row.roots
        print(
            f"| {what} | {phase} | {row.tunes} | {row.bars} | {acc:.3f} | {own:.3f} | "
            f"{lost / gap if gap > 0 else 0:.2f} | {row.downbeat_roots / max(row.downbeats, 1):.3f} |"
        )
    acc, own = total.roots / max(total.bars, 1), total.own_roots / max(total.own_bars, 1)
    print(
        f"| all | | {total.tunes} | {total.bars} | {acc:.3f} | {own:.3f} | 1.00 | "
        f"{total.downbeat_roots / max(total.downbeats, 1):.3f} ({total.downbeats}) |"
    )
    print(f"accompany_cues {seconds:.1f} s in all; bench {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
