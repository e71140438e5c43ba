"""The thread pools the analyses share inside one request, created and shut down by their owner.

Two pools, so that work in one may wait on work in the other but never on its own pool (a pool
whose tasks wait on tasks queued behind them can deadlock):

* ``side``: two threads for the independent halves of one analysis (the loudness of the original
  channels beside the rest of the pipeline; the pitch side beside the onset side of the shared
  features). Their numba kernels release the GIL, so on two cores the halves run side by side.
  Tasks here wait on nothing.
* ``tracks``: per-track mixing work (analysing each stem, running its processing chain), up to four
  threads. A task here may use ``side`` (a stem's analysis computes shared features).

The service's lifespan calls :func:`start` and :func:`shutdown`; scripts and tests that never
start them get the pools on first use (no pool is created at import).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

SIDE_WORKERS = 2  # the machine's cores: more only adds waiting
TRACK_WORKERS = min(4, os.cpu_count() or 1)

_lock = threading.Lock()
_side: ThreadPoolExecutor | None = None
_tracks: ThreadPoolExecutor | None = None


def start() -> None:
    """Create both pools (idempotent)."""
    global _side, _tracks
    with _lock:
        if _side is None:
            _side = ThreadPoolExecutor(max_workers=SIDE_WORKERS, thread_name_prefix="analysis-side")
        if _tracks is None:
            _tracks = ThreadPoolExecutor(max_workers=TRACK_WORKERS, thread_name_prefix="mix-tracks")


def side() -> ThreadPoolExecutor:
    """The pool for an analysis' independent halves."""
    if _side is None:
        start()
    assert _side is not None
    return _side


def tracks() -> ThreadPoolExecutor:
    """The pool for per-track mixing work."""
    if _tracks is None:
        start()
    assert _tracks is not None
    return _tracks


def shutdown() -> None:
    """Stop both pools; queued work is cancelled (the service is going away). A later use
    creates them again."""
    global _side, _tracks
    with _lock:
        for pool in (_tracks, _side):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        _side = _tracks = None
