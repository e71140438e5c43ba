"""One lock around TensorFlow's import, shared by the two places that touch it.

Magenta's backend imports TensorFlow for real (seconds). basic-pitch's package probes for it on import, and
``ai.transcription.pitched`` hides it for that moment (``sys.modules["tensorflow"] = None``) so that a service
without Magenta does not load it. The start-up steps run both in worker threads at once: without the lock, a
Magenta import that began inside the hidden moment would fail and the service would fall back to the theory
backend."""

from __future__ import annotations

import threading

TENSORFLOW_IMPORT_LOCK = threading.Lock()
"""Held while TensorFlow is imported (Magenta) and while basic-pitch probes for it with TensorFlow hidden."""
