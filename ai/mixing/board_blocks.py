"""pedalboard chains run over a long signal a block at a time.

``board(samples, sr)`` on a whole stem copies it into pedalboard's own buffer and hands back a new
array: three copies of a 30-minute stem (635 MB each) for one move. Run block by block with the
plugins' state carried over (``reset=False``), a chain gives the same samples (its filters,
compressors and gains are causal and keep their state between calls), and the output is either
written into one array, written into a new stem file beside the input (:func:`_file_of`, :func:`_scaled`)
or measured block by block and never kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pedalboard

from ai.audio.stem_file import Frames, StemFile, frame_count, read_frames, write_stem_file

BLOCK = 1 << 18
"""Samples per block (2 MB of stereo float32)."""


def board_blocks(board: pedalboard.Plugin, samples: Frames, sr: int) -> Iterator[np.ndarray]:
    """``samples`` (np.ndarray [shape=(channels, n)], float32, or a stem file) through ``board``,
    from its reset state, as consecutive np.ndarray [shape=(channels, m), dtype=float32] blocks."""
    board.reset()
    for start in range(0, frame_count(samples), BLOCK):
        block = np.ascontiguousarray(read_frames(samples, start, start + BLOCK), dtype=np.float32)
        yield process_block(board, block, sr)


def process_block(board: pedalboard.Plugin, block: np.ndarray, sr: int) -> np.ndarray:
    """``block`` (np.ndarray [shape=(channels, m), dtype=float32]) through ``board``, its state carried on, as a
    new contiguous float32 array of the same shape."""
    channels, frames = block.shape
    if channels == frames:
        # A square block (a stereo stem of 2 frames) is refused: pedalboard cannot tell its channels from its
        # samples (a 500 on /mixing/render). One frame of silence after it, dropped again, tells it.
        padded = np.concatenate([block, np.zeros((channels, 1), dtype=np.float32)], axis=1)
        return np.ascontiguousarray(board.process(padded, sr, reset=False)[:, :frames], dtype=np.float32)
    return np.ascontiguousarray(board.process(block, sr, reset=False), dtype=np.float32)


def run_board(board: pedalboard.Plugin, samples: np.ndarray, sr: int, *, out: np.ndarray | None = None) -> np.ndarray:
    """``board(samples, sr)`` as np.ndarray [shape=(channels, n), dtype=float32], without the
    whole-signal copies (see the module docstring). ``out``: where to write it (a float32 array of
    the same shape, which may be ``samples`` itself: each block is read before it is written)."""
    if out is None:
        out = np.empty((samples.shape[0], samples.shape[1]), dtype=np.float32)
    elif out.shape != samples.shape or out.dtype != np.float32:
        raise ValueError(f"out must be float32 of shape {samples.shape}, got {out.dtype} {out.shape}")
    filled = 0
    for block in board_blocks(board, samples, sr):
        out[:, filled : filled + block.shape[1]] = block
        filled += block.shape[1]
    if filled != out.shape[1]:  # a plugin with latency would shift the blocks: none is used here
        raise RuntimeError(f"the chain gave {filled} samples for {out.shape[1]}")
    return out


def _file_of(stream: Iterable[np.ndarray], like: StemFile) -> StemFile:
    """``stream``'s blocks in a new stereo stem file beside ``like``, at its rate."""
    return write_stem_file(stream, channels=2, sample_rate=like.sample_rate, directory=like.path.parent)


def _scaled(samples: StemFile, scale: np.ndarray | np.float32) -> StemFile:
    """``samples * scale`` (the same products as on the whole array), in a new stem file."""
    return _file_of((block * scale for block in samples.blocks(BLOCK)), samples)
