#!/usr/bin/env python3
"""Melody-only accompaniment bench: does the accompaniment of a sung or played line play chords that fit it?

Tunes of the Nottingham Music Database (British and Irish folk tunes with their chord tracks, cleaned by
Jukedeck, GPL-3; extract it first: training/melody_harmony.py's header), split by a fixed rule
(``crc32(file stem) % 3 == 0`` held out): 60 tunes of the tune split (the harmoniser was fitted and its
settings chosen on that split) and 60 held-out ones. Each melody alone (its first 45 s, at the files' 120
quarter notes a minute) is rendered with FluidSynth through one of four soundfonts (FluidR3, TimGM6mb,
sf_GMbank, MuseScore General) and one of 13 lead programs (choir and voice, flute, recorder, whistle, violin,
saxes, clarinet, trumpet, synth leads), both fixed by the tune's name (training/melody_harmony.py
``sound_of``; renders cached under data/nottingham_renders).

Tempi (``--tempi``): the files all play 120 quarter notes a minute, which a rule on the beat's tempo could
learn instead of the bar; so by default (``varied``) each tune is re-timed (every time of its melody and chord
MIDI stretched) to a tempo drawn for it with a fixed seed (:func:`bench_qpm`), log-uniform over a range usual
for its metre (the chord track's first time signature), the ranges overlapping in beats a minute so that the
beat's tempo names no metre: simple duple and quadruple metres (reels, hornpipes, polkas, marches: 2/4, 4/4,
2/2) 70-130 quarter notes a minute, compound metres (jigs, slip jigs: 6/8, 9/8) 90-130 dotted quarters
(135-195 quarters), triple metres (waltzes: 3/4, 3/2) 90-180 quarters. ``--tempi 120`` renders the files'
own tempo (the figures before session 21). Renders are cached under data/nottingham_renders by tune, sound and
stretch.

Each render is analysed and accompanied as the service does (:func:`~ai.analysis.pipeline.analyze`, then
:func:`~ai.generation.accompaniment.accompany_cues` with bass and pad), once with ``harmony=recording``
(the chords heard in the recording: the engine before the harmoniser) and once with ``harmony=auto``
(what the route does by default). Every accompaniment bar is scored against the chord the tune's chord track
sounds at that bar's start (the accompaniment's bars mapped to time; bars where the track has no chord, a
pickup, are left out): the share whose bass note on the downbeat (the lowest within 30 ms) is the chord's
root, whose bar chord has the true root, and whose root and major/minor both agree. A tune without a
pulse for the analysis (no_beat) counts all its bars wrong for both rows.

Also printed: the same root figures on the MIDI's own bars (the bar chroma from the true downbeats: the
template match the engine used before vs the harmoniser), which leaves out the beat tracking; the share of
melody renders ``auto`` takes for a melody alone; and the share of polyphonic recordings it takes for one
(false detections): data/eval's chorales (four voices through piano, organ, strings, choir) and songs (MMA
bands), built by /work/shared/eval/build_dataset.py; each is accompanied whole with ``harmony=auto``.

Usage: bench/melody_harmony.py [--sets tune,held-out] [--tunes 60] [--tempi varied|120]
       [--poly data/eval/chorales,data/eval/songs]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.audio.decode import DecodedAudio  # noqa: E402
from ai.generation.accompaniment import (  # noqa: E402
    AccompanimentOptions,
    NoBeatFound,
    accompany_cues,
    mono_at,
    recording_cues,
)
from ai.generation.bar_harmony import _templates, span_chroma  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.melody_harmony import class_of, harmonise, pitch_count  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from training.melody_harmony import (  # noqa: E402
    DATA,
    SR,
    _pm,
    chord_at,
    is_held_out,
    load_tune,
    render_melody,
    tune_names,
)

BASS_TOLERANCE_S = 0.030
ENGINES = ("recording", "auto")
TEMPO_SEED = 21
FILE_QPM = 120.0
"""The Nottingham files' own tempo (every file: one set_tempo of 120 quarter notes a minute)."""


