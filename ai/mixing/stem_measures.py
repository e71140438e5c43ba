"""The level measures of :func:`ai.mixing.measure.analyse_track` for a stem file, read block by block.

The same numbers as the whole-array functions (:func:`ai.audio.loudness.measure_loudness`,
:func:`ai.mixing.measure.scan_channels`, :func:`ai.mixing.measure.stereo_image`), from two passes
over the stem that keep only per-stretch results: the K-weighting filters' memory, the running
energy sums and a run of equal samples are carried from block to block, the true peak and the
clipping scan read back only the stretches that can matter. Sums keep the whole-array order
(block sizes are multiples of the stretches they sum over), except the stereo image's dot products:
numpy's float32 dot over a whole channel cannot be split, so a stem longer than READ_FRAMES sums one
dot per block (in float64), which can move the last bits of the width and correlation.
"""

from __future__ import annotations

import numpy as np

from ai.audio import loudness as lo
from ai.audio.loudness_meter import KWeighting
from ai.audio.stem_file import Frames, StemFile
from ai.mixing import measure

READ_FRAMES = 1 << 21
"""Frames per read of the first pass (16 MB of stereo float32; 47.5 s at 44.1 kHz): a multiple of
the true-peak stretch, and long enough that a stem of up to this length is one block, so its dot
products are numpy's own."""

PEAK_FRAMES = lo._TP_CHUNK * 64
"""Positions per read of the true-peak search (a multiple of its kernel's chunk)."""
SCAN_FRAMES = 1 << 18
"""Frames per read of the clipping scan (only blocks with a stretch near the peak are read)."""


def sub_block_powers(frames: Frames, sr: int) -> np.ndarray:
    """:func:`ai.audio.loudness.sub_block_powers` of an array or a stem file (read block by block)."""
    if not isinstance(frames, StemFile):
        return lo.sub_block_powers(y=frames, sr=sr)
    weighting = KWeighting(frames.channels, sr)
    for piece in frames.blocks(READ_FRAMES):
        weighting.feed(piece)
    return weighting.sub_energy()


def integrated_loudness(frames: Frames, sr: int) -> float | None:
    """:func:`ai.audio.loudness.integrated_loudness` of an array or a stem file."""
    if not isinstance(frames, StemFile):
        return lo.integrated_loudness(y=frames, sr=sr)
    return _gated(sub_block_powers(frames, sr), sr)


def level_loudness(frames: Frames, sr: int) -> float | None:
    """The integrated loudness that levels a track against the others: None when it is silent as the advice
    counts it (:attr:`ai.mixing.measure.TrackMeasurement.silent`), as a stem of DC alone is."""
    sub_energy = sub_block_powers(frames, sr)
    if measure.audible_seconds(sub_energy, sr) < measure.MIN_AUDIBLE_S:
        return None
    return _gated(sub_energy, sr)


def _gated(sub_energy: np.ndarray, sr: int) -> float | None:
    """The gated integrated loudness (LUFS) of 100 ms sub-block energies (:func:`sub_block_powers`)."""
    return lo._gated_integrated(lo._block_loudness(sub_energy, sub_per_block=4, hop=lo._hop_samples(sr)))


class _DcMeans:
    """The 250 ms block means of each channel (:func:`ai.mixing.measure._block_means`), fed in pieces."""

    def __init__(self, channels: int, block: int) -> None:
        self.block = block
        self.pending = np.zeros((channels, 0), dtype=np.float32)
        self.means: list[np.ndarray] = []

    def feed(self, piece: np.ndarray) -> None:
        x = np.concatenate([self.pending, piece], axis=1) if self.pending.shape[1] else piece
        whole = x.shape[1] // self.block * self.block
        if whole:
            rows = x[:, :whole].reshape(x.shape[0], -1, self.block)
            self.means.append(np.stack([channel.sum(axis=1) for channel in rows]).astype(np.float64) / self.block)
        self.pending = x[:, whole:].copy()

    def offsets(self) -> list[float]:
        return [float(np.median(channel)) for channel in np.concatenate(self.means, axis=1)]


def _stretch_max(stem: StemFile, channel: int, start: int, stop: int, phases: np.ndarray) -> float:
    """The true peak's interpolated maximum between samples ``start`` and ``stop`` of a channel,
    read a piece at a time (each piece with the samples the interpolator reaches into)."""
    best = 0.0
    for first in range(start, stop, PEAK_FRAMES):
        last = min(stop, first + PEAK_FRAMES)
        low, high = lo.interpolator_reach(first, last)
        low, high = max(0, low), min(stem.n_samples, high)
        row = stem.read(low, high)[channel]
        best = max(best, float(lo._interpolated_max_kernel(row, first - low, last - low, phases)))
    return best


