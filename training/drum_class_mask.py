"""Training clips that teach only some of the drum network's classes.

A synthesized kit (training/drum_synth.py) teaches the kick and snare well, but its hats and shakers
taught the network that any sharp burst of bright noise is a hat: false hats at sf_GMbank's maracas
and claves on the test (models/drum_transcription.md, session 14's second and third rounds). Such
sessions' clips carry an "ignored" flag per class beside their targets, and the loss leaves the
flagged classes out, so the synthesized hats (and, if chosen, cymbals) teach nothing either way.

The flags travel in the targets' second half ([T, 2 * n_classes]): the crops' zero padding then
reads "counted", as every frame was before.

Which clips: only those of sessions whose hats may be synthesized (round 7 masked whole render folders,
so the ~20 % of a synthesized render's sessions that play a soundfont or sampled kit lost their hat
labels too). A render writes ``{split}_sessions.json`` beside its npz, one record per session (its drum
sound, whether its pieces were mixed, whether it is synthesized); for renders made before that file
existed, ``python -m training.drum_class_mask`` replays the render's plan (same arguments) and writes it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ai.transcription.drums import CLASS_NAMES

HAT_CLASSES = ("hihat_closed", "hihat_open")
"""What --masked-data leaves out unless told otherwise."""

SYNTH_PREFIX = "synth:"
"""A synthesized kit's drum sound name (training/drum_synth.SYNTH_KIT; not imported: that module needs scipy)."""


def is_synthesized(sound: str, mixed: bool, synth_pool: Sequence[str]) -> bool:
    """Whether a session's hats may come from a synthesized kit: its one kit is synthesized, or its kit
    pieces were mixed from a pool that holds synthesized kits (which sound played the hats is not kept)."""
    if mixed:
        return any(kit.startswith(SYNTH_PREFIX) for kit in synth_pool)
    return sound.startswith(SYNTH_PREFIX)


def sessions_file(folder: Path, split: str) -> Path:
    return folder / f"{split}_sessions.json"


def write_sessions(folder: Path, split: str, records: list[dict[str, Any]]) -> None:
    """``records``: per session in render order {"name", "sound", "mixed", "synthesized", "clips"}."""
    sessions_file(folder, split).write_text(json.dumps(records, indent=1))


def synthesized_clips(folder: Path, split: str, n_clips: int) -> np.ndarray:
    """[n_clips] bool: which clips of ``folder``'s ``split`` come from synthesized sessions. Raises
    FileNotFoundError without the sessions file and ValueError when it does not cover the clips."""
    path = sessions_file(folder, split)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: render again, or write it with python -m training.drum_class_mask "
            "and the render's arguments"
        )
    records = json.loads(path.read_text())
    flags = np.asarray([bool(r["synthesized"]) for r in records for _ in range(int(r["clips"]))], dtype=bool)
    if flags.size != n_clips:
        raise ValueError(f"{path} describes {flags.size} clips, the render has {n_clips}")
    return flags


def class_mask(names: Sequence[str]) -> np.ndarray:
    """[n_classes] float32: 1 for each class named (ignored), 0 for the others; unknown names raise."""
    unknown = sorted(set(names) - set(CLASS_NAMES))
    if unknown:
        raise ValueError(f"no such drum class: {', '.join(unknown)} (classes: {', '.join(CLASS_NAMES)})")
    return np.asarray([1.0 if name in names else 0.0 for name in CLASS_NAMES], dtype=np.float32)


def with_ignored(y: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Targets [T, n_classes] -> [T, 2 * n_classes]: the targets, then the ignored flags of ``names``."""
    flags = np.broadcast_to(class_mask(names), y.shape)
    return np.concatenate([y, flags], axis=1).astype(np.float32)


def masked_bce(tf: Any, positive_weight: np.ndarray) -> Callable[[Any, Any], Any]:
    """The training loss on :func:`with_ignored` targets: binary cross-entropy with positives weighted by
    ``positive_weight`` (per class), each ignored class's term zero, averaged over every entry (so a
    clip with nothing ignored gives the loss the network was trained with before)."""
    n = positive_weight.size

    def loss(y_true: Any, y_pred: Any) -> Any:
        target, ignored = y_true[..., :n], y_true[..., n:]
        y_pred = tf.clip_by_value(y_pred, 1e-6, 1 - 1e-6)
        bce = -(positive_weight * target * tf.math.log(y_pred) + (1 - target) * tf.math.log(1 - y_pred))
        return tf.reduce_mean(bce * (1.0 - ignored))

    return loss


def main(argv: list[str] | None = None) -> None:
    """Write the sessions file of a render made before renders wrote it, from a replay of its plan."""
    from training.drum_transcription import P_SAMPLE_KIT, draw_session, plan  # the renderer imports this module

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the render's folder")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--train-sessions", type=int, required=True)
    parser.add_argument("--val-sessions", type=int, default=0)
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--mixed-kit-share", type=float, required=True)
    parser.add_argument("--synth-kit-share", type=float, required=True)
    parser.add_argument("--sample-kit-share", type=float, default=P_SAMPLE_KIT)
    parser.add_argument("--drum-set-share", type=float, default=0.0)
    args = parser.parse_args(argv)
    tasks = plan(
        args.seed,
        args.train_sessions,
        args.val_sessions,
        0,
        args.clips,
        sample_kit_share=args.sample_kit_share,
        drum_set_share=args.drum_set_share,
        synth_kit_share=args.synth_kit_share,
    )
    for split in ("train", "val"):
        if not (args.data / f"{split}.npz").is_file():
            continue
        records = []
        for task in (t for t in tasks if t["split"] == split):
            mixed = draw_session({**task, "mixed_kit_share": args.mixed_kit_share})[0].mixed_kit
            sound = str(task["kit"] or task["drum_font"])
            synthesized = is_synthesized(sound, mixed, task["synth_kits"])
            records.append(
                {"name": task["name"], "sound": sound, "mixed": mixed, "synthesized": synthesized, "clips": args.clips}
            )
        with np.load(args.data / f"{split}.npz") as data:
            n_clips = int(data["lengths"].size)
        if sum(r["clips"] for r in records) != n_clips:
            raise SystemExit(f"{args.data / split}.npz has {n_clips} clips, the plan {args.clips * len(records)}")
        write_sessions(args.data, split, records)
        print(
            f"{sessions_file(args.data, split)}: {sum(r['synthesized'] for r in records)} of {len(records)} synthesized"
        )


if __name__ == "__main__":
    main()
