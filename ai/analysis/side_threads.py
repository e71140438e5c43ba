"""Threads for the independent halves of one analysis.

An analysis has parts that need nothing from each other: the loudness of the original channels
and the rest of the pipeline; within the shared features, the pitch side (spectral peaks, tuning,
chroma) and the onset side (mel flux, RMS). Their numba kernels release the GIL, so on a machine
with two cores the halves run side by side. Work submitted here never waits on other work
submitted here, so a busy pool only queues, it cannot deadlock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

SIDE_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="analysis-side")
"""Two threads: the machine's cores (more only adds waiting)."""
