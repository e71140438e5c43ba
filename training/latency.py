"""Rough generation latency of the shipped bundles, to check model sizes against the serving budget.

``python -m training.latency [--repeats 20]`` loads each bundle in models/ that this package
trains, generates 4 bars (drums, melody) or 8 bars over chords (improv models) at 120 bpm with
Magenta's own generator, and prints the median wall time of the warm calls. The service's own
benchmarks live in bench/; this is the training-side check.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from training import magenta_train
from training.specs import SPECS

REPO = Path(__file__).resolve().parent.parent


def measure(name: str, bundle: Path, *, repeats: int) -> tuple[float, int]:
    """Median seconds of a warm generation and the number of notes of the last one."""
    import note_seq
    import numpy as np
    from note_seq.protobuf import generator_pb2, music_pb2

    spec = SPECS[name]
    bars = 8 if spec.family == "improv_rnn" else 4
    generator = magenta_train.load_bundle_generator(spec, bundle)
    primer = music_pb2.NoteSequence()
    primer.tempos.add(qpm=120.0)
    primer.ticks_per_quarter = note_seq.STANDARD_PPQ
    if spec.family == "improv_rnn":
        for bar, chord in enumerate(["C", "Am", "F", "G"] * 2):
            primer.text_annotations.add(
                time=2.0 * bar, text=chord, annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
            )
        primer.total_time = 2.0 * bars
    options = generator_pb2.GeneratorOptions()
    options.args["temperature"].float_value = 1.0
    options.generate_sections.add(start_time=0.01 if spec.family == "improv_rnn" else 0.0, end_time=2.0 * bars)
    times, notes = [], 0
    for i in range(repeats + 1):
        np.random.seed(i)
        started = time.perf_counter()
        notes = len(generator.generate(primer, options).notes)
        if i:  # the first call is the cold one
            times.append(time.perf_counter() - started)
    generator.close()
    return statistics.median(times), notes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--models", type=Path, default=REPO / "models")
    args = parser.parse_args(argv)
    for name, spec in SPECS.items():
        bundle = args.models / spec.bundle_file
        if bundle.exists():
            median, notes = measure(name, bundle, repeats=args.repeats)
            bars = 8 if spec.family == "improv_rnn" else 4
            print(
                f"{name}: {bars} bars in {median * 1000:.0f} ms (median of {args.repeats} warm calls), "
                f"{notes} notes, bundle {bundle.stat().st_size / 1e6:.2f} MB"
            )


if __name__ == "__main__":
    main()
