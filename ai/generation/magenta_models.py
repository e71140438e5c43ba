"""The Magenta model families behind the ``*.mag`` bundles: TensorFlow and Magenta imported lazily,
a bundle read and its generator id mapped to the family that knows it, and which parts a bundle
generates with its preference among the Magenta backends (:mod:`ai.generation.magenta_backend`).

TensorFlow is imported only when a bundle is read or a family's generator map is asked for
(``TF_USE_LEGACY_KERAS=1`` is set first).
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from pathlib import Path
from typing import Any

from ai.tensorflow_import import TENSORFLOW_IMPORT_LOCK, native_log_filtered

# Magenta's sequence generator modules by model family.
MODEL_FAMILIES: dict[str, str] = {
    "drums_rnn": "magenta.models.drums_rnn.drums_rnn_sequence_generator",
    "melody_rnn": "magenta.models.melody_rnn.melody_rnn_sequence_generator",
    "improv_rnn": "magenta.models.improv_rnn.improv_rnn_sequence_generator",
    "polyphony_rnn": "magenta.models.polyphony_rnn.polyphony_sequence_generator",
    "performance_rnn": "magenta.models.performance_rnn.performance_sequence_generator",
}


# ---------------------------------------------------------------------------------------------
# TensorFlow / Magenta imports (lazy)


def _import_tensorflow() -> Any:
    """``tensorflow.compat.v1``, imported the way Magenta 2.1.4 needs it on TF 2.21."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Not while basic-pitch's import hides TensorFlow; its start-up log held to the level (ai/tensorflow_import.py).
    with TENSORFLOW_IMPORT_LOCK, native_log_filtered():
        import tensorflow as tf
        import tensorflow.python.framework.ops as tf_ops

    if not hasattr(tf_ops, "IndexedSlices"):  # tf-slim (imported by Magenta) still looks here
        tf_ops.IndexedSlices = tf.IndexedSlices
    return tf.compat.v1


@functools.cache
def _generator_map(family: str) -> dict[str, Any]:
    """Magenta's ``get_generator_map()`` of a family: generator id -> bound factory."""
    _import_tensorflow()
    module = importlib.import_module(MODEL_FAMILIES[family])
    return dict(module.get_generator_map())


def family_for_generator_id(generator_id: str) -> str | None:
    """The Magenta model family ('drums_rnn', 'melody_rnn', ...) whose generator map knows
    ``generator_id`` (e.g. 'drum_kit' -> 'drums_rnn'), or None."""
    for family in MODEL_FAMILIES:
        if generator_id in _generator_map(family):
            return family
    return None


def _read_bundle(path: Path) -> Any:
    _import_tensorflow()
    from magenta.models.shared import sequence_generator_bundle

    return sequence_generator_bundle.read_bundle_file(str(path))


# ---------------------------------------------------------------------------------------------
# Parts and preference


def _tokens(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower())) - {""}


def is_bass_bundle(stem: str, description: str) -> bool:
    """Whether an ImprovRNN bundle was trained on bass lines: 'bass' in the file name (unless it
    says 'melody'), else the word 'bass' in its description."""
    stem_tokens = _tokens(stem)
    if "melody" in stem_tokens or "lead" in stem_tokens:
        return False
    if "bass" in stem_tokens or "bassline" in stem_tokens:
        return True
    return bool(re.search(r"\bbass(es|line|lines)?\b", description.lower()))


def parts_and_preference(family: str, generator_id: str, stem: str, description: str) -> tuple[frozenset[str], int]:
    """Which parts a bundle generates and its preference among Magenta backends.

    Drums: DrumsRNN. Melody: MelodyRNN (attention/lookback 20, basic/mono 10) ahead of ImprovRNN
    (15) ahead of PolyphonyRNN/PerformanceRNN. Bass: a bass-trained ImprovRNN (30, bass only)
    ahead of a general ImprovRNN (15, melody and bass).
    """
    if family == "drums_rnn":
        return frozenset({"drums"}), 20 if generator_id == "drum_kit" else 10
    if family == "melody_rnn":
        return frozenset({"melody"}), 20 if generator_id in ("attention_rnn", "lookback_rnn") else 10
    if family == "improv_rnn":
        if is_bass_bundle(stem, description):
            return frozenset({"bass"}), 30
        return frozenset({"melody", "bass"}), 15
    if family == "polyphony_rnn":
        return frozenset({"melody"}), 5
    return frozenset({"melody"}), 1
