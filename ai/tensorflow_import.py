"""One lock around TensorFlow's import, shared by the two places that touch it, and the filter that keeps
TensorFlow's start-up log under TF_CPP_MIN_LOG_LEVEL (:func:`native_log_filtered`).

Magenta's backend imports TensorFlow for real (seconds). basic-pitch's package probes for it on import, and
``ai.transcription.pitched`` hides it for that moment (``sys.modules["tensorflow"] = None``) so that a service
without Magenta does not load it. The start-up steps run both in worker threads at once: without the lock, a
Magenta import that began inside the hidden moment would fail and the service would fall back to the theory
backend."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

TENSORFLOW_IMPORT_LOCK = threading.Lock()
"""Held while TensorFlow is imported (Magenta) and while basic-pitch probes for it with TensorFlow hidden."""


ABSL_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] ")
"""A line of absl's C++ log: severity letter, MMDD, time, thread, file:line]."""
ABSL_PRE_INIT = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
"""absl's line before the first message logged ahead of ``absl::InitializeLog()``: part of that start-up log."""
_SEVERITIES = b"IWEF"


def min_log_level() -> int:
    """TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it: 0 logs everything, 1 drops INFO, 2 WARNING too, 3 ERROR too."""
    try:
        return max(0, int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")))
    except ValueError:
        return 0


def kept_log(text: bytes, level: int) -> bytes:
    """``text`` without absl's C++ log lines under ``level`` (:func:`min_log_level`) and the line that announces
    them; every other line as it was."""
    if level <= 0:
        return text
    kept = []
    for line in text.splitlines(keepends=True):
        match = ABSL_LINE.match(line)
        if match is not None and _SEVERITIES.index(match.group(1)) < level:
            continue
        if line.rstrip(b"\r\n") == ABSL_PRE_INIT:
            continue
        kept.append(line)
    return b"".join(kept)


_filtering = False
"""Whether :func:`native_log_filtered` holds stderr: only where a process asks (:func:`filter_native_log`)."""


def filter_native_log() -> None:
    """Let :func:`native_log_filtered` hold stderr while TensorFlow loads in this process. The CLI asks (a
    command's stderr is the user's terminal); the service does not: its stderr is the log stream of every thread,
    and holding it for the seconds TensorFlow takes to load would delay, or on a crash lose, their lines."""
    global _filtering
    _filtering = True


@contextlib.contextmanager
def native_log_filtered() -> Iterator[None]:
    """Hold TF_CPP_MIN_LOG_LEVEL for what TensorFlow's libraries log while they load.

    TensorFlow 2.21 logs its start-up (oneDNN is on, no CUDA driver: 6 lines on a CPU machine) through absl
    before ``absl::InitializeLog()`` is called, and such lines go to stderr whatever TF_CPP_MIN_LOG_LEVEL says
    (it governs TensorFlow's own logging only). Here stderr's file descriptor is written to a temporary file
    while the block runs; afterwards what was written there goes back to stderr, less absl's lines under the
    level. Anything else written meanwhile (Python warnings, other threads' log records) comes out whole, only
    after the block. Nothing is held with no level set, nor in a process that did not ask
    (:func:`filter_native_log`)."""
    level = min_log_level()
    if level <= 0 or not _filtering:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            rest = kept_log(sink.read(), level)
            if rest:
                os.write(2, rest)
