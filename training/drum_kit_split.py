"""Split a Hydrogen-kit render of the drum corpus by kit: sessions through some kits train the drum
network, sessions through the others (kits it never hears) choose its peak thresholds.

The validation sessions of a render play the training sounds, so thresholds chosen on them alone fit
those sounds: on kits the network has not heard its activations peak lower, and those thresholds
drop hits (models/drum_transcription.md). The kit of each session comes from the render's plan, and
whether its kit pieces were mixed from several sounds from a replay of the session's draws
(``draw_session``; nothing is rendered again); mixed sessions may hold any kit's pieces, so they go
to neither side.

Usage (the render of ``--stage render --seed 18 ... --sample-kit-share 0.85``, same arguments here):
    .venv/bin/python -m training.drum_kit_split --data /tmp/drums_h2d --seed 18 --train-sessions 60 \\
        --val-sessions 6 --mixed-kit-share 0.35 --sample-kit-share 0.85 --out data/drum_transcription
writes OUT/hydrogen_train/train.npz and OUT/hydrogen_heldout/val.npz.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from training.drum_transcription import SAMPLE_KIT, draw_session, plan

HELD_OUT_KITS = ("Millo-Drums_v.1", "Millo_MultiLayered2", "Millo_MultiLayered3", "ColomboAcousticDrumkit")
"""Kits kept from training: one player's three kits (one kit in three recordings) and Colombo's. The
other sampled kits train (The Black Pearl 1.0 is the AVL Black Pearl's kit again)."""


def session_kits(tasks: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(drum sound, whether its pieces were mixed) of each planned session, in the plan's order."""
    return [(task["kit"] or task["drum_font"], draw_session(task)[0].mixed_kit) for task in tasks]


def split_by_kit(
    data: Path, tasks: list[dict[str, Any]], held_out: tuple[str, ...], clips: int
) -> dict[str, dict[str, np.ndarray]]:
    """{"train": arrays, "heldout": arrays} (x, y, lengths as render_all writes them) of the render in
    ``data`` (its train.npz then val.npz, planned by ``tasks``)."""
    kits = dict(zip((task["name"] for task in tasks), session_kits(tasks), strict=True))
    held = {SAMPLE_KIT + kit for kit in held_out}
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {"train": [], "heldout": []}
    for split in ("train", "val"):
        names = [task["name"] for task in tasks if task["split"] == split]
        with np.load(data / f"{split}.npz") as arrays:
            x, y, lengths = arrays["x"], arrays["y"], arrays["lengths"]
        if lengths.size != clips * len(names):
            raise SystemExit(f"{data / split}.npz has {lengths.size} clips, the plan {clips * len(names)}")
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        for i, name in enumerate(names):
            sound, mixed = kits[name]
            if mixed:
                continue
            a, b = bounds[i * clips], bounds[(i + 1) * clips]
            side = "heldout" if sound in held else "train"
            parts[side].append((x[a:b], y[a:b], lengths[i * clips : (i + 1) * clips]))
    return {
        side: {key: np.concatenate([p[k] for p in chosen]) for k, key in enumerate(("x", "y", "lengths"))}
        for side, chosen in parts.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the Hydrogen render's folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--train-sessions", type=int, default=60)
    parser.add_argument("--val-sessions", type=int, default=6)
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--mixed-kit-share", type=float, default=0.35)
    parser.add_argument("--sample-kit-share", type=float, default=0.85)
    parser.add_argument("--held-out", default=",".join(HELD_OUT_KITS), help="comma-separated Hydrogen kits")
    args = parser.parse_args(argv)
    tasks = plan(
        args.seed, args.train_sessions, args.val_sessions, 0, args.clips, sample_kit_share=args.sample_kit_share
    )
    tasks = [{**task, "mixed_kit_share": args.mixed_kit_share} for task in tasks]
    split = split_by_kit(args.data, tasks, tuple(args.held_out.split(",")), args.clips)
    for side, file in (("train", "hydrogen_train/train.npz"), ("heldout", "hydrogen_heldout/val.npz")):
        path = args.out / file
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, x=split[side]["x"], y=split[side]["y"], lengths=split[side]["lengths"])
        lengths = split[side]["lengths"]
        print(f"{path}: {lengths.size} clips, {lengths.sum()} frames")


if __name__ == "__main__":
    main()
