"""Decoded audio kept in a float32 file instead of memory, read back a range of frames at a time.

A mixing request reads each stem several times (the measures, the sum, the render), and a 30-minute
stereo stem decoded whole is 635 MB. A :class:`StemFile` is decoded once, block by block, into a
file of float32 samples (the upload folder, or the system's temporary folder), and every reader asks
for the frames it needs with explicit reads into a block-sized array: no memory map, whose touched
pages would stay in the process's resident set. The file holds CHUNK frames at a time channel after
channel, so both the decoder's blocks and the readers' arrays (channels first) go in and out without
a transposed copy. :meth:`StemFile.close` deletes the file (the request's cleanup, on success and on
error).

``Frames`` is what the mixing measures read: a np.ndarray [shape=(channels, n), dtype=float32] held
in memory, or a StemFile. :func:`read_frames`, :func:`frame_blocks` and :func:`whole` read either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np

from ai.audio.decode import DecodedAudio, open_audio, read_stream
from utils.scratch import scratch_space

BLOCK = 1 << 18
"""Frames per block of a pass over a stem file (2 MB of stereo float32)."""
CHUNK = 1 << 16
"""Frames per chunk of the file: each chunk holds its frames of channel 0, then of channel 1, ... (the
last chunk may be shorter)."""
_ITEM = np.dtype(np.float32).itemsize


class StemFile:
    """Decoded audio in a file of float32 chunks, channel after channel (see the module docstring).

    Reads are positional (``os.pread``), so threads may read one file at once.
    """

    def __init__(self, path: Path, *, channels: int, sample_rate: int, n_samples: int) -> None:
        self.path = path
        self.channels = channels
        self.sample_rate = sample_rate
        self.n_samples = n_samples
        self._fd: int | None = os.open(path, os.O_RDONLY)

    @property
    def shape(self) -> tuple[int, int]:
        return self.channels, self.n_samples

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` (clipped to the file, as a slice is), np.ndarray
        [shape=(channels, m), dtype=float32], C-contiguous and the caller's own."""
        if self._fd is None:
            raise ValueError(f"{self.path.name}: the stem file is closed")
        start, stop, _ = slice(start, stop).indices(self.n_samples)
        out = np.empty((self.channels, max(0, stop - start)), dtype=np.float32)
        position = start
        while position < stop:
            first = position // CHUNK * CHUNK  # the chunk holding ``position``; those before it are full
            length = min(CHUNK, self.n_samples - first)
            end = min(stop, first + length)
            for channel in range(self.channels):
                offset = (first * self.channels + channel * length + position - first) * _ITEM
                _read_into(self._fd, out[channel, position - start : end - start], offset, self.path)
            position = end
        return out

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """Every frame in order, np.ndarray [shape=(channels, <= size), dtype=float32] blocks."""
        for start in range(0, self.n_samples, size):
            yield self.read(start, start + size)

    def close(self) -> None:
        """Close and delete the file (again: nothing)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> StemFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _read_into(fd: int, row: np.ndarray, offset: int, path: Path) -> None:
    """Fill ``row`` (a contiguous float32 array) from byte ``offset`` of the open file ``fd``."""
    view = row.data.cast("B")
    done = 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got == 0:
            raise OSError(f"{path.name}: the stem file ends at byte {offset + done}")
        done += got


def write_stem_file(
    blocks: Iterable[np.ndarray], *, channels: int, sample_rate: int, directory: Path | None = None
) -> StemFile:
    """``blocks`` (np.ndarray [shape=(channels, m)] in order: a decoding stream's, or a sum made a
    block at a time) written into a new stem file in ``directory`` (the system's temporary folder
    when None). Their errors pass through, and the partial file is deleted."""
    frames = 0
    pending = np.empty((channels, CHUNK), dtype=np.float32)  # an unfinished chunk
    filled = 0

    def write_chunk(part: np.ndarray) -> None:
        with scratch_space(directory, make_folder=False):  # a full disk: 507, not the blocks' source's fault
            for row in part:
                handle.write(row.data)

    with scratch_space(directory):
        fd, name = tempfile.mkstemp(prefix="dawg-stem-", suffix=".f32", dir=directory)
    path = Path(name)
    with os.fdopen(fd, "wb") as handle:
        try:
            for block in blocks:
                if block.ndim != 2 or block.shape[0] != channels:
                    raise ValueError(f"blocks must have shape ({channels}, m), got {block.shape}")
                block = np.ascontiguousarray(block, dtype=np.float32)
                position = 0
                while position < block.shape[1]:
                    if filled == 0 and block.shape[1] - position >= CHUNK:  # a whole chunk: straight from the block
                        write_chunk(block[:, position : position + CHUNK])
                        position += CHUNK
                        frames += CHUNK
                        continue
                    take = min(CHUNK - filled, block.shape[1] - position)
                    pending[:, filled : filled + take] = block[:, position : position + take]
                    filled += take
                    position += take
                    if filled == CHUNK:
                        write_chunk(pending)
                        frames += CHUNK
                        filled = 0
            write_chunk(pending[:, :filled])
            frames += filled
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    return StemFile(path, channels=channels, sample_rate=sample_rate, n_samples=frames)


def close_all(items: Sequence[object]) -> None:
    """Delete the stem files among ``items`` (arrays, in-memory audio and None need nothing)."""
    for item in items:
        if isinstance(item, StemFile):
            item.close()


Frames = np.ndarray | StemFile
"""Samples a measure reads: an array [shape=(channels, n), dtype=float32] or a stem file."""


def frame_count(frames: Frames) -> int:
    return int(frames.shape[1])


def read_frames(frames: Frames, start: int, stop: int) -> np.ndarray:
    """Frames ``start:stop`` of ``frames``: a view of an array, a read of a stem file."""
    if isinstance(frames, StemFile):
        return frames.read(start, stop)
    return frames[:, start:stop]


def read_shifted(frames: Frames, start: int, stop: int, shift: int) -> np.ndarray:
    """Frames ``start:stop`` of ``frames`` moved ``shift`` frames later (earlier when negative), zeros where
    that reads outside them (they keep their length): np.ndarray [shape=(channels, stop - start),
    dtype=float32], a copy of our own."""
    n = frame_count(frames)
    stop = min(stop, n)
    out = np.zeros((frames.shape[0], max(0, stop - start)), dtype=np.float32)
    lo, hi = max(start - shift, 0), min(stop - shift, n)
    if hi > lo:
        out[:, lo + shift - start : hi + shift - start] = read_frames(frames, lo, hi)
    return out


def frame_blocks(frames: Frames, size: int = BLOCK) -> Iterator[np.ndarray]:
    """``frames`` in consecutive blocks of ``size`` (the last may be shorter)."""
    for start in range(0, frame_count(frames), size):
        yield read_frames(frames, start, start + size)


def whole(frames: Frames) -> np.ndarray:
    """All of ``frames`` in memory: the array itself, or a stem file read whole (a measure that
    has no block-wise form yet pays the stem's full size while it runs)."""
    if isinstance(frames, StemFile):
        return frames.read(0, frames.n_samples)
    return frames


Audio = DecodedAudio | StemFile
"""A decoded stem: held in memory or in a stem file."""


def decode_stem(
    source: Path,
    *,
    name: str,
    max_duration_s: float | None,
    directory: Path | None = None,
    in_memory_bytes: int = 0,
) -> Audio:
    """Decode ``source``: into memory when its header promises at most ``in_memory_bytes`` of
    float32 samples, else block by block into a stem file in ``directory``. Errors are
    :func:`ai.audio.decode.decode_audio`'s."""
    with open_audio(source, name=name, max_duration_s=max_duration_s) as stream:
        size = stream.channels * stream.frames * _ITEM
        if stream.frames > 0 and size <= in_memory_bytes:
            return read_stream(stream)
        return write_stem_file(
            stream.blocks, channels=stream.channels, sample_rate=stream.sample_rate, directory=directory
        )
