"""A track's channel strip in the render: the moves a track's own processing applies, in the order a
channel strip runs them.

:func:`process_track` runs, on a whole track: a DC blocker (in a render, every track: :func:`dc_blocker`),
a polarity flip and time shift between tracks (a phase finding between two microphones on one source),
polarity and width (:func:`apply_stereo`), high-pass,
EQ (bells, shelves: pedalboard filters, :func:`eq_plugins`), compressor (+ make-up gain), volume
automation (the compressor and the automation are :mod:`ai.mixing.dynamics_processing`' functions, the ones
its advice was checked with); :func:`strip_blocks` runs the same a block at a time, for a stem file.
A :class:`Move` is one move to render (:mod:`ai.mixing.render_plan` sorts the report's findings into
them); the fader's gain and pan come later (:mod:`ai.mixing.render`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pedalboard

from ai.audio.stem_file import Frames, frame_count, read_frames, read_shifted
from ai.mixing import board_blocks as blocks
from ai.mixing.board_blocks import run_board
from ai.mixing.dynamics_processing import apply_automation, apply_compressor, automation_gains, compressor_board
from ai.mixing.findings import rounded

EQ_PEAK_TYPES = frozenset({"bell", "cut", "boost", "peak"})
"""EQ types rendered as a peak (bell) filter."""
HIGH_PASS_ORDER = 4
"""Order of a high-pass move's Butterworth filter (24 dB/octave, -3 dB at the move's frequency):
the rumble finding's frequency is the role's lowest useful one and everything below it is the
problem, so the render uses the steep end of the usual rumble filters (a 40 Hz rumble under a
60 Hz cut-off comes out 14 dB lower; 2nd order: 8 dB)."""
SHELF_FLOOR_DB = 48.0
"""pedalboard has no second-order high-pass, so each Butterworth pole pair is a low shelf this deep
(RBJ: its poles sit at the shelf's frequency / sqrt(A), A = 10^(-floor/40), with the shelf's Q,
its zeros far below): a 12 dB/octave high-pass down to -48 dB. Measured against the ideal 4th-order
Butterworth from an impulse: within 0.1 dB from fc/4 up at 60-200 Hz, and within 1 dB at 20 Hz
(a deeper floor loses float precision there: 72 dB is 1.3 dB off at 20 Hz)."""
DC_BLOCK_HZ = 3.0
"""Corner of the DC blocker every track of a render goes through first (:func:`dc_blocker`): a first-order
high-pass, 0.04 dB down at 30 Hz, 0.1 dB at 20 Hz. The render raised a stem whose DC sat 14 dB under its
level (-52 dBFS, under the DC finding's threshold) above it, and the mix it made had a DC offset its
stems had not been flagged for."""
DC_BLOCK_S = 0.25
"""The DC offset a blocker takes out before filtering is the median of this long stretches' means per
channel (as :func:`ai.mixing.measure.scan_channels` measures it): a filter alone answers a constant that
starts at the first sample with a step, a thump at the start of a stem of DC."""
MIN_EQ_HZ = 10.0
"""Lowest EQ frequency rendered; a move below it is raised to it."""
MAX_EQ_FRACTION_OF_RATE = 0.45
"""Highest EQ frequency rendered, as a fraction of the sample rate (the filters' designs need room
below Nyquist)."""


@dataclass(frozen=True)
class Move:
    """One move to render. ``source``: the finding it answers (type, band, message) or "auto_level"."""

    kind: str
    params: dict[str, Any]
    source: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **rounded(self.params), "for": self.source}


def high_pass_plugins(freq_hz: float, order: int = HIGH_PASS_ORDER) -> list[pedalboard.Plugin]:
    """A Butterworth high-pass of ``order`` at ``freq_hz`` (-3 dB there) from pedalboard filters: one
    deep low shelf per pole pair (see SHELF_FLOOR_DB), with the Butterworth Q of that pair
    (1 / (2 sin((2k - 1) pi / 2n))), and a first-order HighpassFilter for an odd order."""
    a = 10 ** (-SHELF_FLOOR_DB / 40)
    plugins: list[pedalboard.Plugin] = [
        pedalboard.LowShelfFilter(
            cutoff_frequency_hz=freq_hz * math.sqrt(a),
            gain_db=-SHELF_FLOOR_DB,
            q=1 / (2 * math.sin((2 * k - 1) * math.pi / (2 * order))),
        )
        for k in range(1, order // 2 + 1)
    ]
    if order % 2:
        plugins.append(pedalboard.HighpassFilter(cutoff_frequency_hz=freq_hz))
    return plugins


def eq_plugins(eq: dict[str, Any], sr: int) -> list[pedalboard.Plugin]:
    """pedalboard filters for one EQ move {"type", "freq_hz", "gain_db", "q"}.

    Types: "high_pass" (Butterworth of HIGH_PASS_ORDER, -3 dB at ``freq_hz``; ``q`` and
    ``gain_db`` unused), "bell" / "cut" / "boost" / "peak" (PeakFilter: ``gain_db`` at
    ``freq_hz``, bandwidth ``freq_hz / q``), "low_shelf", "high_shelf" (``freq_hz`` is the
    shelf's half-gain point). Raises ValueError for another type.
    """
    kind = str(eq.get("type", "")).lower()
    freq = float(np.clip(float(eq["freq_hz"]), MIN_EQ_HZ, MAX_EQ_FRACTION_OF_RATE * sr))
    gain = float(eq.get("gain_db") or 0.0)
    q = float(eq.get("q") or 0.707)
    if kind == "high_pass":
        return high_pass_plugins(freq)
    if kind in EQ_PEAK_TYPES:
        return [pedalboard.PeakFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    if kind == "low_shelf":
        return [pedalboard.LowShelfFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    if kind == "high_shelf":
        return [pedalboard.HighShelfFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    raise ValueError(f"EQ type {kind!r} is not rendered")


def dc_offsets(samples: Frames, sr: int) -> np.ndarray:
    """Each channel's DC offset: the median of its DC_BLOCK_S means, read a block at a time.
    np.ndarray [shape=(channels, 1), dtype=float32]."""
    block = max(1, int(DC_BLOCK_S * sr))
    step = max(block, blocks.BLOCK // block * block)  # whole stretches per read
    means: list[np.ndarray] = []
    for start in range(0, frame_count(samples), step):
        part = np.asarray(read_frames(samples, start, start + step), dtype=np.float32)
        n = part.shape[1] // block
        if n:
            means.append(part[:, : n * block].reshape(part.shape[0], n, block).sum(axis=2, dtype=np.float64) / block)
        elif not means:
            means.append(part.mean(axis=1, dtype=np.float64, keepdims=True))
    if not means:
        return np.zeros((2, 1), dtype=np.float32)
    offsets: np.ndarray = np.median(np.concatenate(means, axis=1), axis=1, keepdims=True).astype(np.float32)
    return offsets


def dc_blocker() -> pedalboard.Plugin:
    """The DC blocker's filter: a first-order high-pass at DC_BLOCK_HZ."""
    return pedalboard.HighpassFilter(cutoff_frequency_hz=DC_BLOCK_HZ)


def changes_audio(moves: list[Move]) -> bool:
    """Whether :func:`process_track` changes a track's samples for ``moves``."""
    return any(m.kind in ("polarity", "stereo", "eq", "compressor", "automation") for m in moves)


def polarity_of(moves: list[Move], sr: int) -> tuple[float, int]:
    """(sign, shift in samples; > 0 later) of a track's polarity move (1.0, 0 without one)."""
    sign, shift = 1.0, 0
    for move in moves:
        if move.kind == "polarity":
            sign = -1.0 if move.params.get("invert") else 1.0
            shift = int(round(float(move.params.get("shift_ms") or 0.0) * sr / 1000))
    return sign, shift


def process_track(
    samples: np.ndarray, sr: int, moves: list[Move], *, in_place: bool = False, dc_block: bool = False
) -> np.ndarray:
    """np.ndarray [shape=(2, n), dtype=float32] through a channel strip's processing, in its order:
    with ``dc_block``, the DC blocker (its measured offset taken out, then :func:`dc_blocker`); polarity and
    width (:func:`apply_stereo`), high-pass, EQ (pedalboard filters), compressor (:func:`ai.mixing.dynamics_processing.apply_compressor`,
    the function the dynamics advice checked itself with), volume automation
    (:func:`ai.mixing.dynamics_processing.apply_automation`). Gains and pans come later. Returns ``samples``
    itself when there is nothing to do; else ``samples`` processed in place when ``in_place``
    (a float32 array the caller gives up), or a new array."""
    eqs = sorted((m for m in moves if m.kind == "eq"), key=lambda m: m.params.get("type") != "high_pass")
    out = samples
    owned = in_place  # whether ``out`` may be written: after the first step it is always ours
    if dc_block:  # before any shift: the zeros a shift reads in carry no offset
        out, owned = np.subtract(out, dc_offsets(out, sr), out=out if owned else None, dtype=np.float32), True
    sign, shift = polarity_of(moves, sr)
    if shift:
        out, owned = read_shifted(out, 0, out.shape[1], shift), True
    if sign < 0:
        if not owned:
            out, owned = np.array(out, dtype=np.float32, copy=True), True
        np.negative(out, out=out)
    for move in moves:
        if move.kind == "stereo":
            if not owned:
                out, owned = np.array(out, dtype=np.float32, copy=True), True
            apply_stereo(
                out,
                flip_right=bool(move.params.get("flip_right")),
                side_gain_db=float(move.params.get("side_gain_db", 0.0)),
            )
    plugins = [dc_blocker()] if dc_block else []
    plugins += [plugin for move in eqs for plugin in eq_plugins(move.params, sr)]
    if plugins:
        board = pedalboard.Pedalboard(plugins)
        out, owned = run_board(board, out, sr, out=out if owned else None), True
    for move in moves:
        if move.kind == "compressor":
            out = apply_compressor(samples=out, sr=sr, compressor=move.params, out=out if owned else None)
            owned = True
    for move in moves:
        if move.kind == "automation":
            out = apply_automation(samples=out, sr=sr, sections=move.params["sections"], out=out if owned else None)
            owned = True
    return out


STEREO_BLOCK = 1 << 16
"""Frames per block of :func:`apply_stereo` (its mid and side are never whole-track arrays)."""


def apply_stereo(samples: np.ndarray, *, flip_right: bool = False, side_gain_db: float = 0.0) -> None:
    """In place on np.ndarray [shape=(2, n), dtype=float32]: the right channel's polarity flipped, then
    the side signal (L - R) / 2 scaled by ``side_gain_db`` against the mid (L + R) / 2 (a width control:
    what the phase finding asks for). A 2 x 2 matrix per sample: numpy, no plug-in needed."""
    if samples.shape[0] != 2:
        return
    if flip_right:
        samples[1] *= np.float32(-1.0)
    if side_gain_db == 0.0:
        return
    side_gain = np.float32(10.0 ** (side_gain_db / 20.0))
    for start in range(0, samples.shape[1], STEREO_BLOCK):
        left, right = samples[0, start : start + STEREO_BLOCK], samples[1, start : start + STEREO_BLOCK]
        mid = (left + right) * np.float32(0.5)
        side = (left - right) * np.float32(0.5) * side_gain
        np.add(mid, side, out=left)
        np.subtract(mid, side, out=right)


def strip_blocks(samples: Frames, sr: int, moves: list[Move], *, dc_block: bool = False) -> Iterator[np.ndarray]:
    """:func:`process_track` a block at a time (board_blocks.BLOCK frames, the blocks its pedalboard
    chains run in: the same samples), for a stem file whose processed copy is written as it comes:
    np.ndarray [shape=(2, m), dtype=float32] blocks in order."""
    eqs = sorted((m for m in moves if m.kind == "eq"), key=lambda m: m.params.get("type") != "high_pass")
    plugins = [dc_blocker()] if dc_block else []
    plugins += [plugin for move in eqs for plugin in eq_plugins(move.params, sr)]
    boards: list[pedalboard.Plugin] = [pedalboard.Pedalboard(plugins)] if plugins else []
    boards += [compressor_board(m.params) for m in moves if m.kind == "compressor"]
    for board in boards:
        board.reset()
    offsets = dc_offsets(samples, sr) if dc_block else None
    n = frame_count(samples)
    sign, shift = polarity_of(moves, sr)
    for start in range(0, n, blocks.BLOCK):
        block = read_shifted(samples, start, start + blocks.BLOCK, shift)  # a copy of our own
        if offsets is not None:
            block -= offsets
        if sign < 0:
            np.negative(block, out=block)
        for move in moves:
            if move.kind == "stereo":
                apply_stereo(
                    block,
                    flip_right=bool(move.params.get("flip_right")),
                    side_gain_db=float(move.params.get("side_gain_db", 0.0)),
                )
        for board in boards:
            block = blocks.process_block(board, block, sr)
        for move in moves:
            if move.kind == "automation" and move.params["sections"]:
                np.multiply(
                    block, automation_gains(move.params["sections"], sr, n, start, start + block.shape[1]), out=block
                )
        yield block


__all__ = [
    "apply_stereo",
]