def tune_meter(name: str) -> tuple[int, int]:
    """The tune's first time signature (its chord MIDI's; 4/4 without one)."""
    signatures = _pm(DATA / "MIDI" / "chords" / f"{name}.mid").time_signature_changes
    return (signatures[0].numerator, signatures[0].denominator) if signatures else (4, 4)


def tempo_range(numerator: int, denominator: int) -> tuple[float, float]:
    """Quarter notes a minute a tune in this metre is played at (the low and high ends): see the header."""
    if denominator == 8 and numerator % 3 == 0:
        return 90.0 * 1.5, 130.0 * 1.5  # dotted quarters 90-130
    if numerator == 3:
        return 90.0, 180.0
    return 70.0, 130.0


def bench_qpm(name: str) -> float:
    """The tune's bench tempo (quarter notes a minute): drawn log-uniform over :func:`tempo_range` of its metre
    with a fixed seed per tune."""
    low, high = tempo_range(*tune_meter(name))
    rng = np.random.default_rng([TEMPO_SEED, zlib.crc32(name.encode())])
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def bench_stretch(name: str, tempi: str) -> float:
    """How much the tune's times are stretched: 1.0 for ``tempi`` "120" (the files' own), else to
    :func:`bench_qpm` (rounded to 4 decimals, as the render cache names it)."""
    if tempi == "120":
        return 1.0
    if tempi != "varied":
        raise ValueError(f"--tempi is varied or 120, not {tempi!r}")
    return round(FILE_QPM / bench_qpm(name), 4)


@dataclass
class Tally:
    bars: int = 0
    bass: int = 0
    roots: int = 0
    modes: int = 0  # root and major/minor both right
    melody: int = 0  # tunes auto took for a melody alone
    tunes: int = 0

    def add(self, bass: bool, root: bool, mode: bool) -> None:
        self.bars += 1
        self.bass += bass
        self.roots += root
        self.modes += mode

    def line(self) -> str:
        n = max(self.bars, 1)
        return f"bass root {self.bass / n:.3f}  chord root {self.roots / n:.3f}  root+major/minor {self.modes / n:.3f}"


@dataclass
class OwnBars:
    bars: int = 0
    template: int = 0
    harmonised: int = 0
    harmonised_modes: int = 0
    counts: list[float] = field(default_factory=list)


