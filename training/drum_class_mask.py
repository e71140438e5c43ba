"""Training clips that teach only some of the drum network's classes.

A synthesized kit (training/drum_synth.py) teaches the kick and snare well, but its hats and shakers
taught the network that any sharp burst of bright noise is a hat: false hats at sf_GMbank's maracas
and claves on the test (models/drum_transcription.md, session 14's second and third rounds). Such
sessions' clips carry an "ignored" flag per class beside their targets, and the loss leaves the
flagged classes out, so the synthesized hats (and, if chosen, cymbals) teach nothing either way.

The flags travel in the targets' second half ([T, 2 * n_classes]): the crops' zero padding then
reads "counted", as every frame was before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ai.transcription.drums import CLASS_NAMES

HAT_CLASSES = ("hihat_closed", "hihat_open")
"""What --masked-data leaves out unless told otherwise."""


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
