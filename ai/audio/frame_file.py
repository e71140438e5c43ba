"""A matrix of frames (rows of float32) kept in a file instead of memory, read back a few rows at a time.

basic-pitch's whole-file outputs are 274 MB at 30 minutes (note and onset: 88 columns, contour: 264). Its
own note creation walks along them, row by row from a start, back and forth; with the rows in a file it
reads only the stretch it is at. The analysis's spectral peaks of a long dense recording go to one too. Rows are stored one after the other (row-major), so a stretch of rows is
one positional read (``os.pread``; no memory map, whose touched pages would stay resident). The file is
deleted by :meth:`FrameFile.close`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from utils.scratch import scratch_space

_ITEM = np.dtype(np.float32).itemsize


class FrameFile:
    """Rows of ``width`` float32 values, appended with :meth:`append`, read with :meth:`rows`."""

    def __init__(self, width: int, directory: Path | None = None) -> None:
        self.width = width
        self.n_rows = 0
        self.directory = directory
        with scratch_space(directory):
            fd, name = tempfile.mkstemp(prefix="dawg-frames-", suffix=".f32", dir=directory)
        self.path = Path(name)
        self._fd: int | None = fd

    def append(self, rows: np.ndarray) -> None:
        """Add ``rows`` [shape=(m, width)] after the last."""
        if rows.ndim != 2 or rows.shape[1] != self.width:
            raise ValueError(f"rows must have shape (m, {self.width}), got {rows.shape}")
        if rows.shape[0] == 0:  # a batch of the model's output may have no frames
            return
        data = np.ascontiguousarray(rows, dtype=np.float32).data.cast("B")
        done = 0
        with scratch_space(self.directory, make_folder=False):  # a full disk: 507
            while done < len(data):
                done += os.pwrite(self._open(), data[done:], self.n_rows * self.width * _ITEM + done)
        self.n_rows += rows.shape[0]

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (clipped to the file, as a slice is), np.ndarray [shape=(m, width),
        dtype=float32], writable and the caller's own."""
        start, stop, _ = slice(start, stop).indices(self.n_rows)
        out = np.empty((max(0, stop - start), self.width), dtype=np.float32)
        if out.size == 0:
            return out
        view = out.data.cast("B")
        offset = start * self.width * _ITEM
        done = 0
        while done < len(view):
            got = os.preadv(self._open(), [view[done:]], offset + done)
            if got == 0:
                raise OSError(f"{self.path.name}: the frame file ends at byte {offset + done}")
            done += got
        return out

    def _open(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path.name}: the frame file is closed")
        return self._fd

    def close(self) -> None:
        """Close and delete the file (again: nothing)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> FrameFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


__all__ = ["FrameFile"]
