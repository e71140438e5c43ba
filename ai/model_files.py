"""Where the analysis, mixing and transcription models are read from: ``DAWG_AI_MODELS_DIR`` first.

Each model module names its shipped file (``models/<name>`` in the repository, also the training
scripts' default output). :func:`model_path` looks for a file of that name in the folder the
service's lifespan configured (the ``models_dir`` setting) and falls back to the shipped one when
that folder does not hold it: the setting is where people put their Magenta bundles, and a folder of
bundles alone must not switch the analysis off. A retrained model dropped into the folder wins.
What /api/v1/models and the status file list is the path this returns, so they name the file used.

Scripts, tests and Dask worker processes that never configure a folder read the shipped files.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

M = TypeVar("M")
_folder: Path | None = None


def use_folder(folder: Path | None) -> None:
    """Read model files from ``folder`` first (None: the shipped files only). Called by the lifespan."""
    global _folder
    _folder = folder.expanduser() if folder is not None else None


def model_path(shipped: Path) -> Path:
    """The file named like ``shipped`` in the configured folder when it is there, else ``shipped``
    (which may be missing too: its loader says so)."""
    if _folder is not None:
        candidate = _folder / shipped.name
        if candidate.is_file():
            return candidate
    return shipped


class LoadedOnce(Generic[M]):
    """A small model file read once per path: the model, or why it did not load (logged once, listed by
    /api/v1/models and the status file), shared by the threads that ask for it."""

    def __init__(self, what: str, read: Callable[[Path], M]) -> None:
        self._what = what
        self._read = read
        self._loaded: dict[Path, M | str] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> M | str:
        """The model at ``path``, or a one-line reason it did not load."""
        with self._lock:
            if path not in self._loaded:
                try:
                    self._loaded[path] = self._read(path)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    logger.warning("%s not loaded from %s: %s", self._what, path, exc)
                    self._loaded[path] = f"{type(exc).__name__}: {exc}"
            return self._loaded[path]

    def describe(self, path: Path, listing: dict[str, Any], loaded: Callable[[M], dict[str, Any]]) -> dict[str, Any]:
        """``listing`` (name, family, what it serves) with the path and, loaded, ``loaded(model)``'s fields, else
        the reason."""
        out = {**listing, "path": str(path)}
        found = self.get(path)
        if isinstance(found, str):
            return {**out, "loaded": False, "error": found}
        return {**out, "loaded": True, **loaded(found)}
