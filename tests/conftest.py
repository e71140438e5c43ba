"""Test-wide environment: Magenta's Keras 2 switch must be set before TensorFlow is imported."""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.support.databases"]  # the library_url fixture: SQLite, and PostgreSQL when one is given