def measure_stem(
    stem: StemFile,
    *,
    clip_channels: int | None = None,
) -> tuple[
    np.ndarray,
    tuple[np.ndarray, np.ndarray],
    lo.LoudnessStats,
    tuple[float | None, float | None],
    tuple[int, int, float],
]:
    """(sub-block energies, block stats, loudness stats, (width, correlation), (clipped samples,
    clipped runs, DC offset)) of a stem file: what analyse_track measures on an array (clipping counted over
    the first ``clip_channels`` channels, all when None: see :func:`ai.mixing.measure.scan_channels`)."""
    sr, channels, n = stem.sample_rate, stem.channels, stem.n_samples
    weighting = KWeighting(channels, sr)
    energy = np.zeros(channels)
    maxima: list[np.ndarray] = []
    dc = _DcMeans(channels, max(1, int(0.25 * sr)))
    ll = rr = lr = 0.0
    for start in range(0, n, READ_FRAMES):
        piece = stem.read(start, start + READ_FRAMES)
        weighting.feed(piece)
        maxima.append(lo._block_stats_carry(piece, lo.TP_BLOCK, energy))
        if n >= dc.block:
            dc.feed(piece)
        if channels == 2:
            ll += float(np.dot(piece[0], piece[0]))
            rr += float(np.dot(piece[1], piece[1]))
            lr += float(np.dot(piece[0], piece[1]))
    sub_energy = weighting.sub_energy()
    block_max = np.concatenate(maxima, axis=1)
    peak_linear = lo.true_peak_search(
        block_max=block_max,
        n=n,
        sr=sr,
        stretch_max=lambda channel, first, last, phases: _stretch_max(stem, channel, first, last, phases),
    )
    stats = lo.loudness_stats(
        sub_energy=sub_energy, stats=(block_max, energy), size=channels * n, true_peak_linear=peak_linear, sr=sr
    )
    image = measure.image_from_dots(ll, rr, lr) if channels == 2 else (None, None)
    offsets = (
        dc.offsets()
        if n >= dc.block
        else [float(np.mean(stem.read(0, n)[k], dtype=np.float64)) for k in range(channels)]
    )
    clipped, runs = _clipping(stem, block_max, stem.channels if clip_channels is None else clip_channels)
    dc_offset = offsets[int(np.argmax(np.abs(offsets)))] if offsets else 0.0
    return sub_energy, (block_max, energy), stats, image, (clipped, runs, dc_offset)


def true_peak(frames: Frames, sr: int) -> float:
    """:func:`ai.audio.loudness.true_peak` (linear) of an array or a stem file (read block by block)."""
    if not isinstance(frames, StemFile):
        return lo.true_peak(y=frames, sr=sr)
    if frames.n_samples == 0:
        return 0.0
    energy = np.zeros(frames.channels)
    block_max = np.concatenate(
        [lo._block_stats_carry(piece, lo.TP_BLOCK, energy) for piece in frames.blocks(READ_FRAMES)], axis=1
    )
    return lo.true_peak_search(
        block_max=block_max,
        n=frames.n_samples,
        sr=sr,
        stretch_max=lambda channel, first, last, phases: _stretch_max(frames, channel, first, last, phases),
    )


def loudness_of(frames: Frames, sr: int) -> lo.LoudnessStats:
    """:func:`ai.audio.loudness.measure_loudness` of an array or a stem file (read block by block)."""
    if not isinstance(frames, StemFile):
        return lo.measure_loudness(y=frames, sr=sr)
    return measure_stem(frames)[2]


def _clipping(stem: StemFile, block_max: np.ndarray, channels: int) -> tuple[int, int]:
    """:func:`ai.mixing.measure.scan_channels`'s clipped samples and runs (of the first ``channels``): a second
    pass that reads only the blocks holding a stretch at the level where a run can count."""
    count = runs = 0
    stretch = lo.TP_BLOCK
    per_read = SCAN_FRAMES // stretch
    head = stem.read(0, measure.QUANTISATION_PROBE)
    empty = np.zeros(0, dtype=np.float32)
    held = measure.held_run(stem.sample_rate)
    for k in range(min(channels, stem.channels)):
        peak = float(block_max[k].max(initial=0.0))
        if peak <= 0:
            continue
        flat_min = measure.flat_top_min_run(head[k])
        hot = measure.hot_level(peak)
        state = np.zeros(5)
        for first in range(0, block_max.shape[1], per_read):
            n_stretches = min(per_read, block_max.shape[1] - first)
            reached = bool((block_max[k, first : first + n_stretches] >= hot).any())
            row = stem.read(first * stretch, (first + n_stretches) * stretch)[k] if reached else empty
            measure.scan_stretches(row, first, n_stretches, peak, block_max[k], stretch, flat_min, held, state)
        c, r = measure.scan_finish(state, peak, flat_min, held)
        count += int(c)
        runs += int(r)
    return count, runs
