"""Import TensorFlow the way Magenta 2.1.4 needs it on TF 2.21 (legacy Keras, tf-slim shim)."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any, TypeAlias

KerasModel: TypeAlias = Any
"""A ``tf.keras.Model``: TensorFlow ships no type information, so mypy sees its objects as Any."""


def setup_tensorflow() -> ModuleType:
    """Return the ``tensorflow`` module, prepared for Magenta's TF1-style training code.

    ``TF_USE_LEGACY_KERAS`` must be set before TensorFlow is first imported; tf-slim still looks
    for ``IndexedSlices`` in ``tensorflow.python.framework.ops``, which TF 2.21 no longer has.
    """
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tensorflow.python.framework.ops as ops

    if not hasattr(ops, "IndexedSlices"):
        ops.IndexedSlices = tf.IndexedSlices
    module: ModuleType = tf  # untyped (Any) to mypy
    return module