def bench_tunes(split: str, count: int) -> list[str]:
    """``count`` tunes of the split, evenly through the sorted names (a fixed choice)."""
    names = [n for n in tune_names() if is_held_out(n) == (split == "held-out")]
    return names[:: max(1, len(names) // count)][:count]


def _minor(quality: str) -> bool:
    return class_of(quality) == "min"


def score_tune(
    name: str, registry: GeneratorRegistry, tallies: dict[str, Tally], own: OwnBars, tempi: str = "varied"
) -> None:
    stretch = bench_stretch(name, tempi)
    tune = load_tune(name, stretch=stretch)
    y = render_melody(name, stretch=stretch)
    end = len(y) / SR
    audio = DecodedAudio(y[np.newaxis], SR)
    analysis = analyze(audio)
    cues = recording_cues(mono_at(audio), analysis.tuning_cents)
    # The MIDI's own bars: the template match of the bar chroma (the engine before) against the harmoniser.
    starts = [float(t) for t in tune.bar_starts if t < end - 0.5]
    spans = list(zip(starts, [*starts[1:], min(tune.end, end)], strict=True))
    bars = span_chroma(cues.chroma, spans)
    own.counts.append(pitch_count(cues.chroma))
    templates, chords = _templates()
    for row, chord, truth in zip(bars, harmonise(bars), tune.chords, strict=False):
        norm = float(np.linalg.norm(row))
        if truth is None or norm <= 1e-9:
            continue
        own.bars += 1
        own.template += chords[int(np.argmax(templates @ (row / norm)))].root == truth[0]
        own.harmonised += chord.root == truth[0]
        own.harmonised_modes += chord.root == truth[0] and _minor(chord.quality) == _minor(truth[1])
    for engine in ENGINES:
        tally = tallies[engine]
        tally.tunes += 1
        options = AccompanimentOptions(parts=("bass", "pad"), seed=1, harmony=engine)
        try:
            result = accompany_cues(cues, analysis, registry, options)
        except NoBeatFound:
            for s in starts:
                if chord_at(tune.chord_times, s) is not None:
                    tally.add(False, False, False)
            continue
        tally.melody += result.harmony_source == "melody"
        bass = result.parts["bass"]
        for i, chord in enumerate(result.chords):
            start = result.grid.bar_span(i)[0]
            truth = chord_at(tune.chord_times, start)
            if truth is None or start > end - 0.5:
                continue
            first = [n for n in bass if abs(n.start - start) <= BASS_TOLERANCE_S]
            bass_right = bool(first) and min(first, key=lambda n: n.pitch).pitch % 12 == truth[0]
            root = chord.root == truth[0]
            tally.add(bass_right, root, root and _minor(chord.quality) == _minor(truth[1]))


def score_polyphonic(folder: Path, registry: GeneratorRegistry) -> tuple[int, int, list[float]]:
    """(recordings taken for a melody alone, recordings, their pitch counts) of the WAVs in ``folder``."""
    taken, total, counts = 0, 0, []
    for wav in sorted(folder.glob("*.wav")):
        y, sr = sf.read(wav, dtype="float32", always_2d=True)
        audio = DecodedAudio(np.ascontiguousarray(y.T), sr)
        analysis = analyze(audio)
        cues = recording_cues(mono_at(audio), analysis.tuning_cents)
        counts.append(pitch_count(cues.chroma))
        total += 1
        try:
            result = accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("bass",), harmony="auto"))
        except NoBeatFound:
            continue
        taken += result.harmony_source == "melody"
    return taken, total, counts


def _quantiles(values: list[float]) -> str:
    q = np.percentile(values, [0, 10, 50, 90, 100]) if values else [float("nan")] * 5
    return "min/p10/median/p90/max " + "/".join(f"{v:.2f}" for v in q)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="tune,held-out", help="comma-separated: tune, held-out")
    parser.add_argument("--tunes", type=int, default=60)
    parser.add_argument("--tempi", default="varied", choices=["varied", "120"], help="re-timed tunes or 120 qpm")
    parser.add_argument("--poly", default="data/eval/chorales,data/eval/songs", help="folders of polyphonic WAVs")
    args = parser.parse_args()
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(load_dynamics(REPO / "models")))
    started = time.perf_counter()
    for split in filter(None, args.sets.split(",")):
        tallies = {engine: Tally() for engine in ENGINES}
        own = OwnBars()
        for name in bench_tunes(split, args.tunes):
            score_tune(name, registry, tallies, own, args.tempi)
        print(
            f"{split} split ({args.tempi} tempi): {args.tunes} melodies, {tallies['auto'].bars} accompaniment bars with a chord"
        )
        print(f"  before (harmony=recording): {tallies['recording'].line()}")
        print(f"  after  (harmony=auto):      {tallies['auto'].line()}")
        n = max(own.bars, 1)
        print(
            f"  on the MIDI's own {own.bars} bars: chord root by template match {own.template / n:.3f}, "
            f"harmonised {own.harmonised / n:.3f} (root+major/minor {own.harmonised_modes / n:.3f})"
        )
        auto = tallies["auto"]
        print(f"  taken for a melody alone: {auto.melody}/{auto.tunes} melodies (pitch count {_quantiles(own.counts)})")
    for folder in filter(None, args.poly.split(",")):
        path = REPO / folder
        if not path.is_dir():
            print(f"{folder}: absent (build it: /work/shared/eval/build_dataset.py)")
            continue
        taken, total, counts = score_polyphonic(path, registry)
        print(f"{folder}: taken for a melody alone {taken}/{total} (pitch count {_quantiles(counts)})")
    print(f"bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
