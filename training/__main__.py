"""Train one shipped model end to end: corpus -> TFRecords -> training -> held-out eval -> bundle + card.

Usage::

    .venv/bin/python -m training drums|bass|melody|melody_improv [--steps N] [--tiny]
                     [--out models/] [--work data/training]

Writes ``<out>/<bundle>.mag``, ``<out>/<bundle>.md`` (the model card) and
``<work>/<name>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from training import cards, datasets, magenta_train
from training.specs import SPECS, TINY_HPARAMS

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STEPS = {"drums": 3000, "bass": 2500, "melody": 2500, "melody_improv": 800}


def run(
    name: str,
    *,
    steps: int | None,
    tiny: bool,
    out_dir: Path,
    work_dir: Path,
    write_card: bool = True,
    reuse: bool = False,
) -> dict[str, Any]:
    """Train model ``name``; returns the results dict also written to ``work_dir/name/results.json``."""
    spec = SPECS[name]
    steps = steps if steps is not None else (5 if tiny else DEFAULT_STEPS[name])
    config = magenta_train.make_config(spec, **(TINY_HPARAMS if tiny else {}))
    model_dir = work_dir / name
    model_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    corpus = datasets.CORPORA[name](work_dir, tiny=tiny)
    pipeline = magenta_train.make_pipeline(spec, config)
    train_records = magenta_train.write_tfrecord(pipeline, corpus.train, model_dir / "train.tfrecord")
    heldout_records = magenta_train.write_tfrecord(pipeline, corpus.heldout, model_dir / "heldout.tfrecord")
    data_s = time.monotonic() - started
    print(f"[{name}] {corpus.summary}")
    print(f"[{name}] {train_records} training examples, {heldout_records} held-out examples ({data_s:.0f} s)")
    if train_records == 0:
        raise SystemExit(f"no training examples for {name}")

    timing = model_dir / "run" / "train_seconds.json"
    if reuse and timing.exists():  # checkpoints of an earlier run of the same command: evaluate/export only
        train_dir = model_dir / "run" / "train"
        train_s = json.loads(timing.read_text())["train_seconds"]
    else:
        started = time.monotonic()
        train_dir = magenta_train.train(config, model_dir / "train.tfrecord", model_dir / "run", steps=steps)
        train_s = time.monotonic() - started
        timing.write_text(json.dumps({"train_seconds": train_s, "steps": steps}))

    metrics: dict[str, float] = {}
    if heldout_records:
        metrics = magenta_train.evaluate(
            config, model_dir / "heldout.tfrecord", train_dir, num_examples=heldout_records
        )
        print(f"[{name}] held-out: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    train_metrics = (
        {}
        if tiny
        else magenta_train.evaluate(
            config, model_dir / "train.tfrecord", train_dir, num_examples=min(train_records, 1024)
        )
    )

    bundle = magenta_train.export_bundle(spec, config, train_dir, out_dir / spec.bundle_file)
    sample = magenta_train.smoke_generate(spec, bundle)
    results = {
        "name": name,
        "config_id": spec.config_id,
        "bundle": str(bundle.relative_to(out_dir.parent)) if out_dir.parent in bundle.parents else str(bundle),
        "bundle_bytes": bundle.stat().st_size,
        "steps": steps,
        "tiny": tiny,
        "hparams": config.hparams.values(),
        "corpus": corpus.summary,
        "train_examples": train_records,
        "heldout_examples": heldout_records,
        "data_seconds": round(data_s, 1),
        "train_seconds": round(train_s, 1),
        "heldout_metrics": metrics,
        "train_metrics": train_metrics,
        "smoke_notes": len(sample.notes),
        "command": f".venv/bin/python -m training {name} --steps {steps}" + (" --tiny" if tiny else ""),
    }
    (model_dir / "results.json").write_text(json.dumps(results, indent=1))
    if write_card:
        cards.write_card(spec, results, out_dir / (Path(spec.bundle_file).stem + ".md"))
    print(
        f"[{name}] bundle {bundle} ({results['bundle_bytes'] / 1e6:.2f} MB), trained {train_s:.0f} s, "
        f"smoke generation {len(sample.notes)} notes"
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(SPECS))
    parser.add_argument("--steps", type=int, default=None, help="training steps (default per model; 5 with --tiny)")
    parser.add_argument("--tiny", action="store_true", help="a few grooves/tunes, a toy network: for tests")
    parser.add_argument("--out", type=Path, default=REPO / "models", help="where the bundle and card go")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "training", help="corpora and checkpoints")
    parser.add_argument("--no-card", action="store_true", help="do not write the model card")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip training when this work dir holds a finished run: evaluate and export only",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run(
        args.model,
        steps=args.steps,
        tiny=args.tiny,
        out_dir=args.out,
        work_dir=args.work,
        write_card=not args.no_card,
        reuse=args.reuse,
    )


if __name__ == "__main__":
    main()
