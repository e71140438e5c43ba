"""``dawg-ai analyze`` without ``--url``: the analysis of each file in this process, straight from the file.

The route POST /api/v1/analyze/audio copies an upload to a temporary file and runs
:func:`ai.analysis.pipeline.analyze_file` on it; here the local file is that file. The settings, the
per-file and duration limits and the error bodies are the service's (``{"error", "detail"}`` plus the HTTP
status it would have answered), so a row reads the same either way. Skipped on purpose: the app, its
lifespan and the HTTP layer. Through them (httpx's multipart, Starlette's parser, the spooled upload and
its copy) each file cost ~7 ms more and the command ~0.8 s more to start than the analysis itself
(bench/cli_analyze.py), against a goal of 10 % on a folder of short files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cli.engine import one_blas_thread
from cli.output import AnalysisRow
from utils.errors import EngineError, file_too_large
from utils.settings import Settings

logger = logging.getLogger(__name__)


def analyze_one(path: Path, settings: Settings) -> AnalysisRow:
    """One file's row: what the endpoint answers for it, or the error body it would answer."""
    from ai.analysis.pipeline import analyze_file  # numpy and the models: after one_blas_thread()

    try:
        try:
            size = path.stat().st_size
        except OSError as exc:
            return AnalysisRow(
                str(path), error={"error": "unreadable_file", "detail": f"cannot read '{path}' ({exc.strerror or exc})"}
            )
        if size > settings.max_upload_bytes:
            raise file_too_large(path.name, settings.max_upload_bytes)
        result = analyze_file(path, name=path.name, max_duration_s=settings.max_audio_duration_s)
    except EngineError as exc:
        return AnalysisRow(str(path), error=error_body(exc))
    except Exception:  # the service's 500: logged, and the other files go on
        logger.exception("unexpected error analysing %s", path)
        return AnalysisRow(str(path), error=internal_error_body())
    return AnalysisRow(str(path), {"filename": path.name, **result.to_dict()})


def error_body(exc: EngineError) -> dict[str, Any]:
    """The body api/errors.py answers for ``exc``, with the status it answers it with."""
    return {"error": exc.code, "detail": exc.detail, **exc.extra, "status": exc.status_code}


def internal_error_body() -> dict[str, Any]:
    return {"error": "internal_error", "detail": "internal error in the AI engine; see its log", "status": 500}


def analyze_files(
    files: Sequence[Path],
    *,
    jobs: int,
    started: Callable[[Path], None] = lambda path: None,
    finished: Callable[[AnalysisRow], None] = lambda row: None,
) -> list[AnalysisRow]:
    """Every file's row, in the order given; ``jobs`` files at once. ``started``/``finished`` drive a
    progress bar (called from the worker threads)."""
    one_blas_thread()
    settings = Settings()

    def one(path: Path) -> AnalysisRow:
        started(path)
        row = analyze_one(path, settings)
        finished(row)
        return row

    if jobs <= 1:
        return [one(path) for path in files]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cli-analyze") as pool:
        return list(pool.map(one, files))
