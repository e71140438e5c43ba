"""What MMA's *training* grooves of a style say, beside its held-out ones: can a gap be learned?

    .venv/bin/python bench/groove_training_reference.py [--styles rock,jazz,latin,blues,waltz,ballad]

bench/groove_quality.py compares the engine's drums with MMA's held-out grooves of a style. The
engine may only learn from the training grooves (training/split.py), which training.primers maps
to the same engine style. This prints bench/groove_quality.py's drum measures (the same function,
the first 8 bars of each groove) over both sets: mean and 10th-90th percentile over grooves.
Where the two disagree, nothing fitted on the training grooves moves the engine toward the held-out
figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from training import mma_corpus  # noqa: E402
from training.primers import STYLE_MAP  # noqa: E402

MEASURES = ("vel_sd", "pos_share", "ghost", "ks_groove", "repeat")


def _quality_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("groove_quality", REPO / "bench" / "groove_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", default="rock,jazz,latin,blues,waltz,ballad")
    args = parser.parse_args(argv)
    bench = _quality_bench()
    classes = bench.drum_class_of()
    renderings = mma_corpus.build_renderings(REPO / "data" / "training" / "mma", per_groove=1)
    rows: dict[str, list[dict]] = {}
    for rendering in renderings:
        scale = rendering.tempo / bench.TEMPO
        notes = [
            {"pitch": int(n.pitch), "start": n.start_time * scale, "velocity": int(n.velocity)}
            for n in mma_corpus.drum_sequence(rendering).notes
        ]
        steps = int(round(rendering.numerator * 16 / rendering.denominator))
        found = bench.drum_measures(notes, steps_per_bar=steps, bars=min(bench.BARS, rendering.bars), classes=classes)
        if found:
            rows.setdefault(rendering.style, []).append(found)
    print(f"{'style':<8}{'set':<10}{'grooves':>8}" + "".join(f"{m:>20}" for m in MEASURES))
    for style in args.styles.split(","):
        training = [r for s in STYLE_MAP.get(style, ()) if not mma_corpus.is_heldout_style(s) for r in rows.get(s, [])]
        heldout = [r for s in bench.HELDOUT_MMA.get(style, ()) for r in rows.get(s, [])]
        for name, chosen in (("training", training), ("held-out", heldout)):
            if not chosen:
                continue
            cells = []
            for measure in MEASURES:
                values = [r[measure] for r in chosen]
                low, high = np.percentile(values, [10, 90])
                cells.append(f"{np.mean(values):.2f} ({low:.2f}-{high:.2f})")
            print(f"{style:<8}{name:<10}{len(chosen):>8}" + "".join(f"{c:>20}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
