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

from pathlib import Path

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
