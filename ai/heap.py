"""Freed heap memory handed back to the system between the stages of a long computation.

glibc keeps what a thread frees in that thread's malloc arena for its next allocations, and numpy
arrays of up to 32 MB come from those arenas (the mmap threshold grows to the largest block freed).
A request whose stages run in several worker threads then holds every thread's largest stage at
once: for a 30-minute stem in /mixing/suggest, about 100 MB more than it uses at any moment.
``malloc_trim(0)`` returns the whole free pages of every arena.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        libc = None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


def release_free_memory() -> None:
    """Return the free pages of the C heap to the system (glibc's malloc_trim; a no-op elsewhere)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
