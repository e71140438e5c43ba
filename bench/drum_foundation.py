"""Does a drum clip hold its style's foundation? Kick on the one and backbeat per groove bar, in process.

    .venv/bin/python bench/drum_foundation.py [--model magenta|theory] [--seeds 10] [--first 1] [--json OUT] [STYLE ...]

Per style (default: every drum style; waltz in 3/4, the rest 4/4), ``--seeds`` clips of 8 bars at
100 bpm through the generator class itself (the shipped DrumsRNN bundle, or the theory backend),
counted over the groove bars 1-3 and 5-7 (bars 4 and 8 hold the fills): bars with no kick, with a
kick on beat 1, with a snare (snare class: side stick and clap too) on beats 2 and 4, with a snare
(38/40) on beat 1, on beat 3, on beats 2, 3 and 4; the mean per clip of the velocities' standard
deviation and mean; the mean backbeat snare, kick and hi-hat velocity. Session 29 (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics as st
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai.generation import magenta_backend as mb  # noqa: E402
from ai.generation.base import GenerationRequest, Generator, GeneratorRegistry, Note  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from ai.music_theory import Key, default_progression  # noqa: E402

KICK, SNARE_CLASS, SNARE = {35, 36}, {37, 38, 39, 40}, {38, 40}
STYLES = ["rock", "funk", "hip-hop", "pop", "disco", "country", "blues", "ballad", "electronic", "reggae", "latin"]
STYLES += ["jazz", "march", "waltz"]
BEAT = 0.6  # seconds at 100 bpm
MODELS = Path(__file__).resolve().parent.parent / "models"


def _at(notes: list[Note], t: float, pitches: set[int]) -> bool:
    return any(abs(n.start - t) < 0.03 and n.pitch in pitches for n in notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="magenta", choices=("magenta", "theory"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("styles", nargs="*")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    generator: Generator
    if args.model == "theory":
        generator = TheoryGenerator(dynamics=load_dynamics(MODELS))
    else:
        bundles = mb.load_bundles(MODELS, GeneratorRegistry(), warm_up=False)
        generator = next(g for g in bundles if "drums" in g.parts)
    key = Key(0, "major")
    print(
        "style      bars | no kick | kick 1 | snare 2+4 | snare 1 | snare 3 | snare 1-4 | snare 2-4 | vel mean | vel sd"
    )
    out = {}
    for style in args.styles or STYLES:
        beats = 3 if style == "waltz" else 4
        c: Counter[str] = Counter()
        total, sds, means = 0, [], []
        backbeat, kicks, hats = [], [], []
        for seed in range(args.first, args.first + args.seeds):
            request = GenerationRequest(
                part="drums",
                key=key,
                chords=default_progression(key),
                bars=8,
                seed=seed,
                tempo=100.0,
                style=style,
                beats_per_bar=beats,
            )
            clip = generator.generate(request)
            bar = BEAT * beats
            velocities = [n.velocity for n in clip.notes]
            sds.append(float(np.std(velocities)))
            means.append(float(np.mean(velocities)))
            for b in (0, 1, 2, 4, 5, 6):
                notes = [n for n in clip.notes if b * bar - 0.01 <= n.start < (b + 1) * bar - 0.01]

                def at(x: int, pitches: set[int], notes: list[Note] = notes, start: float = b * bar) -> bool:
                    return _at(notes, start + x * BEAT, pitches)

                total += 1
                c["nokick"] += not any(n.pitch in KICK for n in notes)
                c["k1"] += at(0, KICK)
                c["s1"] += at(0, SNARE)
                if beats == 4:
                    c["bb"] += at(1, SNARE_CLASS) and at(3, SNARE_CLASS)
                    c["s3"] += at(2, SNARE)
                    c["all4"] += all(at(x, SNARE) for x in range(4))
                    c["b234"] += at(1, SNARE) and at(2, SNARE) and at(3, SNARE)
                for n in notes:
                    pos = round((n.start - b * bar) / (BEAT / 4))
                    if n.pitch in SNARE_CLASS and pos in (4, 12):
                        backbeat.append(n.velocity)
                    if n.pitch in KICK:
                        kicks.append(n.velocity)
                    if n.pitch in (42, 44, 46):
                        hats.append(n.velocity)
        row = {
            "bars": total,
            **{k: c[k] for k in ("nokick", "k1", "bb", "s1", "s3", "all4", "b234")},
            "vel_mean": round(st.mean(means), 1),
            "vel_sd": round(st.mean(sds), 1),
            "bbv": round(st.mean(backbeat)) if backbeat else None,
            "kv": round(st.mean(kicks)) if kicks else None,
            "hv": round(st.mean(hats)) if hats else None,
        }
        out[style] = row
        print(
            f"{style:10s} {total:4d} | {c['nokick']:7d} | {c['k1']:6d} | {c['bb']:9d} | {c['s1']:7d} | {c['s3']:7d} |"
            f" {c['all4']:9d} | {c['b234']:9d} | {row['vel_mean']:8} | {row['vel_sd']:6}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
